#!/usr/bin/env bash
# Latency a managed key adds to a request (docs/benchmarks.md, issue 23): one keep-alive connection (wrk -t1 -c1),
# so each figure is one request's own time with no queueing, against a release obs-server whose OpenAI upstream is
# a release obs-mock in its own process. Rows, measured in turn for $ROUNDS rounds (the median round is reported),
# each its own obs-server process:
#   static          static keys only: no key store, no usage records;
#   static_usage    a static key, with an admin key set, so a usage record is written for every request;
#   managed_bare    a managed key of 10,000 in the SQLite store (key 5,000 sent), usage records off;
#   managed         the same with a usage record for every request;
#   limits          as managed, the key with rpm, tpm and max_parallel counted in process.
#
#   bash scripts/keys-latency.sh               # 3 rounds of 5 s per row (needs wrk)
#   ROUNDS=5 DURATION=10 bash scripts/keys-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
cargo build --release -p obs-server-bin -p obs-mock-bin >&2
bin=${CARGO_TARGET_DIR:-target}/release
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
work=$(mktemp -d)
# Every process started is listed in $work/pids: start_obs runs in a command substitution (a subshell), where a
# shell array would not reach the cleanup.
cleanup() { xargs -r kill <"$work/pids" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port_of() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$bin/obs-mock" --port 0 >"$work/mock.out" &
echo $! >>"$work/pids"
for _ in $(seq 100); do grep -q "listening on" "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
mock=$(sed -n 's/^listening on //p' "$work/mock.out")

# Starts obs-server on a new port with extra environment $@; prints the port.
start_obs() {
  local port
  port=$(port_of)
  env API_KEY=bench-key PORT="$port" OPENAI_API_KEY=sk-bench OPENAI_BASE_URL="$mock/v1" AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true LOG_LEVEL=warn "$@" "$bin/obs-server" >/dev/null 2>"$work/obs-$port.err" &
  echo $! >>"$work/pids"
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.05; done
  echo "$port"
}

store() { # $1 name: a config whose key store is its own SQLite file
  printf '[responses]\nstore_url = "sqlite://%s/%s.db"\n[keys]\nrefresh_seconds = 1\n' "$work" "$1" >"$work/$1.toml"
  echo "$work/$1.toml"
}
declare -A port key
port[static]=$(start_obs)
key[static]=bench-key
port[static_usage]=$(start_obs ADMIN_API_KEY=bench-admin OBS_CONFIG="$(store static_usage)")
key[static_usage]=bench-key
port[managed_bare]=$(start_obs ADMIN_API_KEY=bench-admin USAGE_RECORDS=false OBS_CONFIG="$(store managed_bare)")
python3 scripts/write-bench-keys.py "$work/managed_bare.db" none
port[managed]=$(start_obs ADMIN_API_KEY=bench-admin OBS_CONFIG="$(store managed)")
python3 scripts/write-bench-keys.py "$work/managed.db" none
port[limits]=$(start_obs ADMIN_API_KEY=bench-admin OBS_CONFIG="$(store limits)")
python3 scripts/write-bench-keys.py "$work/limits.db" limits
for row in managed_bare managed limits; do key[$row]=obs-sk-bench-5000; done
rows="static static_usage managed_bare managed limits"
sleep 2 # keys.refresh_seconds = 1

# wrk's latency line in microseconds: "50%   85.00us" / "1.20ms".
micros() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v ~ /[0-9]s$/) n *= 1000000; printf "%.1f", n }'; }
# One measurement of row $1 on port $2 with key $3: "p50 p99 requests/s".
measure() {
  local out
  BENCH_KEY=$3 wrk -t1 -c1 -d1s -s scripts/keys-load.lua "http://127.0.0.1:$2/v1/chat/completions" >/dev/null
  out=$(BENCH_KEY=$3 wrk -t1 -c1 -d"${DURATION}s" --latency -s scripts/keys-load.lua "http://127.0.0.1:$2/v1/chat/completions")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1: errors from obs" >&2; echo "$out" >&2; exit 1; fi
  echo "$(micros "$(echo "$out" | awk '/^ *50%/ {print $2}')") $(micros "$(echo "$out" | awk '/^ *99%/ {print $2}')") $(echo "$out" | awk '/Requests\/sec/ {print $2}')"
}
for round in $(seq "$ROUNDS"); do
  for row in $rows; do
    echo "$row $(measure "$row" "${port[$row]}" "${key[$row]}")" >>"$work/results"
  done
  echo "round $round of $ROUNDS done" >&2
done
# The median round by p50, per row.
python3 - "$work/results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    name, p50, p99, rps = line.split()
    rows.setdefault(name, []).append((float(p50), float(p99), float(rps)))
labels = {"static": "static key, no key store, no usage records",
          "static_usage": "static key, usage records on",
          "managed_bare": "managed key of 10,000, usage records off",
          "managed": "managed key of 10,000, usage records on",
          "limits": "managed key with rpm + tpm + max_parallel in process, usage records on"}
names = ["static", "static_usage", "managed_bare", "managed", "limits"]
base = statistics.median(r[0] for r in rows["static"])
print("| request | p50 | p99 | requests/s at 1 | p50 vs static |")
print("|---|---|---|---|---|")
for name in names:
    p50 = statistics.median(r[0] for r in rows[name])
    p99 = statistics.median(r[1] for r in rows[name])
    rps = statistics.median(r[2] for r in rows[name])
    delta = "—" if name == "static" else f"{p50 - base:+.1f} µs"
    print(f"| {labels[name]} | {p50:.1f} µs | {p99:.1f} µs | {rps:,.0f} | {delta} |")
print(f"\nrounds: {len(rows['static'])}; all p50 (µs): " + "; ".join(
    f"{n} " + ", ".join(f"{r[0]:.1f}" for r in rows[n]) for n in names))
PY
