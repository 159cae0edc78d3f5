#!/usr/bin/env bash
# Throughput of managed keys (docs/benchmarks.md): wrk -t1 -c64 -d5s against a release obs-server --demo (the
# emulator in-process) with an admin key (so usage records are on), a static key and a managed key with rpm, tpm and
# max_parallel, counted in process and then in a Redis of its own. Needs wrk and redis-server; run after
# `cargo build --release -p obs-server-bin`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
bin=target/release/obs-server
port_of() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(port_of)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >/dev/null &
redis_pid=$!
trap 'kill $redis_pid ${obs_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 0.3
run() { # $1 label, $2 extra env
  port=$(port_of)
  env API_KEY=bench-key ADMIN_API_KEY=bench-admin PORT=$port LOG_LEVEL=warn $2 $bin --demo >/dev/null 2>&1 &
  obs_pid=$!
  for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.05; done
  key=$(curl -s localhost:$port/obs/keys -H 'authorization: Bearer bench-admin' -d '{"name":"b","rpm":1000000000,"tpm":1000000000000,"max_parallel":100000}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  for k in bench-key "$key"; do
    BENCH_KEY=$k wrk -t1 -c64 -d2s -s scripts/keys-load.lua http://127.0.0.1:$port/v1/chat/completions >/dev/null
    rps=$(BENCH_KEY=$k wrk -t1 -c64 -d5s --latency -s scripts/keys-load.lua http://127.0.0.1:$port/v1/chat/completions | awk '/Requests\/sec/ {print $2} /^ *50%/ {p50=$2} END {print p50}' | paste -sd' ')
    echo "| $1 | $([ "$k" = bench-key ] && echo static || echo managed) | $rps |"
  done
  kill $obs_pid; wait $obs_pid 2>/dev/null || true
}
echo "| limits counted | key | req/s @64 | p50 |"
echo "|---|---|---|---|"
run "in process" ""
run "in Redis" "REDIS_URL=redis://127.0.0.1:$redis_port"
