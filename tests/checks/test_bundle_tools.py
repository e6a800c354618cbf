"""Prometheus' and Alertmanager's own tools accept every example bundle, and routes go where they must.

promtool check config (which loads the rules too), promtool check rules, amtool check-config, the
bundle's routing cases through `amtool config routes test`, and every PromQL expression through
promtool; then the same checks catch what is broken, naming the artifact.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from slostack import conventions as names
from slostack import load_spec
from slostack.checks.amtool import test_routes as route_problems
from slostack.checks.bundle import check_bundle
from slostack.checks.consistency import syntax_problems
from slostack.render.bundle import Bundle
from slostack.render.expressions import Expression
from slostack.render.options import RenderOptions, default_endpoints
from slostack.render.pipeline import render

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def tools() -> None:
    for tool, package in (("promtool", "prometheus"), ("amtool", "prometheus-alertmanager")):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: `make test` installs the Debian package {package}")


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(RenderOptions(), id="as rendered by default"),
        pytest.param(RenderOptions(sloth_labels=True), id="with Sloth's label names"),
        pytest.param(
            RenderOptions(endpoints=default_endpoints("docker", "svc", 8080)), id="addressed for docker"
        ),
    ],
)
def test_example_bundle_passes_promtool_and_amtool(
    example: Path, options: RenderOptions, tmp_path: Path
) -> None:
    bundle = render(load_spec(example), options)
    out = bundle.write(tmp_path / "bundle")
    report = check_bundle(bundle, out)
    assert report.problems == [] and report.skipped == []
    assert route_problems(out) == []


def test_the_routing_cases_prove_page_ticket_and_unrelated_routes() -> None:
    cases = yaml.safe_load(
        render(load_spec(REPO / "examples" / "checkout.slo.yaml"))[names.ALERTMANAGER_ROUTE_TESTS]
    )
    routed = {
        (c["labels"].get("slo_severity"), c["labels"]["alertname"]): c["receivers"] for c in cases["cases"]
    }
    assert routed[("page", "CheckoutAvailabilityBurn")] == ["oncall", "healer"]
    assert routed[("ticket", "CheckoutAvailabilityBurn")] == ["oncall"]
    assert routed[(None, "Watchdog")] == ["default"]


def _written(tmp_path: Path) -> Path:
    return render(load_spec(REPO / "examples" / "checkout.slo.yaml")).write(tmp_path / "bundle")


def test_a_wrong_routing_expectation_is_reported_with_where_it_went(tmp_path: Path) -> None:
    out = _written(tmp_path)
    cases_file = out / names.ALERTMANAGER_ROUTE_TESTS
    cases = yaml.safe_load(cases_file.read_text())
    cases["cases"][0]["receivers"] = ["oncall"]
    cases_file.write_text(yaml.safe_dump(cases))
    assert route_problems(out) == [
        f"{names.ALERTMANAGER_ROUTE_TESTS}: {cases['cases'][0]['name']}: routed to oncall,healer"
    ]


@pytest.mark.parametrize(
    ("path", "old", "new", "problem"),
    [
        pytest.param(
            names.PROMETHEUS_CONFIG,
            "evaluation_interval: 15s",
            "evaluation_interval: soon",
            f"{names.PROMETHEUS_CONFIG}: promtool check config failed:",
            id="a broken Prometheus config names prometheus.yml",
        ),
        pytest.param(
            names.ALERTMANAGER_CONFIG,
            "receiver: default",
            "receiver: nobody",
            f"{names.ALERTMANAGER_CONFIG}: amtool check-config failed:",
            id="a route to an unknown receiver names alertmanager.yml",
        ),
    ],
)
def test_a_broken_config_is_reported_by_artifact(
    tmp_path: Path, path: str, old: str, new: str, problem: str
) -> None:
    out = _written(tmp_path)
    text = (out / path).read_text()
    assert old in text
    (out / path).write_text(text.replace(old, new, 1))
    report = check_bundle(Bundle.read(out), out)
    assert len(report.problems) == 1 and report.problems[0].startswith(problem), report.problems


def test_a_syntax_error_is_mapped_back_to_its_artifact_and_panel() -> None:
    good = Expression("grafana/dashboards/x.json", "panel 1 'ok', query A", "sum(rate(up[5m]))", "dashboard")
    bad = Expression(
        "grafana/dashboards/x.json", "panel 2 'broken', query B", "sum(rate(up[5m])", "dashboard"
    )
    grafana = Expression(
        "grafana/dashboards/x.json", "panel 3 'macro', query A", "rate(up[$__rate_interval])", "dashboard"
    )
    (problem,) = syntax_problems([good, bad, grafana])
    assert problem.startswith(
        "grafana/dashboards/x.json: panel 2 'broken', query B: could not parse expression"
    )


def slostack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slostack", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def _template(tmp_path: Path, expr: str) -> Path:
    packaged = REPO / "dashboards_templates" / "slo.json.j2"
    anchor = '{%- set _ = panels.append(p.row("Alerts")) -%}'
    extra = "{%- set _ = panels.append(p.stat('Extra', {'expr': " + repr(expr) + ", 'legend': ''})) -%}\n"
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "slo.json.j2").write_text(packaged.read_text().replace(anchor, extra + anchor))
    return folder


def test_render_refuses_a_dashboard_reading_an_unrecorded_rule_and_writes_nothing(tmp_path: Path) -> None:
    templates = _template(tmp_path, 'slo:nonexistent:ratio{slo_id="checkout-availability"}')
    out = tmp_path / "out"
    done = slostack("render", "examples/checkout.slo.yaml", "--out", str(out), "--templates", str(templates))
    assert done.returncode == 1
    uid = names.dashboard_uid("checkout", "availability")
    assert done.stderr.splitlines()[0] == (
        f"examples/checkout.slo.yaml: {names.dashboard_file(uid)}: panel 13 'Extra', query A: "
        "uses slo:nonexistent:ratio, which no rule in the bundle records"
    )
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_validate_runs_the_promql_syntax_check_over_the_dashboards(tmp_path: Path) -> None:
    templates = _template(tmp_path, "sum(rate(http_requests_total[5m])")
    done = slostack("validate", "examples/checkout.slo.yaml", "--templates", str(templates))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 2  # one per SLO dashboard
    dashboard = names.dashboard_file(names.dashboard_uid("checkout", "availability"))
    assert lines[0].startswith(
        f"examples/checkout.slo.yaml: {dashboard}: panel 13 'Extra', query A: could not parse expression"
    )
