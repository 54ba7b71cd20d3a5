#!/usr/bin/env bash
# Runs a command with moto server on 127.0.0.1 (a free port), then stops moto whatever happens.
# The command gets MOTO_ENDPOINT and AWS_ENDPOINT_URL; moto's log is kept in target/moto.log.
set -euo pipefail
venv=${VENV:-.venv}
mkdir -p target
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > target/moto.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    break
  fi
  kill -0 "$moto_pid" 2>/dev/null || { echo "moto server did not start; see target/moto.log" >&2; exit 1; }
  sleep 0.1
done
export MOTO_ENDPOINT="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL="$MOTO_ENDPOINT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
"$@"
