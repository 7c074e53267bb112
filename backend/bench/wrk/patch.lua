-- wrk: PATCH task 1 on every request (the benchmark's own data).
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"done": true}'
