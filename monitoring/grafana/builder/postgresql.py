"""PostgreSQL: is it up, its connections against the limit, transactions per second, the
database's size, and how full its volume is (the PostgreSQL exporter and the volume
exporter, monitoring/prometheus/prometheus.yml)."""

from grafana_foundation_sdk.builders.dashboard import QueryVariable, Row
from grafana_foundation_sdk.models.dashboard import VariableOption, VariableRefresh

from .common import DATASOURCE, RATE_INTERVAL, VOLUME, Dashboard, dashboard, stat, timeseries

UID = "tasks-postgresql"
DATABASE = 'datname="$database"'


def build() -> Dashboard:
    return (
        dashboard(
            UID,
            "Task list: PostgreSQL",
            "PostgreSQL's connections, transactions and size, and its volume's free space.",
        )
        .with_variable(
            QueryVariable("database")
            .label("Database")
            .description("The databases PostgreSQL reports a size for.")
            .datasource(DATASOURCE)
            .query("label_values(pg_database_size_bytes, datname)")
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
            .current(VariableOption(text="tasks", value="tasks"))
        )
        .with_row(Row("Server"))
        .with_panel(
            stat(
                "PostgreSQL up",
                "1 when the exporter reached PostgreSQL at its last scrape.",
                "none",
                "pg_up",
                red_below=1,
            )
        )
        .with_panel(
            stat(
                "Connections in use",
                "Connections open to the server (every database and state), of "
                "max_connections; new ones are refused at 100%.",
                "percentunit",
                "sum(pg_stat_activity_count) / max(pg_settings_max_connections)",
                red_above=0.8,
            )
        )
        .with_panel(
            stat(
                "Database size",
                "The selected database on disk.",
                "bytes",
                f"pg_database_size_bytes{{{DATABASE}}}",
            )
        )
        .with_panel(
            stat(
                "Volume used",
                "How full the PostgreSQL volume's file system is; the "
                "PostgresVolumeAlmostFull alert fires under 10% free.",
                "percentunit",
                f"1 - node_filesystem_avail_bytes{{{VOLUME}}}"
                f" / node_filesystem_size_bytes{{{VOLUME}}}",
                red_above=0.9,
            ).max(1)
        )
        .with_row(Row("Activity"))
        .with_panel(
            timeseries(
                "Connections by state",
                "The selected database's connections: active (running a query), idle, "
                "idle in transaction (holding locks: watch this one).",
                "none",
                (f"sum by (state) (pg_stat_activity_count{{{DATABASE}}})", "{{state}}"),
            )
        )
        .with_panel(
            timeseries(
                "Transactions per second",
                "Commits and rollbacks in the selected database.",
                "ops",
                (
                    f"rate(pg_stat_database_xact_commit{{{DATABASE}}}[{RATE_INTERVAL}])",
                    "commits",
                ),
                (
                    f"rate(pg_stat_database_xact_rollback{{{DATABASE}}}[{RATE_INTERVAL}])",
                    "rollbacks",
                ),
            )
        )
        .with_row(Row("Storage"))
        .with_panel(
            timeseries(
                "Database size over time",
                "The selected database on disk: how fast it grows.",
                "bytes",
                (f"pg_database_size_bytes{{{DATABASE}}}", "{{datname}}"),
            )
        )
        .with_panel(
            timeseries(
                "Volume free space",
                "Free bytes on the PostgreSQL volume, against its size. PostgreSQL stops "
                "writing when it is full; PostgresVolumeFillingUp warns a day ahead.",
                "bytes",
                (f"node_filesystem_avail_bytes{{{VOLUME}}}", "free"),
                (f"node_filesystem_size_bytes{{{VOLUME}}}", "size"),
            )
        )
    )
