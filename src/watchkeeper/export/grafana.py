"""Grafana dashboards (JSON) of the views in :mod:`.grafana_views`, built with Grafana's
``grafana-foundation-sdk`` — the build for Grafana 11.6 (``1769699379!11.6.0``), so the
dashboards use that release's schema (``schemaVersion`` 41) and import into Grafana 11.6 and
later.

Each dashboard has a ``datasource`` variable (any Prometheus that scrapes watchkeeper), the
query variables of its view (``label_values`` over the exported series), and an annotation
marking firing alerts from the ``ALERTS`` series of the Prometheus that evaluates the generated
rules. The SDK's annotation model lacks the Prometheus annotation fields, so ``titleFormat``,
``textFormat``, ``tagKeys`` and ``step`` are added to its JSON.

>>> import json
>>> from watchkeeper.export.grafana_views import views
>>> from watchkeeper.settings import parse_service_config
>>> view = views(parse_service_config({"models": {"m": {"task": "regression"}}}))[0]
>>> board = dashboard_json(view)
>>> board["uid"], [v["name"] for v in board["templating"]["list"]]
('watchkeeper-engineering', ['datasource', 'model', 'window'])
>>> board["annotations"]["list"][0]["expr"]
'ALERTS{alertstate="firing", model=~"$model"}'
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard as sdk
from grafana_foundation_sdk.builders import heatmap, prometheus, stat, statetimeline, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from watchkeeper.export.grafana_views import Panel, View

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
# name: (label, query, multi-value with "All" as .+)
VARIABLES = {
    "model": ("Model", "label_values(watchkeeper_monitor_status, model)", True),
    "window": ("Window", 'label_values(watchkeeper_monitor_status{model=~"$model"}, '
               'window)', False),
    "model_version": ("Model version", 'label_values(watchkeeper_window_predictions'
                      '{model=~"$model", model_version!=""}, model_version)', True),
    "segment": ("Segment", 'label_values(watchkeeper_monitor_status{model=~"$model", '
                'segment!=""}, segment)', False),
    "segment_value": ("Segment value", 'label_values(watchkeeper_monitor_status'
                      '{model=~"$model", segment="$segment"}, segment_value)', True),
    "kpi": ("KPI", 'label_values(watchkeeper_business_kpi{model=~"$model"}, kpi)', True),
}  # fmt: skip
ALERTS_ANNOTATION = {
    "titleFormat": "{{alertname}}",
    "textFormat": "{{severity}}: {{model}} {{feature}} {{kpi}}",
    "tagKeys": "severity,model",
    "step": "60s",
    "useValueForTime": False,
}
WIDTH = {"timeseries": 12, "heatmap": 12, "state": 12, "stat": 6}


def dashboard_json(view: View) -> dict[str, Any]:
    """The dashboard as a JSON object."""
    board = (
        sdk.Dashboard(view.title)
        .uid(view.uid)
        .description(view.description)
        .tags(["watchkeeper", view.name])
        .time("now-7d", "now")
        .refresh("5m")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
    )
    for name in view.variables:
        board = board.with_variable(_variable(name))
    board = board.annotation(
        sdk.AnnotationQuery()
        .name("Firing alerts")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("red")
        .expr('ALERTS{alertstate="firing", model=~"$model"}')
    )
    panel_id = 0
    for row in view.rows:
        panel_id += 1
        board = board.with_row(sdk.Row(row.title).id(panel_id))
        for panel in row.panels:
            panel_id += 1
            board = board.with_panel(_panel(panel, panel_id))
    data: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for annotation in data["annotations"]["list"]:
        annotation.update(ALERTS_ANNOTATION)
    return data


def render_dashboard(view: View) -> str:
    return json.dumps(dashboard_json(view), indent=2) + "\n"


def _variable(name: str) -> Any:
    if name == "datasource":
        return sdk.DatasourceVariable("datasource").label("Data source").type("prometheus")
    label, query, multi = VARIABLES[name]
    variable = (
        sdk.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )
    if multi:
        variable = variable.multi(True).include_all(True).all_value(".+")
    return variable


def _panel(spec: Panel, panel_id: int) -> Any:
    builder: Any
    if spec.kind == "heatmap":
        builder = heatmap.Panel().calculate(False)
    elif spec.kind == "state":
        builder = statetimeline.Panel()
    elif spec.kind == "stat":
        builder = stat.Panel()
    else:
        builder = timeseries.Panel()
    builder = (
        builder.id(panel_id)
        .title(spec.title)
        .datasource(DATASOURCE)
        .span(WIDTH[spec.kind])
        .height(8)
    )
    if spec.description:
        builder = builder.description(spec.description)
    if spec.unit:
        builder = builder.unit(spec.unit)
    if spec.mappings:
        options = {
            str(value): model.ValueMappingResult(text=text, color=color, index=i)
            for i, (text, value, color) in enumerate(spec.mappings)
        }
        builder = builder.mappings([model.ValueMap(options=options)])
    for i, query in enumerate(spec.queries):
        builder = builder.with_target(
            prometheus.Dataquery()
            .expr(query.expr)
            .legend_format(query.legend)
            .ref_id(chr(ord("A") + i))
            .datasource(DATASOURCE)
        )
    return builder
