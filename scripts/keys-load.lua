wrk.method = "POST"
wrk.body = '{"model":"gpt-4o","messages":[{"role":"user","content":"hello benchmark"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
