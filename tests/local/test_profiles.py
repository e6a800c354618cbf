"""The drill profile changes only numbers, and all of the healer's windows shrink together."""

from __future__ import annotations

from pathlib import Path

from slostack import load_spec, render
from slostack.local.profiles import apply_profile

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "checkout.slo.yaml"


def test_the_default_profile_is_the_spec_itself() -> None:
    spec = load_spec(EXAMPLE)
    assert apply_profile(spec, "default") is spec


def test_the_drill_profile_shrinks_windows_and_waits() -> None:
    drill = apply_profile(load_spec(EXAMPLE), "drill")
    assert drill.service is not None and drill.service.scrape_interval.seconds == 1
    assert {str(s.window) for s in drill.slos} == {"1h"}
    assert str(drill.healing.rate_limit.per) == "1m"
    assert all(p.attempts_window.seconds <= 30 and p.cooldown.seconds <= 10 for p in drill.healing.policies)
    assert str(drill.alerting.group_wait) == "1s" and str(drill.alerting.group_interval) == "2s"


def test_the_drill_profile_renders_the_same_artifacts_with_other_numbers() -> None:
    spec = load_spec(EXAMPLE)
    production, drill = render(spec), render(apply_profile(spec, "drill"))
    assert sorted(production) == sorted(drill)
    rules = drill["prometheus/rules/checkout.slo.rules.yml"]
    # 1h x (1h / 30d) = 5s for the first page window: the same 14.4 burn factor as production.
    assert "slo:sli_error:ratio_rate5s" in rules and "> 0.0144)" in rules
