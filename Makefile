# ecs-task-doctor. `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
VENV  ?= .venv
TOOLS ?= .venv-tools
# checkov, the IaC security scanner of `make lint`, in a venv of its own (see its rule below).
CHECKOV ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
LAMBDA_TARGET := aarch64-unknown-linux-gnu
export AWS_EC2_METADATA_DISABLED := true
# sam reports usage to AWS by default; the project talks to nothing it does not need.
export SAM_CLI_TELEMETRY := 0

.PHONY: demo demo-org test lint build deploy venv clean readme bench

## Python venv with the local AWS emulator (moto server) and cfn-lint, from PyPI.
$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## The main job with no AWS account: a broken Fargate world in moto, a stopped task, the
## Lambda handler on its event, the diagnosis and the SNS message as a subscriber receives it.
demo: venv
	cargo build --example demo
	scripts/with-moto.sh cargo run --quiet --example demo

## The organisation: a member account's stop, diagnosed by the central function through the
## member role, alerted on the central topic.
demo-org: venv
	cargo build --example demo_org
	scripts/with-moto.sh cargo run --quiet --example demo_org

## Unit tests, the classifier table, and the moto tests (moto started and stopped here).
test: venv
	scripts/with-moto.sh cargo test --all-targets
	$(VENV)/bin/cfn-lint template.yaml member.yaml

## checkov from PyPI, pinned: a new release adds checks, which would fail `make lint` with no
## change here. Not in $(VENV): it pins boto3==1.35.49 and networkx<2.7, which would
## downgrade moto's boto3 and cfn-lint's networkx.
$(CHECKOV)/.installed-$(CHECKOV_VERSION):
	rm -rf $(CHECKOV)
	python3 -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

## Rust format and lints, cfn-lint, and checkov on template.yaml and member.yaml (offline; the checks it skips
## are listed with their reasons in .checkov.yaml).
lint: venv $(CHECKOV)/.installed-$(CHECKOV_VERSION)
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/cfn-lint template.yaml member.yaml
	$(CHECKOV)/bin/checkov --config-file .checkov.yaml -f template.yaml -f member.yaml --framework cloudformation --quiet --compact

$(TOOLS)/.installed:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet cargo-lambda aws-sam-cli
	touch $@

## The Lambda for arm64 (release); needs the Rust target and cargo-lambda (installed here).
build: $(TOOLS)/.installed
	@rustup target list --installed | grep -qx $(LAMBDA_TARGET) || { \
	  echo "The Rust target $(LAMBDA_TARGET) is not installed: run 'rustup target add $(LAMBDA_TARGET)'" >&2; exit 1; }
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" cargo lambda build --release --arm64 --bin bootstrap

deploy: build
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" sam build
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" sam deploy --guided

clean:
	cargo clean
	rm -rf $(VENV) $(TOOLS) $(CHECKOV) .aws-sam

## A benchmark, not a test: the release Lambda against moto through a loopback proxy adding
## 30 ms per AWS call (BENCH_DELAY_MS), BENCH_RUNS (5) fresh processes; prints wall time, AWS
## calls, sequential rounds, init time, peak RSS and the arm64 zip size against their targets
## and writes them to target/bench.txt.
bench: venv
	VENV=$(VENV) TOOLS=$(TOOLS) scripts/bench.sh

## Regenerates the README's finding table from the checks' metadata.
readme:
	cargo run --quiet -- checks > target/checks.md
	python3 scripts/readme_table.py README.md target/checks.md
