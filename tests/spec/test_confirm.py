"""`confirm` / `confirm_for` on a healing policy: on by default for `auto`, off for explicit ladders,
12 scrape intervals long unless given, and rendered with the SLI's 4-scrape "now" ratio."""

from __future__ import annotations

import pytest

from slostack.local.profiles import apply_profile
from slostack.render.healer_policy import policy_model
from slostack.render.options import RenderOptions
from slostack.spec import SpecError, load_spec_text

from .good import good_spec

F = "checkout.slo.yaml"
POLICY = "      action: rollback\n"


def confirm_for(policy_lines: str) -> str | None:
    spec = load_spec_text(good_spec(POLICY, policy_lines), F)
    value = spec.healing.policies[0].confirm_for
    return None if value is None else str(value)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(POLICY, None, id="an explicit ladder acts at once"),
        pytest.param("      action: auto\n", "3m", id="auto watches 12 scrapes of 15s"),
        pytest.param("      action: auto\n      confirm: false\n", None, id="auto can act at once"),
        pytest.param("      action: auto\n      confirm_for: 45s\n", "45s", id="a given length wins"),
        pytest.param(POLICY + "      confirm: true\n", "3m", id="an explicit ladder can watch"),
        pytest.param(POLICY + "      confirm_for: 30s\n", "30s", id="confirm_for alone turns it on"),
    ],
)
def test_confirm_defaults(lines: str, expected: str | None) -> None:
    assert confirm_for(lines) == expected


def test_confirm_for_with_confirm_false_is_refused_at_its_line() -> None:
    text = good_spec(POLICY, "      action: auto\n      confirm: false\n      confirm_for: 30s\n")
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, F)
    why = "has no effect with `confirm: false`; drop one of the two"
    assert [str(p) for p in caught.value.problems] == [f"{F}:34:20: healing.policies[0].confirm_for: {why}"]


def test_the_drill_profile_keeps_twelve_scrapes_and_the_now_query_uses_four() -> None:
    spec = load_spec_text(good_spec(POLICY, "      action: auto\n"), F)
    drill = apply_profile(spec, "drill")
    assert str(drill.healing.policies[0].confirm_for) == "12s"
    checks = policy_model(drill, RenderOptions()).slos
    assert "[4s]" in (checks["availability"].now_query or "")
    assert "[1m]" in (policy_model(spec, RenderOptions()).slos["latency"].now_query or "")
