#!/usr/bin/env bash
# Instructions obs-server executes per request, per path, under callgrind: deterministic to about 0.5%, so small
# changes can be compared where wall-clock benchmarks on a shared 2-core machine are too noisy to tell.
# Counts user-space instructions only (no kernel, no waiting). SHA-256 runs its portable code under valgrind
# (valgrind hides the SHA CPU extensions), so the Bedrock paths' signing share is larger here than on hardware.
#
#   bash scripts/instructions.sh                 # release builds, then every path, plain and streamed
#   N=500 bash scripts/instructions.sh           # more requests per measurement (default 300)
#   CHUNK_MS=0 bash scripts/instructions.sh      # stream events back to back (default 3 ms apart)
#   ROUTING=large bash scripts/instructions.sh   # the OpenAI path with 50 providers and 1,000 model groups
#                                                # configured: a bare id, a group, an explicit provider/model id
#   MOCK_BIN=/other/obs-mock bash scripts/instructions.sh  # another emulator build: compare two obs builds against
#                                                # the same upstream answers (ids and bodies the emulator writes vary)
#   KEYS=managed bash scripts/instructions.sh    # the OpenAI path with a static key, then with managed keys (10,000 in
#                                                # the store), usage records off and on: no limits, rpm/tpm/max_parallel
#                                                # in process, then in Redis (needs redis-server)
#   KEEP_PROFILES=dir bash scripts/instructions.sh  # also keep each row's callgrind profile as dir/<row>.callgrind
#                                                # (callgrind_annotate --inclusive=yes dir/1.callgrind: where it goes)
#   UPSTREAM=nginx bash scripts/instructions.sh  # the OpenAI path in front of a static nginx serving the emulator's
#                                                # answer and whole transcript from files (needs nginx), as obs-bench's
#                                                # static-upstream table: every event of a stream in one read
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -p obs-server-bin -p obs-mock-bin >&2

N=${N:-300}
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
cleanup() { kill "${mock_pid:-}" "${obs_pid:-}" "${nginx_pid:-}" "${redis_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Stream events 3 ms apart, as a model's tokens arrive: each is read, decoded and written on its own. Back to back
# they would coalesce into fewer reads by chance (obs runs ~50x slower under valgrind), and the count would move
# by 10% from run to run.
"${MOCK_BIN:-$bin/obs-mock}" --port 0 --chunks 20 --chunk-ms "${CHUNK_MS:-3}" >"$work/mock.out" &
mock_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
mock=$(sed -n 's/^listening on //p' "$work/mock.out")

# obs-server under callgrind with its OpenAI upstream at $1.
start_obs() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env API_KEY=bench-key ADMIN_API_KEY="${admin_key:-}" PORT="$port" OBS_CONFIG="${obs_config:-}" OPENAI_API_KEY=sk-bench OPENAI_BASE_URL="$1" AWS_REGION=us-east-1 \
    BEDROCK_ENDPOINT_URL="$mock" AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret \
    AWS_EC2_METADATA_DISABLED=true LOG_LEVEL=info \
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$bin"/obs-server >/dev/null 2>"$work/obs.err" &
  obs_pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
}

stop_obs() {
  kill "$obs_pid" 2>/dev/null || true
  wait "$obs_pid" 2>/dev/null || true
  obs_pid=
}

# Sends $3 requests for model $1 (streamed when $2 is "stream") over one keep-alive connection.
send() {
  python3 - "$port" "$1" "$2" "$3" "${bench_key:-bench-key}" <<'PY'
import http.client, json, sys
port, model, mode, n, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
body = {"model": model, "messages": [{"role": "user", "content": "hello benchmark"}]}
if mode == "stream":
    body["stream"] = True
connection = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    connection.request("POST", "/v1/chat/completions", json.dumps(body),
                       {"content-type": "application/json", "authorization": f"Bearer {key}"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{model}: HTTP {response.status}")
PY
}

# One row: $1 model, $2 mode, against the running obs-server.
measure() {
  send "$1" "$2" 100                       # warm-up: pools, lazy adapters, allocator
  callgrind_control -z "$obs_pid" >/dev/null
  send "$1" "$2" "$N"
  rm -f "$work"/cg.*
  callgrind_control -d "$obs_pid" >/dev/null
  for _ in $(seq 50); do ls "$work"/cg.* >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 0.3
  total=$(grep -h -E '^(summary|totals):' "$work"/cg.* | head -1 | awk '{print $2}')
  echo "| $1${row_note:-} | $2 | $((total / N)) |"
  if [ -n "${KEEP_PROFILES:-}" ]; then
    mkdir -p "$KEEP_PROFILES"
    profiled=$((${profiled:-0} + 1))
    cp "$(ls "$work"/cg.* | head -1)" "$KEEP_PROFILES/$profiled.callgrind"
  fi
}

echo "| path | mode | instructions per request |"
echo "|---|---|---|"
if [ "${UPSTREAM:-mock}" = nginx ]; then
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }
  PATH="$PATH:/usr/sbin"
  ask='{"model":"gpt-4o","messages":[{"role":"user","content":"hello benchmark"}]'
  mkdir -p "$work/files/plain/v1/chat" "$work/files/stream/v1/chat"
  curl -sf "$mock/v1/chat/completions" -H 'authorization: Bearer sk-bench' -d "$ask}" >"$work/files/plain/v1/chat/completions"
  curl -sf "$mock/v1/chat/completions" -H 'authorization: Bearer sk-bench' \
    -d "$ask,\"stream\":true,\"stream_options\":{\"include_usage\":true}}" >"$work/files/stream/v1/chat/completions"
  nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # POSTs are served the file through error_page 405 (the static module refuses POST), as in obs-bench's nginx.rs.
  cat >"$work/nginx.conf" <<CONF
worker_processes 1; daemon off; master_process off; pid $work/nginx.pid; error_log $work/error.log warn;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; open_file_cache max=16;
  client_body_temp_path $work/t1; proxy_temp_path $work/t2; fastcgi_temp_path $work/t3; uwsgi_temp_path $work/t4; scgi_temp_path $work/t5;
  server { listen 127.0.0.1:$nginx_port;
    location /plain/ { root $work/files; types { } default_type application/json; error_page 405 =200 \$uri; }
    location /stream/ { root $work/files; types { } default_type text/event-stream; error_page 405 =200 \$uri; } } }
CONF
  nginx -p "$work" -e "$work/error.log" -c "$work/nginx.conf" &
  nginx_pid=$!
  sleep 0.3
  for mode in plain stream; do
    start_obs "http://127.0.0.1:$nginx_port/$mode/v1"
    measure gpt-4o "$mode"
    stop_obs
  done
  exit 0
fi

if [ "${KEYS:-}" = managed ]; then
  # 10,000 managed keys written straight into the store obs reads (a SQLite file); requests then carry key 5,000.
  # A Redis of its own for the shared-counter rows, when redis-server is installed.
  write_keys() {
    python3 scripts/write-bench-keys.py "$work/keys.db" "$1"
    sleep 3 # keys.refresh_seconds = 1, and valgrind's pace
  }
  admin_key=bench-admin
  base_config() { printf '[responses]\nstore_url = "sqlite://%s/keys.db"\n[keys]\nrefresh_seconds = 1\n' "$work"; }
  obs_config="$work/keys.toml"
  base_config >"$obs_config"
  # Usage records off first (USAGE_RECORDS=false), then on (the default with managed keys).
  USAGE_RECORDS=false start_obs "$mock/v1"
  row_note=" (static key, no usage records)" measure gpt-4o plain
  write_keys none
  bench_key=obs-sk-bench-5000 row_note=" (managed key of 10,000, no limits, no usage records)" measure gpt-4o plain
  stop_obs
  start_obs "$mock/v1"
  sleep 3
  row_note=" (static key, usage records)" measure gpt-4o plain
  bench_key=obs-sk-bench-5000 row_note=" (managed key, no limits, usage records)" measure gpt-4o plain
  write_keys limits
  bench_key=obs-sk-bench-5000 row_note=" (managed key, rpm, tpm and max_parallel in process, usage records)" measure gpt-4o plain
  stop_obs
  if command -v redis-server >/dev/null; then
    redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >/dev/null &
    redis_pid=$!
    sleep 0.3
    { base_config; printf 'redis_url = "redis://127.0.0.1:%s"\n' "$redis_port"; } >"$obs_config"
    start_obs "$mock/v1"
    sleep 3
    bench_key=obs-sk-bench-5000 row_note=" (managed key, rpm, tpm and max_parallel in Redis, usage records)" measure gpt-4o plain
  fi
  exit 0
fi

if [ "${ROUTING:-}" = large ]; then
  # 48 named OpenAI-kind providers besides the built-in two, and 1,000 two-target groups over them.
  obs_config="$work/large.toml"
  python3 - "$mock" >"$obs_config" <<'PY'
import sys
mock = sys.argv[1]
for p in range(48):
    print(f'[providers.p{p:02}]\nkind = "openai"\nbase_url = "{mock}/v1"\napi_key = "sk-bench"\n')
for g in range(1000):
    strategy = ["fallback", "round_robin", "weighted", "least_busy"][g % 4]
    print(f'[models.g{g:04}]\ntargets = ["p{g % 48:02}/gpt-4o", "openai/gpt-4o"]\nstrategy = "{strategy}"\n')
PY
  start_obs "$mock/v1"
  for mode in plain stream; do
    for model in gpt-4o g0500 p07/gpt-4o; do
      measure "$model" "$mode"
    done
  done
  exit 0
fi

start_obs "$mock/v1"
for mode in plain stream; do
  for model in gpt-4o anthropic.claude-3-haiku-20240307-v1:0 amazon.nova-lite-v1:0; do
    measure "$model" "$mode"
  done
done
