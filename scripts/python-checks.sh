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

# Streaming conformance through obs itself (demo mode), with the official SDK's stream accumulator.
cargo build --quiet -p obs-server-bin
server_log=$(mktemp)
env -u API_KEY LOG_FORMAT=json AWS_EC2_METADATA_DISABLED=true ./target/debug/obs-server --demo --port 0 2>"$server_log" &
server_pid=$!
trap 'kill $mock_pid $server_pid 2>/dev/null || true; rm -f "$log" "$server_log"' EXIT
for _ in $(seq 1 100); do
  grep -q '"obs listening"' "$server_log" && break
  sleep 0.1
done
server=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' "$server_log" | head -n 1)
[ -n "$server" ] || { echo "obs-server did not start:" >&2; cat "$server_log" >&2; exit 1; }
"$venv/bin/python" crates/obs-server/tests/python/conformance.py "$server"
"$venv/bin/python" crates/obs-server/tests/python/gateway_routes.py "$server"
