"""The overview: is the API up, how busy, how many errors, how fast, per route; how much
of its SLOs' error budgets is left and how fast it burns; the storage's readiness, errors
and connection pool; how many backend replicas answer.

Request figures come from the recording rules (monitoring/prometheus/rules/recording.yml,
and slo.yml for the API's and the SLOs'), computed once per evaluation for every route,
not per panel and per viewer."""

from grafana_foundation_sdk.builders.dashboard import QueryVariable, Row
from grafana_foundation_sdk.models.dashboard import VariableOption, VariableRefresh, VariableSort

from .common import (
    DATASOURCE,
    RATE_INTERVAL,
    Dashboard,
    Stat,
    Timeseries,
    dashboard,
    stat,
    timeseries,
)

UID = "tasks-overview"
ROUTE = 'route=~"$route"'


def build() -> Dashboard:
    return (
        dashboard(
            UID,
            "Task list: overview",
            "The API's traffic, errors and response times per route; storage and replicas.",
        )
        .with_variable(
            QueryVariable("route")
            .label("Route")
            .description("Route templates that served requests in the last 5 minutes.")
            .datasource(DATASOURCE)
            .query("label_values(route:http_requests:rate5m, route)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .current(VariableOption(text="All", value="$__all"))
        )
        .with_row(Row("Service"))
        .with_panel(
            stat(
                "Backend replicas up",
                "Backend replicas that answered Prometheus's last scrape (up == 1), of all "
                "those discovered by DNS.",
                "none",
                'sum(up{job="backend"})',
                red_below=1,
            )
        )
        .with_panel(
            stat(
                "Storage ready",
                "1 when every replica's storage answered its last check (what "
                "/api/health/ready reports); 0 when one did not.",
                "none",
                "min(tasks_store_ready)",
                red_below=1,
            )
        )
        .with_panel(
            stat(
                "Requests per second",
                "The API's requests answered per second, every API route and replica "
                "together, health checks and scrapes left out (5 minutes).",
                "reqps",
                "api:http_requests:rate5m",
            )
        )
        .with_panel(
            stat(
                "Server errors (5xx)",
                "Share of the API's requests answered with a 5xx over 5 minutes (health "
                "checks and scrapes left out); red above the 0.5% the availability SLO "
                "allows.",
                "percentunit",
                "api:http_requests_5xx:ratio_rate5m",
                red_above=0.005,
            )
        )
        .with_row(Row("Service level objectives"))
        .with_panel(_budget_left("api-availability", "Availability", "answered without a 5xx"))
        .with_panel(_budget_left("api-latency", "Latency", "of lists and creates within 0.5 s"))
        .with_panel(
            timeseries(
                "Error budget burn rate",
                "How fast each SLO spends its 30-day error budget: at 1 it lasts the 30 "
                "days, at 14.4 two days. Over the last hour and 6 hours: a page fires past "
                "14.4 (1 h) or 6 (6 h) while the last minutes agree.",
                "none",
                (_burn_rate("1h"), "{{slo}}, 1 h"),
                (_burn_rate("6h"), "{{slo}}, 6 h"),
            )
        )
        .with_row(Row("Requests by route"))
        .with_panel(
            timeseries(
                "Request rate",
                "Requests per second on each route template (ids never make new series).",
                "reqps",
                (f"route:http_requests:rate5m{{{ROUTE}}}", "{{route}}"),
            )
        )
        .with_panel(
            timeseries(
                "Server error ratio (5xx)",
                "Share of each route's requests answered with a 5xx, over 5 minutes.",
                "percentunit",
                (f"route:http_requests_5xx:ratio_rate5m{{{ROUTE}}}", "{{route}}"),
            )
        )
        .with_row(Row("Response time by route"))
        .with_panel(_percentile("p50", "Half of the requests are answered within this time."))
        .with_panel(_percentile("p95", "95% of the requests are answered within this time."))
        .with_panel(
            _percentile(
                "p99",
                "99% of the requests are answered within this time; the latency SLO wants "
                "99% of lists and creates within 0.5 s.",
            )
        )
        .with_row(Row("Storage and replicas"))
        .with_panel(
            timeseries(
                "Storage ready by replica",
                "1 while the replica's storage answers its checks; 0 during an outage.",
                "none",
                ("tasks_store_ready", "{{instance}}"),
                width=6,
            ).max(1)
        )
        .with_panel(
            timeseries(
                "Storage errors",
                "Requests the storage could not serve, per second: outage (database down), "
                "overload (no pooled connection came free in time), full (memory store cap).",
                "reqps",
                (
                    f"sum by (kind) (rate(tasks_store_errors_total[{RATE_INTERVAL}]))",
                    "{{kind}}",
                ),
                width=6,
            )
        )
        .with_panel(
            timeseries(
                "Connection pool",
                "PostgreSQL connections in use and requests waiting for one, every replica "
                "together, against the pools' size.",
                "none",
                ('sum(tasks_db_pool_connections{state="in_use"})', "in use"),
                ('sum(tasks_db_pool_connections{state="waiting"})', "waiting"),
                ('sum(tasks_db_pool_connections{state="max"})', "max"),
                width=6,
            )
        )
        .with_panel(
            timeseries(
                "Replicas up",
                "Each backend replica Prometheus found (by DNS): 1 when its last scrape "
                "answered, 0 when not. A replica that is gone leaves the list.",
                "none",
                ('up{job="backend"}', "{{instance}}"),
                width=6,
            ).max(1)
        )
    )


def _percentile(name: str, description: str) -> Timeseries:
    return timeseries(
        f"Response time {name}",
        description,
        "s",
        (f"route:http_request_duration_seconds:{name}_5m{{{ROUTE}}}", "{{route}}"),
        width=8,
    )


def _budget_left(slo: str, name: str, objective: str) -> Stat:
    return stat(
        f"{name} budget left",
        f"What is left of the {name.lower()} SLO's 30-day error budget ({objective}): "
        "100% untouched, 0 spent, below 0 overspent. Over the days Prometheus keeps.",
        "percentunit",
        f'slo:error_budget_remaining:ratio{{slo="{slo}"}}',
        red_below=0,
        height=8,
    )


def _burn_rate(window: str) -> str:
    """Each SLO's error ratio over `window`, as a multiple of what its budget allows."""
    return f"slo:sli_error:ratio_rate{window} / on (slo) group_left () slo:error_budget:ratio"
