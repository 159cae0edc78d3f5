"""/health while idle connections hold the connection cap (docs/benchmarks.md, issue 16): a release obs-server --demo
under `ulimit -n 256` (so server.max_connections is 96), 370 idle connections opened, then /health asked 50 times.

    cargo build --release -p obs-server-bin && python3 scripts/health-at-cap.py
"""
import socket, subprocess, time, os, sys, statistics, urllib.request
probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
env = dict(os.environ, PORT=str(port), API_KEY="k", LOG_LEVEL="warn")
obs = subprocess.Popen(["bash", "-c", "ulimit -n 256 && exec target/release/obs-server --demo"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read(); break
        except Exception:
            time.sleep(0.05)
    idle = []
    for _ in range(370):
        s = socket.socket(); s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port)); idle.append(s)
        except Exception:
            s.close()
    time.sleep(0.5)
    times, failures = [], 0
    for _ in range(50):
        t = time.perf_counter()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            times.append((time.perf_counter() - t) * 1000)
        except Exception:
            failures += 1
        time.sleep(0.02)
    times.sort()
    print(f"idle connections opened: {len(idle)}; /health: {len(times)} answered, {failures} failed; "
          f"p50 {statistics.median(times):.2f} ms, p99 {times[int(len(times)*0.99)-1]:.2f} ms, max {times[-1]:.2f} ms")
    user, system = open(f"/proc/{obs.pid}/stat").read().split()[13:15]
    print(f"obs CPU since start: {user} user + {system} system ticks")
finally:
    obs.kill()
