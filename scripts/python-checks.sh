#!/usr/bin/env bash
# Checks with the official Python clients (openai, boto3) against obs's own binaries on 127.0.0.1.
# Installs them into a throwaway virtualenv (cached under target/ between runs).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="target/python-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import openai, boto3' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'openai>=1.50' 'boto3>=1.35'
fi

cargo build --quiet -p obs-mock-bin
log=$(mktemp)
./target/debug/obs-mock --port 0 >"$log" &
mock_pid=$!
trap 'kill $mock_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  grep -q 'listening on' "$log" && break
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$log")
[ -n "$base" ] || { echo "obs-mock did not start" >&2; exit 1; }

AWS_EC2_METADATA_DISABLED=true "$venv/bin/python" crates/obs-mock/tests/python/check_clients.py "$base"
