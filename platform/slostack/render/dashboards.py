"""Grafana dashboards: a service overview and one dashboard per SLO, from Jinja2 templates.

The templates (`dashboards_templates/`, overridable by name with `--templates`) choose panels and
sizes; this module gives them the queries (`dashboard_queries.py`), then parses what they produced
and finishes it the same way for every template: panels flowed into place, ids and refIds numbered,
the `${datasource}` variable set on every panel and target. A template that yields broken JSON or a
broken layout is a render error naming the file, never a dashboard Grafana half-loads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .. import conventions as names
from ..spec.durations import Duration
from ..spec.model import SLO, Spec
from .dashboard_queries import healer_annotation, label_names, service_queries, slo_queries
from .errors import RenderError
from .json_text import json_document
from .options import RenderOptions
from .templates import render_template
from .windows import burn_plan

__all__ = [
    "GRID_WIDTH",
    "OVERVIEW_TEMPLATE",
    "SLO_TEMPLATE",
    "dashboard_problems",
    "finish_dashboard",
    "render_dashboards",
]

OVERVIEW_TEMPLATE = "service_overview.json.j2"
SLO_TEMPLATE = "slo.json.j2"
SCHEMA_VERSION = 39  # Grafana 10.4 / 11
GRID_WIDTH = 24  # Grafana's grid is 24 columns wide
_DAY = Duration.parse("1d")


def _datasource_ref() -> dict[str, str]:
    return {"type": "prometheus", "uid": "${" + names.GRAFANA_DATASOURCE_VARIABLE + "}"}


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def _flow(panels: list[dict[str, Any]]) -> None:
    """Place panels that give only w/h like words in a paragraph; rows start a new line."""
    if all({"x", "y"} <= set(p.get("gridPos", {})) for p in panels):
        return  # the template placed every panel itself
    x = y = line_height = 0
    for panel in panels:
        size = panel.get("gridPos", {})
        w, h = size.get("w", GRID_WIDTH), size.get("h", 8)
        is_row = panel.get("type") == "row"
        if is_row or x + w > GRID_WIDTH:
            x, y, line_height = 0, y + line_height, 0
        panel["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x, line_height = x + w, max(line_height, h)
        if is_row:
            x, y, line_height = 0, y + h, 0


def _number(dashboard: dict[str, Any]) -> None:
    """Give panels without an id the lowest free one, and put `id` first where people look for it."""
    taken = {p["id"] for p in _panels(dashboard) if isinstance(p.get("id"), int)}
    free = (n for n in range(1, 10_000) if n not in taken)

    def numbered(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for panel in panels:
            panel = {"id": panel["id"] if "id" in panel else next(free), **panel}
            if "panels" in panel:
                panel["panels"] = numbered(panel["panels"])
            out.append(panel)
        return out

    dashboard["panels"] = numbered(dashboard["panels"])


def finish_dashboard(dashboard: dict[str, Any]) -> dict[str, Any]:
    """Lay out, number and point every query at `${datasource}` (what a template did not say itself)."""
    _flow(dashboard.setdefault("panels", []))
    _number(dashboard)
    for panel in _panels(dashboard):
        if panel.get("type") == "row":
            continue
        panel.setdefault("datasource", _datasource_ref())
        for i, target in enumerate(panel.get("targets", [])):
            target.setdefault("refId", chr(ord("A") + i))
            target.setdefault("datasource", _datasource_ref())
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation:
            annotation.setdefault("datasource", _datasource_ref())
    return dashboard


def _overlaps(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def dashboard_problems(dashboard: dict[str, Any]) -> list[str]:
    """What would make Grafana reject or mangle the dashboard, or pin it to one data source."""
    problems: list[str] = []
    if not isinstance(dashboard.get("schemaVersion"), int):
        problems.append("schemaVersion is missing")
    if not dashboard.get("uid") or not dashboard.get("title"):
        problems.append("uid and title are required")
    variables = [v.get("name") for v in dashboard.get("templating", {}).get("list", [])]
    if names.GRAFANA_DATASOURCE_VARIABLE not in variables:
        problems.append(f"no ${names.GRAFANA_DATASOURCE_VARIABLE} template variable")
    wanted = _datasource_ref()["uid"]
    seen_ids: set[int] = set()
    placed: list[tuple[str, dict[str, int]]] = []
    for panel in _panels(dashboard):
        label = f"panel {panel.get('id')} {panel.get('title', '')!r}"
        if panel.get("id") in seen_ids:
            problems.append(f"{label}: duplicate panel id")
        seen_ids.add(panel["id"])
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            problems.append(f"{label}: gridPos needs integer x, y, w, h")
            continue
        if grid["x"] < 0 or grid["x"] + grid["w"] > GRID_WIDTH:
            problems.append(f"{label}: wider than the {GRID_WIDTH}-column grid")
        for other_label, other in placed:
            if _overlaps(grid, other):
                problems.append(f"{label}: overlaps {other_label}")
        placed.append((label, grid))
        if panel.get("type") == "row":
            continue
        refs = [panel.get("datasource", {})] + [t.get("datasource", {}) for t in panel.get("targets", [])]
        if any(ref.get("uid") != wanted for ref in refs):
            problems.append(f"{label}: a target does not use the {wanted} data source variable")
        if not panel.get("targets"):
            problems.append(f"{label}: no query")
    return problems


def _build(template: str, path: str, options: RenderOptions, **context: Any) -> str:
    text = render_template(template, options.templates, **context)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RenderError(
            f"{path}: template {template} did not give JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise RenderError(f"{path}: template {template} must give a JSON object (a dashboard)")
    dashboard = finish_dashboard(data)
    problems = dashboard_problems(dashboard)
    if problems:
        raise RenderError(*(f"{path}: {problem}" for problem in problems))
    return json_document(dashboard)


def _common(spec: Spec, options: RenderOptions) -> dict[str, Any]:
    return {
        "spec": spec,
        "labels": label_names(options),
        "datasource": {
            "variable": names.GRAFANA_DATASOURCE_VARIABLE,
            "uid": names.GRAFANA_DATASOURCE_UID,
            "name": names.GRAFANA_DATASOURCE_NAME,
        },
        "healer": healer_annotation(spec),
        "tags": ["slostack", spec.name],
    }


def _slo_dashboard(spec: Spec, slo: SLO, options: RenderOptions) -> tuple[str, str]:
    uid = names.dashboard_uid(spec.name, slo.name)
    path = names.dashboard_file(uid)
    plan = burn_plan(slo, spec.scrape_interval)
    text = _build(
        SLO_TEMPLATE,
        path,
        options,
        **_common(spec, options),
        slo=slo,
        uid=uid,
        title=f"{spec.name} / {slo.name} SLO",
        time_from=f"now-{min(slo.window, _DAY)}",
        q=slo_queries(spec, slo, options),
        objective_ratio=slo.objective_ratio,
        first_page_factor=plan.tier("page")[0].factor if plan.tier("page") else plan.alerts[0].factor,
        links=[{"title": f"{spec.name} overview", "uid": names.dashboard_uid(spec.name)}],
    )
    return path, text


def render_dashboards(spec: Spec, options: RenderOptions) -> dict[str, str]:
    uid = names.dashboard_uid(spec.name)
    path = names.dashboard_file(uid)
    files = {
        path: _build(
            OVERVIEW_TEMPLATE,
            path,
            options,
            **_common(spec, options),
            uid=uid,
            title=f"{spec.name} service overview",
            time_from="now-3h",
            q=service_queries(spec, options),
            links=[
                {"title": f"SLO: {s.name}", "uid": names.dashboard_uid(spec.name, s.name)} for s in spec.slos
            ],
        )
    }
    for slo in spec.slos:
        slo_path, text = _slo_dashboard(spec, slo, options)
        files[slo_path] = text
    return files
