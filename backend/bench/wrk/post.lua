-- wrk: POST a new task on every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title": "Tâche créée par le benchmark"}'
