#!/usr/bin/env bash
# Checks with the official Python clients (openai, boto3, anthropic) against obs's own binaries on 127.0.0.1.
# Installs them into a throwaway virtualenv (cached under target/ between runs).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="target/python-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import openai, boto3, jsonschema, anthropic' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'openai>=1.50' 'boto3>=1.35' 'jsonschema>=4.18' 'anthropic>=0.60'
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

# The address an obs-server logs (JSON lines) once it listens; fails when it never does.
server_address() {
  for _ in $(seq 1 100); do
    grep -q '"obs listening"' "$1" && break
    sleep 0.1
  done
  local address
  address=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' "$1" | head -n 1)
  [ -n "$address" ] || { echo "obs-server did not start:" >&2; cat "$1" >&2; return 1; }
  echo "$address"
}

# Streaming conformance through obs itself (demo mode), with the official SDK's stream accumulator.
cargo build --quiet -p obs-server-bin
server_log=$(mktemp)
env -u API_KEY LOG_FORMAT=json AWS_EC2_METADATA_DISABLED=true ./target/debug/obs-server --demo --port 0 2>"$server_log" &
server_pid=$!
trap 'kill $mock_pid $server_pid 2>/dev/null || true; rm -f "$log" "$server_log"' EXIT
server=$(server_address "$server_log")
"$venv/bin/python" crates/obs-server/tests/python/conformance.py "$server"
"$venv/bin/python" crates/obs-server/tests/python/gateway_routes.py "$server"
"$venv/bin/python" crates/obs-server/tests/python/demo_model.py "$server"
"$venv/bin/python" crates/obs-server/tests/python/responses_embeddings.py "$server"
"$venv/bin/python" crates/obs-server/tests/python/structured_output.py "$server"

# Reasoning through the openai SDK on Claude (InvokeModel and Converse) and gpt-oss: a demo server with a Bedrock
# provider `conv` that sends Claude through Converse to the obs-mock started above. Stopped when done.
reasoning_config=$(mktemp --suffix=.toml)
printf '[providers.conv]\nkind = "bedrock"\nregion = "us-east-1"\nendpoint_url = "%s"\nclaude_api = "converse"\n\n[providers.conv.aws]\naccess_key_id = "AKIDOBSREASONING"\nsecret_access_key = "reasoning-check-secret"\n' "$base" >"$reasoning_config"
reasoning_log=$(mktemp)
env -u API_KEY OBS_CONFIG="$reasoning_config" LOG_FORMAT=json AWS_EC2_METADATA_DISABLED=true ./target/debug/obs-server --demo --port 0 2>"$reasoning_log" &
reasoning_pid=$!
trap 'kill $mock_pid $server_pid $reasoning_pid 2>/dev/null || true; rm -f "$log" "$server_log" "$reasoning_log" "$reasoning_config"' EXIT
"$venv/bin/python" crates/obs-server/tests/python/reasoning.py "$(server_address "$reasoning_log")" conv
kill $reasoning_pid && wait $reasoning_pid 2>/dev/null || true
rm -f "$reasoning_log" "$reasoning_config"
"$venv/bin/python" crates/obs-server/tests/python/guardrails.py "$server"

# The Anthropic Messages API through the official anthropic SDK, against a demo server with a gateway key (so a
# wrong key is a 401 the SDK reads).
messages_log=$(mktemp)
API_KEY=messages-check-key LOG_FORMAT=json AWS_EC2_METADATA_DISABLED=true ./target/debug/obs-server --demo --port 0 2>"$messages_log" &
messages_pid=$!
trap 'kill $mock_pid $server_pid $messages_pid 2>/dev/null || true; rm -f "$log" "$server_log" "$messages_log"' EXIT
messages_server=$(server_address "$messages_log")
"$venv/bin/python" crates/obs-server/tests/python/messages.py "$messages_server" messages-check-key

# The Bedrock runtime API through boto3's bedrock-runtime client over TLS terminated by obs (a certificate made
# here), signing with SigV4 against a configured [[server.aws_clients]] pair, then with the gateway key as a
# bearer token (which boto3 sends over HTTPS only).
bedrock_tls=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$bedrock_tls/key.pem" -out "$bedrock_tls/cert.pem" 2>/dev/null
bedrock_config=$(mktemp --suffix=.toml)
printf '[server]\napi_keys = ["bedrock-check-key"]\n\n[[server.aws_clients]]\naccess_key_id = "AKIDOBSPYTHONCHECK"\nsecret_access_key = "python-check-secret"\nkey = "bedrock-check-key"\n' >"$bedrock_config"
bedrock_log=$(mktemp)
env -u API_KEY OBS_CONFIG="$bedrock_config" TLS_CERT_FILE="$bedrock_tls/cert.pem" TLS_KEY_FILE="$bedrock_tls/key.pem" LOG_FORMAT=json AWS_EC2_METADATA_DISABLED=true ./target/debug/obs-server --demo --port 0 2>"$bedrock_log" &
bedrock_pid=$!
trap 'kill $mock_pid $server_pid $messages_pid $bedrock_pid 2>/dev/null || true; rm -rf "$log" "$server_log" "$messages_log" "$bedrock_log" "$bedrock_config" "$bedrock_tls"' EXIT
bedrock_server=$(server_address "$bedrock_log")
AWS_EC2_METADATA_DISABLED=true "$venv/bin/python" crates/obs-server/tests/python/bedrock_ingress.py "$bedrock_server" "$bedrock_tls/cert.pem" \
  AKIDOBSPYTHONCHECK python-check-secret bedrock-check-key

# Managed keys through the official openai and anthropic SDKs, against a demo server with an admin key.
keys_log=$(mktemp)
env -u API_KEY ADMIN_API_KEY=keys-check-admin LOG_FORMAT=json AWS_EC2_METADATA_DISABLED=true ./target/debug/obs-server --demo --port 0 2>"$keys_log" &
keys_pid=$!
trap 'kill $mock_pid $server_pid $messages_pid $bedrock_pid $keys_pid 2>/dev/null || true; rm -rf "$log" "$server_log" "$messages_log" "$bedrock_log" "$bedrock_config" "$bedrock_tls" "$keys_log"' EXIT
keys_server=$(server_address "$keys_log")
"$venv/bin/python" crates/obs-server/tests/python/keys.py "$keys_server" keys-check-admin
