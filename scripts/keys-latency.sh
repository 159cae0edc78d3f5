#!/usr/bin/env bash
# Latency a managed key and usage records add to a request (docs/benchmarks.md, issue 23): one keep-alive
# connection (wrk -t1 -c1), so each figure is one request's own time with no queueing, against a release obs-server
# whose OpenAI upstream is a release obs-mock in its own process. Rows:
#   static          static keys only: no key store, no usage records;
#   static_usage    a static key, with an admin key set, so a usage record is written for every request;
#   managed_bare    a managed key of 10,000 in the SQLite store (key 5,000 sent), usage records off;
#   managed         the same with a usage record for every request;
#   limits          as managed, the key with rpm, tpm and max_parallel counted in process.
# Every measurement runs in a new obs-server process (over a fresh copy of its row's store): on a shared 2-vCPU
# machine two processes of the same build and config differ by 10-25 µs p50 for as long as they live (where their
# threads and memory landed), more than the differences measured, so a row measured in one long-lived process
# carries that process's luck. The rows take turns, $ROUNDS rounds; each row's median over the rounds is reported.
#
#   bash scripts/keys-latency.sh                   # 12 rounds of 2 s per row (needs wrk)
#   ROUNDS=20 DURATION=3 bash scripts/keys-latency.sh
#   COMPARE_BIN=/tmp/obs-server-before bash scripts/keys-latency.sh
#                                                  # every row also with another obs-server build, in the same
#                                                  # rounds (before/after figures from one run)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
cargo build --release -p obs-server-bin -p obs-mock-bin >&2
bin=${CARGO_TARGET_DIR:-target}/release
ROUNDS=${ROUNDS:-12}
DURATION=${DURATION:-2}
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

# Starts obs-server binary $1 on a new port with extra environment $2...; prints "port pid".
start_obs() {
  local port obs=$1
  shift
  port=$(port_of)
  env API_KEY=bench-key PORT="$port" OPENAI_API_KEY=sk-bench OPENAI_BASE_URL="$mock/v1" AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true LOG_LEVEL=warn "$@" "$obs" >/dev/null 2>"$work/obs-$port.err" &
  echo $! >>"$work/pids"
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.02; done
  echo "$port $!"
}
# Stops obs-server $1 and waits until it has exited. It is a child of start_obs's subshell, so once that subshell is
# gone it is reaped by whatever adopts it, which can take seconds: an exited process still listed (a zombie) counts
# as stopped.
stop_obs() {
  kill "$1" 2>/dev/null || true
  while kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; do sleep 0.02; done
}

# A config whose key store is $work/<row>.db; the store holds 10,000 managed keys ($2: none or limits) unless $2 is
# empty. The template is made once (obs creates the tables), each measurement gets a copy.
config() {
  printf '[responses]\nstore_url = "sqlite://%s/%s.db"\n' "$work" "$1" >"$work/$1.toml"
  echo "$work/$1.toml"
}
template() {
  local started
  started=$(start_obs "$bin/obs-server" ADMIN_API_KEY=bench-admin OBS_CONFIG="$(config "$1")")
  [ -n "$2" ] && python3 scripts/write-bench-keys.py "$work/$1.db" "$2"
  stop_obs "${started#* }"
  mkdir "$work/template-$1"
  mv "$work/$1".db* "$work/template-$1/"
}
template static_usage ""
template managed_bare none
template managed none
template limits limits
declare -A env key
env[static]=""
env[static_usage]="ADMIN_API_KEY=bench-admin OBS_CONFIG=$work/static_usage.toml"
env[managed_bare]="ADMIN_API_KEY=bench-admin USAGE_RECORDS=false OBS_CONFIG=$work/managed_bare.toml"
env[managed]="ADMIN_API_KEY=bench-admin OBS_CONFIG=$work/managed.toml"
env[limits]="ADMIN_API_KEY=bench-admin OBS_CONFIG=$work/limits.toml"
key[static]=bench-key
key[static_usage]=bench-key
for row in managed_bare managed limits; do key[$row]=obs-sk-bench-5000; done
rows="static static_usage managed_bare managed limits"
builds="$bin/obs-server"
[ -n "${COMPARE_BIN:-}" ] && builds="$builds $COMPARE_BIN"

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
    for build in $builds; do
      rm -f "$work/$row".db*
      [ -d "$work/template-$row" ] && cp "$work/template-$row/"* "$work/"
      # shellcheck disable=SC2086 # the row's environment is a list of words
      started=$(start_obs "$build" ${env[$row]})
      name=$row
      [ "$build" != "$bin/obs-server" ] && name="$row@compare"
      echo "$name $(measure "$row" "${started% *}" "${key[$row]}")" >>"$work/results"
      stop_obs "${started#* }"
    done
  done
  echo "round $round of $ROUNDS done" >&2
done
# Each row's median over the rounds, with the spread of its p50 (quartiles), per build.
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
for suffix, build in [("", "this build"), ("@compare", "the compare build")]:
    if "static" + suffix not in rows:
        continue
    base = statistics.median(r[0] for r in rows["static" + suffix])
    print(f"\n{build}:\n")
    print("| request | p50 | p50 quartiles | p99 | requests/s at 1 | p50 vs static |")
    print("|---|---|---|---|---|---|")
    for name in names:
        runs = rows[name + suffix]
        p50 = statistics.median(r[0] for r in runs)
        q1, _, q3 = statistics.quantiles([r[0] for r in runs], n=4) if len(runs) > 1 else (p50, p50, p50)
        p99 = statistics.median(r[1] for r in runs)
        rps = statistics.median(r[2] for r in runs)
        delta = "—" if name == "static" else f"{p50 - base:+.1f} µs"
        print(f"| {labels[name]} | {p50:.1f} µs | {q1:.0f}–{q3:.0f} µs | {p99:.1f} µs | {rps:,.0f} | {delta} |")
print(f"\nrounds: {len(rows['static'])}; all p50 (µs): " + "; ".join(
    f"{n} " + ", ".join(f"{r[0]:.1f}" for r in runs) for n, runs in rows.items()))
PY
