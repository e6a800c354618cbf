"""Rule generation as data: names, windows, thresholds, label switch, guards."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from slostack import conventions, render
from slostack.render.options import RenderOptions
from slostack.render.rules import rule_groups
from slostack.render.windows import burn_plan
from slostack.spec import load_spec_text
from slostack.spec.durations import Duration

from ..spec.good import good_spec


def _spec(old: str = "", new: str = ""):  # type: ignore[no-untyped-def]
    return load_spec_text(good_spec(old, new), "checkout.slo.yaml")


def _rules(spec, **options):  # type: ignore[no-untyped-def]
    return [r for g in rule_groups(spec, RenderOptions(**options)) for r in g.rules]


def test_recording_rule_names_follow_the_sloth_contract() -> None:
    records = {r.record for r in _rules(_spec()) if r.record}
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"):
        assert f"slo:sli_error:ratio_rate{window}" in records
    for name in (
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:time_period:days",
        "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio",
        "slo_info",
    ):
        assert name in records


@pytest.mark.parametrize(
    ("window", "page_factors"),
    [
        pytest.param("30d", ["14.4", "6"], id="a 30d SLO uses the workbook's 14.4 and 6"),
        pytest.param("28d", ["13.44", "5.6"], id="a 28d SLO keeps the budget share: 13.44 and 5.6"),
        pytest.param("7d", ["3.36", "1.4"], id="a 7d SLO pages at 3.36"),
    ],
)
def test_burn_factors_keep_each_tier_share_of_the_budget(window: str, page_factors: list[str]) -> None:
    spec = _spec("window: 30d", f"window: {window}")
    plan = burn_plan(spec.slos[0], spec.scrape_interval)
    assert [str(w.factor) for w in plan.tier("page")] == page_factors
    assert [str(w.long) for w in plan.alerts] == ["1h", "6h", "1d", "3d"]


def test_thresholds_are_exact_decimals() -> None:
    text = render(_spec())["prometheus/rules/checkout.slo.rules.yml"]
    assert "> 0.0144)" in text and "> 0.006)" in text and "> 0.003)" in text and "> 0.001)" in text
    assert "999999" not in text and "000001" not in text and "e-" not in text


def test_short_slo_windows_shrink_alert_windows_but_never_below_four_scrapes() -> None:
    spec = _spec("window: 30d", "window: 1h")
    plan = burn_plan(spec.slos[0], Duration.parse("15s"))
    assert all(w.short >= Duration.parse("1m") for w in plan.alerts)
    # 1h x 1h/30d = 5s is below 4 scrapes (1m): the window is clamped, and the factor follows from the
    # tier's budget share, 2% x 1h / 1m = 1.2, so the alert still means "2% of the budget spent".
    assert str(plan.tier("page")[0].long) == "1m"
    assert str(plan.tier("page")[0].factor) == "1.2"
    with_fast_scrapes = burn_plan(spec.slos[0], Duration.parse("1s"))
    assert (str(with_fast_scrapes.alerts[0].long), str(with_fast_scrapes.alerts[0].factor)) == ("5s", "14.4")
    assert plan.sli_windows[-1] == Duration.parse("1h")


def test_the_sloth_switch_renames_every_slo_label() -> None:
    text = render(_spec(), RenderOptions(sloth_labels=True))["prometheus/rules/checkout.slo.rules.yml"]
    for new, old in (
        ("sloth_id", "slo_id:"),
        ("sloth_service", "slo_service:"),
        ("sloth_slo", "slo_name:"),
        ("sloth_window", "slo_window:"),
    ):
        assert new in text
        assert old not in text
    assert "slo_severity" in text  # severity tiers are slostack's own, kept under either naming


def test_alerts_carry_the_contract_labels_and_an_annotation_per_tier() -> None:
    alerts = [r for r in _rules(_spec()) if r.alert == "CheckoutAvailabilityBurn"]
    assert {a.labels["slo_severity"] for a in alerts} == {"page", "ticket"}
    for alert in alerts:
        assert {"slo_id", "slo_service", "slo_name", "slo_severity", "severity", "team"} <= set(alert.labels)
        assert alert.labels["severity"] == alert.labels["slo_severity"]
        assert alert.annotations["summary"]


def test_a_tier_can_be_switched_off_and_severity_overridden() -> None:
    spec = _spec(
        "    window: 30d\n",
        "    window: 30d\n    alerting: {page: {enabled: false}, ticket: {severity: warning}}\n",
    )
    alerts = [r for r in _rules(spec) if r.alert == "CheckoutAvailabilityBurn"]
    assert [(a.labels["slo_severity"], a.labels["severity"]) for a in alerts] == [("ticket", "warning")]


def test_sli_rules_do_not_carry_metadata_labels_but_alerts_and_info_do() -> None:
    rules = _rules(_spec())
    sli = [r for r in rules if r.record and r.record.startswith("slo:sli_error:ratio_rate")]
    assert all("team" not in r.labels for r in sli)
    info = next(r for r in rules if r.record == conventions.SLO_INFO)
    assert info.labels["team"] == "payments" and info.labels["slo_objective"] == "99.9"


def test_latency_sli_selects_the_threshold_bucket() -> None:
    text = render(_spec())["prometheus/rules/checkout.slo.rules.yml"]
    assert 'http_request_duration_seconds_bucket{job="checkout",le="0.3"}' in text
    assert 'http_request_duration_seconds_bucket{job="checkout",le="+Inf"}' in text


def test_an_integer_latency_threshold_matches_both_client_spellings() -> None:
    spec = _spec("threshold: 300ms", "threshold: 1s")
    text = render(spec)["prometheus/rules/checkout.slo.rules.yml"]
    assert 'le=~"1(\\\\.0)?"' in text


def test_query_slis_substitute_the_window() -> None:
    spec = _spec(
        '      events:\n        errors: http_requests_total{job="checkout",code=~"5.."}\n'
        '        total: http_requests_total{job="checkout"}\n',
        "      query:\n        error_ratio: sum(rate(errs[{{window}}])) / sum(rate(all[{{window}}]))\n",
    )
    rules = _rules(spec)
    one_hour = next(
        r
        for r in rules
        if r.record == "slo:sli_error:ratio_rate1h" and r.labels["slo_name"] == "availability"
    )
    assert one_hour.expr == "sum(rate(errs[1h])) / sum(rate(all[1h]))"


def test_the_rule_file_is_valid_yaml_with_one_group_per_part() -> None:
    doc = yaml.safe_load(render(_spec())["prometheus/rules/checkout.slo.rules.yml"])
    names = [g["name"] for g in doc["groups"]]
    assert names[:3] == [
        "slostack-checkout-availability-sli",
        "slostack-checkout-availability-meta",
        "slostack-checkout-availability-alerts",
    ]
    assert names[-1] == "slostack-checkout-service"


def test_rendering_is_deterministic() -> None:
    assert render(_spec()).digest == render(_spec()).digest
    assert render(_spec()).digest != render(_spec("objective: 99.9", "objective: 99.95")).digest


def test_objective_keeps_its_exact_decimal() -> None:
    spec = _spec("objective: 99.9", "objective: 99.95")
    assert spec.slos[0].error_budget == Decimal("0.0005")
    assert "vector(0.0005)" in render(spec)["prometheus/rules/checkout.slo.rules.yml"]
