#!/usr/bin/env bash
# `make bench`: a benchmark (figures printed against targets, not a pass/fail test) of the
# release Lambda on a world with a NAT gateway, interface endpoints and a secret, in moto on
# 127.0.0.1, behind a loopback proxy that adds BENCH_DELAY_MS (30) to every AWS call.
#
#   1. builds: the release `bootstrap` for this host, the bench_world example, and (when the
#      Rust target and cargo-lambda are there) the arm64 release zip, all before anything is
#      timed so no compiler competes with the measured process;
#   2. starts moto server and builds the world (examples/bench_world.rs);
#   3. scripts/bench_measure.py: latency proxy in front of moto, then BENCH_RUNS (5) times a
#      fresh Runtime API emulator and a fresh `bootstrap` process; prints the medians and
#      writes them to target/bench.txt (raw figures and logs in target/bench/).
#
# Every process started here is stopped on exit, on failure and on Ctrl-C. BENCH_STRICT=1
# makes a missed target exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${VENV:-.venv}
tools=${TOOLS:-.venv-tools}
py="$venv/bin/python"
runs=${BENCH_RUNS:-5}
delay=${BENCH_DELAY_MS:-30}
target_dir=${CARGO_TARGET_DIR:-target}
work=target/bench
lambda_target=aarch64-unknown-linux-gnu

[ -x "$py" ] && [ -x "$venv/bin/moto_server" ] || {
  echo "bench: no moto in $venv; run 'make venv' (or 'make bench')" >&2
  exit 1
}

pids=()
cleanup() {
  local pid
  # Newest first: the measurer stops its proxy, emulator and function processes itself.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# 1. Builds. The measured binary is the host's release build (same code and release profile as
# the deployed one, but x86_64 here unless the host is arm64); cargo-lambda's arm64 build below
# is separate and only gives the zip size.
echo "== cargo build --release --bin bootstrap"
cargo build --release --bin bootstrap
cargo build --quiet --example bench_world

zip_file=""
zip_note=""
if ! command -v rustup > /dev/null || ! rustup target list --installed | grep -qx "$lambda_target"; then
  zip_note="rustup target add $lambda_target"
  echo "zip: skipped (rustup target add $lambda_target)"
else
  if [ ! -x "$tools/bin/cargo-lambda" ]; then
    # As the Makefile's build target installs it (without SAM, which the zip does not need).
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet cargo-lambda
  fi
  echo "== cargo lambda build --release --arm64 --bin bootstrap --output-format zip"
  if PATH="$PWD/$tools/bin:$PATH" cargo lambda build --release --arm64 --bin bootstrap --output-format zip; then
    zip_file="$target_dir/lambda/bootstrap/bootstrap.zip"
    [ -f "$zip_file" ] || zip_file=$(find "$target_dir/lambda" -name bootstrap.zip -print -quit 2> /dev/null || true)
    [ -n "$zip_file" ] || zip_note="cargo lambda build left no bootstrap.zip under $target_dir/lambda"
  else
    zip_note="cargo lambda build failed (see its output above)"
    echo "zip: $zip_note" >&2
  fi
fi

# 2. moto on a free loopback port, as scripts/with-moto.sh starts it, and the world in it.
mkdir -p "$work"
rm -rf "$work"/run-* "$work/world" "$work/changed"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  if "$py" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2> /dev/null; then
    break
  fi
  kill -0 "${pids[0]}" 2> /dev/null || { echo "bench: moto server did not start; see $work/moto.log" >&2; exit 1; }
  sleep 0.1
done
export MOTO_ENDPOINT="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL="$MOTO_ENDPOINT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
echo "== world (examples/bench_world.rs) in moto at $MOTO_ENDPOINT"
cargo run --quiet --example bench_world -- "$work/world"

# 3. The measured runs (in the background so a signal reaches the trap at once).
echo "== $runs runs, +$delay ms per AWS call"
measure=("$py" scripts/bench_measure.py
  --moto "$MOTO_ENDPOINT" --world "$work/world" --bootstrap "$target_dir/release/bootstrap"
  --dir "$work" --report target/bench.txt --runs "$runs" --delay-ms "$delay"
  --zip-note "$zip_note")
[ -z "$zip_file" ] || measure+=(--zip-file "$zip_file")
[ "${BENCH_STRICT:-0}" = 0 ] || measure+=(--strict)
"${measure[@]}" &
pids+=($!)
wait "${pids[-1]}"

# 4. The same, for the world where the previous revision differs: the change context's reads
# (previous revision and its differing secret beside the VPC, CloudTrail after the verdict).
echo "== $runs runs, +$delay ms per AWS call, previous revision differs"
changed=("$py" scripts/bench_measure.py
  --moto "$MOTO_ENDPOINT" --world "$work/world" --event event-changed.json
  --bootstrap "$target_dir/release/bootstrap"
  --dir "$work/changed" --report target/bench-changed.txt --runs "$runs" --delay-ms "$delay"
  --zip-note "$zip_note")
[ -z "$zip_file" ] || changed+=(--zip-file "$zip_file")
[ "${BENCH_STRICT:-0}" = 0 ] || changed+=(--strict)
"${changed[@]}" &
pids+=($!)
wait "${pids[-1]}"
