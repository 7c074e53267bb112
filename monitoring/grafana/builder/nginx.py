"""nginx, in front of the API and the web app: its connections and requests, from its
stub_status counters (the nginx exporter, monitoring/prometheus/prometheus.yml).

stub_status counts every request nginx serves (static files, the API, health checks),
with no status code: the API's own errors are on the overview."""

from grafana_foundation_sdk.builders.dashboard import Row

from .common import RATE_INTERVAL, Dashboard, dashboard, stat, timeseries

UID = "tasks-nginx"


def build() -> Dashboard:
    return (
        dashboard(
            UID,
            "Task list: nginx",
            "nginx's connections and requests (stub_status).",
        )
        .with_row(Row("Server"))
        .with_panel(
            stat(
                "nginx up",
                "1 when the exporter reached nginx's stub_status at its last scrape.",
                "none",
                "nginx_up",
                red_below=1,
                width=8,
            )
        )
        .with_panel(
            stat(
                "Requests per second",
                "Every request nginx served: pages, files and the API.",
                "reqps",
                f"sum(rate(nginx_http_requests_total[{RATE_INTERVAL}]))",
                width=8,
            )
        )
        .with_panel(
            stat(
                "Active connections",
                "Client connections open now, idle keep-alive ones included.",
                "none",
                "sum(nginx_connections_active)",
                width=8,
            )
        )
        .with_row(Row("Traffic"))
        .with_panel(
            timeseries(
                "Connections",
                "Open client connections: reading a request, writing a response, or waiting "
                "(keep-alive, idle).",
                "none",
                ("sum(nginx_connections_reading)", "reading"),
                ("sum(nginx_connections_writing)", "writing"),
                ("sum(nginx_connections_waiting)", "waiting"),
            )
        )
        .with_panel(
            timeseries(
                "Requests and connections per second",
                "Requests served, connections accepted and handled; accepted above handled "
                "means connections dropped (a worker_connections limit).",
                "ops",
                (f"sum(rate(nginx_http_requests_total[{RATE_INTERVAL}]))", "requests"),
                (f"sum(rate(nginx_connections_accepted[{RATE_INTERVAL}]))", "accepted"),
                (f"sum(rate(nginx_connections_handled[{RATE_INTERVAL}]))", "handled"),
            )
        )
    )
