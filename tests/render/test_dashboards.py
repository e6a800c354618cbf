"""Grafana dashboards: structure Grafana accepts, queries from the rules and the burn plan, and
template overrides that break them refused with a message naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from slostack import conventions as names
from slostack import load_spec
from slostack.render.dashboards import GRID_WIDTH, finish_dashboard
from slostack.render.errors import RenderError
from slostack.render.options import RenderOptions
from slostack.render.pipeline import render
from slostack.render.windows import burn_plan

from .conftest import NO_HEALER, bundle_of, spec_of

DATASOURCE = "${" + names.GRAFANA_DATASOURCE_VARIABLE + "}"


def dashboards(bundle: Any) -> dict[str, dict[str, Any]]:
    return {
        path: json.loads(text)
        for path, text in bundle.items()
        if path.startswith(names.GRAFANA_DASHBOARDS_DIR + "/")
    }


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(dashboard["panels"])
    for panel in dashboard["panels"]:
        found.extend(panel.get("panels", []))
    return found


def by_title(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["title"]: p for p in panels(dashboard)}


def overlap(a: dict[str, int], b: dict[str, int]) -> bool:
    return not (
        a["x"] + a["w"] <= b["x"]
        or b["x"] + b["w"] <= a["x"]
        or a["y"] + a["h"] <= b["y"]
        or b["y"] + b["h"] <= a["y"]
    )


def test_example_dashboards_are_structurally_sound(example: Path) -> None:
    spec = load_spec(example)
    found = dashboards(render(spec))
    uids = [names.dashboard_uid(spec.name)] + [names.dashboard_uid(spec.name, s.name) for s in spec.slos]
    assert sorted(found) == sorted(names.dashboard_file(uid) for uid in uids)
    for path, dashboard in found.items():
        assert dashboard["uid"] == path.rsplit("/", 1)[1].removesuffix(".json")
        assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables[names.GRAFANA_DATASOURCE_VARIABLE]["type"] == "datasource"
        ids = [p["id"] for p in panels(dashboard)]
        assert len(ids) == len(set(ids)), f"{path}: duplicate panel ids"
        grids = [p["gridPos"] for p in panels(dashboard)]
        for i, grid in enumerate(grids):
            assert grid["x"] >= 0 and grid["x"] + grid["w"] <= GRID_WIDTH, (path, grid)
            assert not any(overlap(grid, other) for other in grids[:i]), f"{path}: {grid} overlaps"
        for panel in panels(dashboard):
            if panel["type"] == "row":
                continue
            assert panel["targets"], f"{path}: panel {panel['title']!r} has no query"
            assert panel["datasource"]["uid"] == DATASOURCE
            for target in panel["targets"]:
                assert target["datasource"] == {"type": "prometheus", "uid": DATASOURCE}, (path, target)
        for annotation in dashboard["annotations"]["list"]:
            assert annotation["datasource"]["uid"] == DATASOURCE


def test_burn_panels_draw_the_alert_thresholds_of_the_burn_plan(example: Path) -> None:
    spec = load_spec(example)
    found = dashboards(render(spec))
    for slo in spec.slos:
        dashboard = found[names.dashboard_file(names.dashboard_uid(spec.name, slo.name))]
        plan = burn_plan(slo, spec.scrape_interval)
        enabled = [w for w in plan.alerts if getattr(slo, w.tier).enabled]
        burn = [
            p
            for p in panels(dashboard)
            if p["type"] == "timeseries" and p["title"].startswith(("page", "ticket"))
        ]
        assert len(burn) == len(enabled)
        for panel, window in zip(burn, enabled, strict=True):
            assert panel["title"].startswith(f"{window.tier}: {window.long} and {window.short}")
            steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
            assert steps[-1]["value"] == float(window.factor)
            exprs = [t["expr"] for t in panel["targets"]]
            assert names.sli_error_ratio(str(window.long)) in exprs[0]
            assert names.sli_error_ratio(str(window.short)) in exprs[1]
            assert all(names.ERROR_BUDGET in e for e in exprs)


def test_the_overview_uses_the_seed_rules_when_the_bundle_has_them() -> None:
    overview = by_title(dashboards(bundle_of())[names.dashboard_file(names.dashboard_uid("checkout"))])
    assert (
        overview["Request rate"]["targets"][0]["expr"] == f'{names.SAMPLE_APP_REQUEST_RATE}{{job="checkout"}}'
    )
    assert (
        overview["Latency p95"]["targets"][0]["expr"] == f'{names.SAMPLE_APP_LATENCY_P95}{{job="checkout"}}'
    )
    assert (
        overview["Availability"]["targets"][0]["expr"] == f'{names.SAMPLE_APP_AVAILABILITY}{{job="checkout"}}'
    )
    assert "by (route)" in overview["Error ratio by route"]["targets"][0]["expr"]
    assert 'ALERTS{slo_service="checkout"' in overview["Alerts firing"]["targets"][0]["expr"]


def test_without_the_seed_rules_the_overview_reads_the_slo_rules() -> None:
    bundle = bundle_of(("build: sample_app", "image: registry.example/checkout:1.0"))
    overview = by_title(dashboards(bundle)[names.dashboard_file(names.dashboard_uid("checkout"))])
    assert overview["Request rate"]["targets"][0]["expr"] == 'slo:sli_total:rate5m{slo_service="checkout"}'
    assert (
        overview["Availability"]["targets"][0]["expr"]
        == '1 - slo:sli_error:ratio_rate5m{slo_service="checkout"}'
    )
    # p95 from the latency SLI's histogram, every bucket of it
    latency = overview["Latency p95"]["targets"][0]["expr"]
    assert latency.startswith(
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket"
    )
    assert "le=" not in latency


@pytest.mark.parametrize(
    ("edits", "annotated"),
    [
        pytest.param((), True, id="healer actions are annotations when a healer runs"),
        pytest.param(NO_HEALER, False, id="no healer, no healer annotations"),
    ],
)
def test_healer_actions_are_annotations(edits: tuple[tuple[str, str], ...], annotated: bool) -> None:
    for dashboard in dashboards(bundle_of(*edits)).values():
        exprs = [a["expr"] for a in dashboard["annotations"]["list"]]
        assert (f"changes({names.HEALER_ACTIONS_TOTAL}" in "".join(exprs)) is annotated


def test_sloth_labels_reach_every_dashboard_query() -> None:
    for dashboard in dashboards(bundle_of(options=RenderOptions(sloth_labels=True))).values():
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                assert "slo_id" not in target["expr"] and "slo_service" not in target["expr"], target["expr"]


def test_uids_are_stable_across_renders_and_distinct_per_slo() -> None:
    first, second = dashboards(bundle_of()), dashboards(bundle_of())
    assert [d["uid"] for d in first.values()] == [d["uid"] for d in second.values()]
    assert len({d["uid"] for d in first.values()}) == 1 + len(spec_of().slos)


def test_finish_flows_panels_into_rows_and_numbers_them() -> None:
    dashboard = finish_dashboard(
        {
            "panels": [
                {"type": "stat", "gridPos": {"w": 16, "h": 4}, "targets": [{"expr": "a"}]},
                {"type": "stat", "gridPos": {"w": 16, "h": 6}, "targets": [{"expr": "b"}, {"expr": "c"}]},
                {"type": "row", "title": "r", "gridPos": {"w": 24, "h": 1}},
                {"type": "stat", "gridPos": {"w": 8, "h": 2}, "targets": [{"expr": "d"}]},
            ]
        }
    )
    assert [p["gridPos"] for p in dashboard["panels"]] == [
        {"h": 4, "w": 16, "x": 0, "y": 0},
        {"h": 6, "w": 16, "x": 0, "y": 4},
        {"h": 1, "w": 24, "x": 0, "y": 10},
        {"h": 2, "w": 8, "x": 0, "y": 11},
    ]
    assert [p["id"] for p in dashboard["panels"]] == [1, 2, 3, 4]
    assert [t["refId"] for t in dashboard["panels"][1]["targets"]] == ["A", "B"]


OVERVIEW = "service_overview.json.j2"
GOOD_PANEL = '{"type": "stat", "title": "ok", "gridPos": {"w": 6, "h": 4}, "targets": [{"expr": "up"}]}'


def _template(panels_json: str, variables: str = '{"name": "datasource", "type": "datasource"}') -> str:
    return (
        '{"uid": {{ uid | q }}, "title": {{ title | q }}, "schemaVersion": 39, '
        f'"templating": {{"list": [{variables}]}}, "panels": [{panels_json}]}}'
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            _template(GOOD_PANEL + ","),
            "did not give JSON (line 1",
            id="a template that does not give JSON is refused",
        ),
        pytest.param(
            _template(
                '{"type": "stat", "title": "a", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 4},'
                ' "targets": [{"expr": "up"}]},'
                '{"type": "stat", "title": "b", "gridPos": {"x": 6, "y": 2, "w": 12, "h": 4},'
                ' "targets": [{"expr": "up"}]}'
            ),
            "panel 2 'b': overlaps panel 1 'a'",
            id="overlapping panels are refused",
        ),
        pytest.param(
            _template(
                '{"type": "stat", "title": "pinned", "gridPos": {"w": 6, "h": 4},'
                ' "datasource": {"type": "prometheus", "uid": "prod"}, "targets": [{"expr": "up"}]}'
            ),
            "panel 1 'pinned': a target does not use the ${datasource} data source variable",
            id="a panel pinned to one data source is refused",
        ),
        pytest.param(
            _template(GOOD_PANEL, variables=""),
            "no $datasource template variable",
            id="a dashboard without the datasource variable is refused",
        ),
    ],
)
def test_a_template_override_that_breaks_a_dashboard_is_a_render_error(
    tmp_path: Path, template: str, message: str
) -> None:
    (tmp_path / OVERVIEW).write_text(template)
    with pytest.raises(RenderError) as caught:
        bundle_of(options=RenderOptions(templates=tmp_path))
    first = caught.value.problems[0]
    assert first.startswith(names.dashboard_file(names.dashboard_uid("checkout")) + ": ")
    assert message in first


def test_a_template_override_replaces_only_the_file_it_names(tmp_path: Path) -> None:
    (tmp_path / OVERVIEW).write_text(_template(GOOD_PANEL))
    found = dashboards(bundle_of(options=RenderOptions(templates=tmp_path)))
    assert [p["title"] for p in found[names.dashboard_file(names.dashboard_uid("checkout"))]["panels"]] == [
        "ok"
    ]
    slo = found[names.dashboard_file(names.dashboard_uid("checkout", "availability"))]
    assert "SLI against objective" in by_title(slo)
