"""What every dashboard shares: the Prometheus data source, panel defaults, and the
metric selectors that more than one panel reads."""

import warnings
from typing import TypeVar

from grafana_foundation_sdk.builders.common import (
    ReduceDataOptions,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery as PrometheusQuery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    DataSourceRef,
    LegendDisplayMode,
    LegendPlacement,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    Threshold,
    ThresholdsMode,
    VariableOption,
)

with warnings.catch_warnings():
    # The SDK steers new code to the v2 dashboard resource, which Grafana's file
    # provisioning does not read yet: these are classic (v1) dashboards on purpose.
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders.dashboard import (
        Dashboard,
        DashboardLink,
        DatasourceVariable,
        ThresholdsConfig,
    )

__all__ = ["Dashboard", "Stat", "Timeseries", "dashboard", "query", "stat", "timeseries"]

# The data source is a variable (picked from the Prometheus data sources, the provisioned
# one by default), so that the same JSON can be imported into another Grafana.
DATASOURCE_VARIABLE = "datasource"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}")
# Grafana's rate window: four scrape intervals at least (the data source's timeInterval),
# so that rate() always has two samples, whatever the zoom.
RATE_INTERVAL = "$__rate_interval"
# The PostgreSQL volume's file system, as the volume exporter sees it.
VOLUME = 'job="postgres-volume", mountpoint="/var/lib/postgresql/data"'


def dashboard(uid: str, title: str, description: str) -> Dashboard:
    """A dashboard with the house defaults: the last hour, refreshed every 30 s, one
    crosshair across panels, and the data source variable."""
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["tasks"])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .readonly()  # provisioned from files: change the code, not the UI
        # A menu of the other dashboards of the task list (those tagged "tasks").
        .link(
            DashboardLink("Task list")
            .type(DashboardLinkType.DASHBOARDS)
            .tags(["tasks"])
            .as_dropdown(True)
            .keep_time(True)
        )
        .with_variable(
            DatasourceVariable(DATASOURCE_VARIABLE)
            .label("Data source")
            .type("prometheus")
            .current(VariableOption(text="Prometheus", value="prometheus"))
        )
    )


def query(expr: str, legend: str, ref_id: str = "A") -> PrometheusQuery:
    """One PromQL expression; `legend` names each series, e.g. "{{route}}"."""
    return PrometheusQuery().expr(expr).legend_format(legend).ref_id(ref_id)


def _ref_ids(queries: tuple[tuple[str, str], ...]) -> list[PrometheusQuery]:
    return [query(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)]


Visual = TypeVar("Visual", Timeseries, Stat)


def _framed(
    panel: Visual, title: str, description: str, unit: str, width: int, height: int
) -> Visual:
    """`panel` with what every panel has: title, description, data source, unit, size."""
    return (
        panel.title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
    )


def timeseries(
    title: str,
    description: str,
    unit: str,
    *queries: tuple[str, str],
    width: int = 12,
    height: int = 8,
    minimum: float | None = 0,
) -> Timeseries:
    """A graph over time of each (expr, legend) query, its legend as a table at the bottom."""
    panel = (
        _framed(Timeseries(), title, description, unit, width, height)
        .line_width(1)
        .fill_opacity(10)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "max", "lastNotNull"])
        )
        .tooltip(VizTooltipOptions().mode(TooltipDisplayMode.MULTI))
    )
    if minimum is not None:
        panel = panel.min(minimum)
    for target in _ref_ids(queries):
        panel = panel.with_target(target)
    return panel


def stat(
    title: str,
    description: str,
    unit: str,
    expr: str,
    *,
    red_below: float | None = None,
    red_above: float | None = None,
    width: int = 6,
    height: int = 4,
) -> Stat:
    """The latest value of one query, green, or red past a threshold."""
    if red_below is not None:
        steps = [Threshold(color="red", value=None), Threshold(color="green", value=red_below)]
    elif red_above is not None:
        steps = [Threshold(color="green", value=None), Threshold(color="red", value=red_above)]
    else:
        steps = [Threshold(color="green", value=None)]
    return (
        _framed(Stat(), title, description, unit, width, height)
        .color_mode(BigValueColorMode.BACKGROUND)
        .graph_mode(BigValueGraphMode.AREA)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
        .thresholds(ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps))
        .with_target(query(expr, title))
    )
