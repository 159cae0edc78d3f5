#!/usr/bin/env bash
# A soak of obs-server in front of obs-mock on loopback, outside CI: mixed scenarios (plain, streamed, throttled,
# mid-stream errors, upstream disconnects, clients that leave mid-stream, slow answers) at concurrency 32 for
# SECONDS (default 180), then a burst of 16 concurrent 19 MB bodies. Prints requests and errors by kind, hangs
# (requests past 30 s), and obs-server's RSS before, at its peak and after each phase. Bounded: every loop stops by
# itself; every address is 127.0.0.1.
#
#   bash scripts/soak.sh                 # release builds, 3 minutes of mixed load, then the large-body burst
#   SECONDS_MIXED=600 bash scripts/soak.sh
#   BURST=1 BURST_MODEL=anthropic.claude-3-haiku-20240307-v1:0 bash scripts/soak.sh   # one large body, to Claude
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p obs-server-bin -p obs-mock-bin >&2
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
cleanup() { kill "${mock_pid:-}" "${obs_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$bin"/obs-mock --port 0 --chunks 20 --chunk-ms 2 >"$work/mock.out" &
mock_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
mock=$(sed -n 's/^listening on //p' "$work/mock.out")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env API_KEY=soak-key PORT="$port" OPENAI_API_KEY=sk-soak OPENAI_BASE_URL="$mock/v1" AWS_REGION=us-east-1 \
  BEDROCK_ENDPOINT_URL="$mock" AWS_ACCESS_KEY_ID=AKIDSOAK AWS_SECRET_ACCESS_KEY=soak-secret \
  AWS_EC2_METADATA_DISABLED=true LOG_LEVEL=warn "$bin"/obs-server >/dev/null 2>"$work/obs.err" &
obs_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.05; done

python3 - "$port" "$obs_pid" "${SECONDS_MIXED:-180}" "${BURST:-16}" "${BURST_MODEL:-gpt-4o}" <<'PY'
import collections, http.client, json, random, sys, threading, time

port, pid, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
burst, burst_model = int(sys.argv[4]), sys.argv[5]
HEADERS = {"content-type": "application/json", "authorization": "Bearer soak-key"}

def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True); self.peak = 0.0; self.stop = False
    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_mib()); time.sleep(0.05)

SCENARIOS = [
    ("openai plain", "gpt-4o", False), ("openai stream", "gpt-4o", True),
    ("claude plain", "anthropic.claude-3-haiku-20240307-v1:0", False),
    ("claude stream", "anthropic.claude-3-haiku-20240307-v1:0", True),
    ("converse stream", "amazon.nova-lite-v1:0", True),
    ("throttled", "gpt-4o-throttle", False), ("midstream error", "anthropic.claude-midstream-error", True),
    ("upstream disconnect", "gpt-4o-disconnect", True), ("slow", "gpt-4o-slow", False),
    ("client leaves mid-stream", "amazon.nova-lite-v1:0", "leave"),
]
counts, hangs, lock = collections.Counter(), [0], threading.Lock()

def one(kind, model, stream):
    body = {"model": model, "messages": [{"role": "user", "content": "soak " + kind}]}
    if stream:
        body["stream"] = True
    started = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("POST", "/v1/chat/completions", json.dumps(body), HEADERS)
        r = c.getresponse()
        if stream == "leave":
            r.read(200); c.close(); outcome = f"{r.status} left"
        else:
            data = r.read()
            tail = b"error" if b'"error"' in data[-400:] else b"ok"
            outcome = f"{r.status} {tail.decode()}"
    except TimeoutError:
        outcome = "hang"; hangs[0] += 1
    except Exception as e:
        outcome = type(e).__name__
    finally:
        c.close()
    with lock:
        counts[(kind, outcome)] += 1
    return time.time() - started

def worker(deadline):
    rng = random.Random()
    while time.time() < deadline:
        one(*rng.choice(SCENARIOS))

before = rss_mib(); sampler = Sampler(); sampler.start()
deadline = time.time() + seconds
threads = [threading.Thread(target=worker, args=(deadline,)) for _ in range(32)]
for t in threads: t.start()
for t in threads: t.join(timeout=seconds + 60)
time.sleep(2)
print(f"## Mixed load: {seconds} s at concurrency 32\n")
print("| scenario | outcome | requests |\n|---|---|---|")
for (kind, outcome), n in sorted(counts.items()):
    print(f"| {kind} | {outcome} | {n} |")
print(f"\nrequests {sum(counts.values())}, hangs {hangs[0]}; RSS before {before:.1f} MiB, peak {sampler.peak:.1f} MiB, "
      f"after {rss_mib():.1f} MiB\n")

# BURST (16) concurrent 19 MB bodies to BURST_MODEL (the hardening issue's measurement).
sampler.peak = rss_mib(); before = sampler.peak
payload = json.dumps({"model": burst_model, "messages": [{"role": "user", "content": "x" * (19 * 1024 * 1024)}]})
statuses = collections.Counter()
def big():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request("POST", "/v1/chat/completions", payload, HEADERS); r = c.getresponse(); r.read()
        statuses[r.status] += 1
    except Exception as e:
        statuses[type(e).__name__] += 1
    finally:
        c.close()
threads = [threading.Thread(target=big) for _ in range(burst)]
for t in threads: t.start()
for t in threads: t.join(timeout=120)
peak = sampler.peak
settled = []
for _ in range(10):
    time.sleep(1); settled.append(rss_mib())
sampler.stop = True
print(f"## {burst} concurrent 19 MB bodies to {burst_model}\n")
print(f"answers {dict(statuses)}; RSS before {before:.1f} MiB, peak {peak:.1f} MiB, "
      f"1 s after {settled[0]:.1f} MiB, 10 s after {settled[-1]:.1f} MiB")
PY
