"""Every PromQL expression of a bundle is one call away, and none reads a rule nobody records."""

from __future__ import annotations

from pathlib import Path

import pytest

from slostack import conventions as names
from slostack import load_spec
from slostack.render.errors import RenderError
from slostack.render.expressions import Reference, bundle_expressions, reference_problems, references
from slostack.render.healer_policy import POLICY_PATH
from slostack.render.options import RenderOptions
from slostack.render.pipeline import render
from slostack.spec.model import QuerySLI

from .conftest import bundle_of


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param("up", [Reference("up", ())], id="a bare name is a selector"),
        pytest.param(
            'slo:objective:ratio{slo_id="a-b",w=~"x|y"}',
            [Reference("slo:objective:ratio", (("slo_id", "a-b"),))],
            id="equality matchers are kept, regex matchers are not",
        ),
        pytest.param(
            'sum(rate(x{route=~"/a{1,2}"}[5m])) by (le)',
            [Reference("x", ())],
            id="braces inside a string, functions, ranges and grouping lists are not names",
        ),
        pytest.param(
            "max without (slo_window) (a:b:c > 0.1) and on(slo_id) group_left(l) d offset 5m",
            [Reference("a:b:c", ()), Reference("d", ())],
            id="aggregations, keywords and label lists are skipped",
        ),
        pytest.param(
            "rate(x[$__rate_interval]) / y[1h:5m] # z:not:this",
            [Reference("x", ()), Reference("y", ())],
            id="Grafana variables, subqueries and comments are skipped",
        ),
        pytest.param(
            '{__name__="slo:x", slo_id="q"}',
            [Reference("slo:x", (("slo_id", "q"),))],
            id="a name given as __name__ counts",
        ),
    ],
)
def test_references(expr: str, expected: list[Reference]) -> None:
    assert list(references(expr)) == expected


def test_every_expression_of_every_artifact_is_listed(example: Path) -> None:
    spec = load_spec(example)
    bundle = render(spec)
    found = bundle_expressions(bundle)
    assert {e.kind for e in found} >= {"record", "alert", "dashboard", "healer"}
    dashboard_targets = sum(
        text.count('"expr": ')
        for path, text in bundle.items()
        if path.startswith(names.GRAFANA_DASHBOARDS_DIR)
    )
    assert len([e for e in found if e.kind == "dashboard"]) == dashboard_targets
    # A verify query per SLO, and a "now" query per SLO that is not a query SLI.
    now_queries = sum(not isinstance(s.sli, QuerySLI) for s in spec.slos)
    assert len([e for e in found if e.kind == "healer"]) == len(spec.slos) + now_queries
    assert all(e.artifact in bundle and e.location and e.expr for e in found)
    assert not any("$__" in e.runnable() for e in found)


def test_runnable_replaces_grafana_interval_macros() -> None:
    (by_route,) = [e for e in bundle_expressions(bundle_of()) if "'Error ratio by route'" in e.location]
    assert "$__rate_interval" in by_route.expr
    assert "[1m]" in by_route.runnable("1m") and "$" not in by_route.runnable("1m")


def test_examples_are_consistent(example: Path) -> None:
    assert reference_problems(render(load_spec(example))) == []


def _override(tmp_path: Path, expr: str) -> RenderOptions:
    """The packaged SLO template with one more stat panel querying `expr`."""
    packaged = Path(__file__).resolve().parents[2] / "dashboards_templates" / "slo.json.j2"
    anchor = '{%- set _ = panels.append(p.row("Alerts")) -%}'
    extra = "{%- set _ = panels.append(p.stat('Extra', {'expr': " + repr(expr) + ", 'legend': ''})) -%}\n"
    (tmp_path / "slo.json.j2").write_text(packaged.read_text().replace(anchor, extra + anchor))
    return RenderOptions(templates=tmp_path)


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        pytest.param(
            'slo:nonexistent:ratio{slo_id="checkout-availability"}',
            "uses slo:nonexistent:ratio, which no rule in the bundle records",
            id="a dashboard querying a rule nobody records is a render error",
        ),
        pytest.param(
            'slo:objective:ratio{slo_id="checkout-availabilty"}',
            'slo:objective:ratio{slo_id="checkout-availabilty"} matches no recorded series '
            "(slo_id is one of: checkout-availability, checkout-latency)",
            id="a typo in an SLO id is a render error",
        ),
    ],
)
def test_a_dashboard_reading_what_no_rule_records_is_refused(tmp_path: Path, expr: str, problem: str) -> None:
    with pytest.raises(RenderError) as caught:
        bundle_of(options=_override(tmp_path, expr))
    uid = names.dashboard_uid("checkout", "availability")
    assert caught.value.problems[0] == f"{names.dashboard_file(uid)}: panel 13 'Extra', query A: {problem}"
    assert len(caught.value.problems) == 2  # one per SLO dashboard, each on its own line


def test_a_query_slis_own_input_rules_are_not_the_bundles_to_record() -> None:
    bundle = bundle_of(
        (
            'events:\n        errors: http_requests_total{job="checkout",code=~"5.."}\n'
            '        total: http_requests_total{job="checkout"}',
            "query:\n        error_ratio: 'job:http_errors:ratio_rate{{window}}{job=\"checkout\"}'",
        )
    )
    assert reference_problems(bundle) == []


def test_the_healer_verification_queries_are_checked_too() -> None:
    bundle = dict(bundle_of())
    bundle[POLICY_PATH] = bundle[POLICY_PATH].replace(
        "slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate7m"
    )
    problems = reference_problems(bundle)
    assert problems and all(p.startswith(f"{POLICY_PATH}: slos.") for p in problems)
    assert "uses slo:sli_error:ratio_rate7m" in problems[0]
