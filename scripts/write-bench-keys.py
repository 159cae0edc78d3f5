"""Writes 10,000 managed keys straight into the SQLite key store obs reads (docs/benchmarks.md), and bumps the key
generation so a running obs reloads them within keys.refresh_seconds. Key i's secret is obs-sk-bench-<i>.

    python3 scripts/write-bench-keys.py <store.db> none|limits
"""
import hashlib
import sqlite3
import sys
import time

db, limits = sys.argv[1], sys.argv[2]
rpm, parallel = (10**9, 10**6) if limits == "limits" else (None, None)
tpm = 10**12 if limits == "limits" else None
now = int(time.time())
connection = sqlite3.connect(db, timeout=30)
rows = [(f"key_bench{i:019d}", hashlib.sha256(f"obs-sk-bench-{i}".encode()).hexdigest(), f"{i:04d}"[-4:], f"bench {i}",
         "bench", None, rpm, tpm, parallel, None, None, None, None, now, now, None) for i in range(10_000)]
connection.execute("DELETE FROM obs_keys")
connection.executemany("INSERT INTO obs_keys VALUES (" + ",".join("?" * 16) + ")", rows)
connection.execute("UPDATE obs_key_generation SET generation = generation + 1 WHERE id = 1")
connection.commit()
