from __future__ import annotations

import pytest

from slostack.render.explain import explain, human_seconds
from slostack.spec import load_spec_text

from ..spec.good import good_spec


def test_explain_gives_time_to_fire_and_the_smallest_error_ratio() -> None:
    rows = [r for r in explain(load_spec_text(good_spec(), "x.yaml")) if r.slo == "availability"]
    page = rows[0]
    assert (page.tier, str(page.burn_rate), page.long, page.short) == ("page", "14.4", "1h", "5m")
    # 1h x 0.0144 = 51.84 s of total outage before the 1h ratio passes the threshold
    assert page.seconds_to_fire == pytest.approx(51.84)
    assert str(page.error_ratio_threshold) == "0.0144"
    assert [str(r.budget_spent) for r in rows] == ["0.02", "0.05", "0.10", "0.10"]


def test_a_tier_that_can_never_fire_is_reported() -> None:
    spec = load_spec_text(good_spec("objective: 99.9", "objective: 90"), "x.yaml")
    page = next(r for r in explain(spec) if r.slo == "availability")
    assert page.seconds_to_fire is None  # 14.4 x 10% = 144% errors: impossible


@pytest.mark.parametrize(
    ("seconds", "text"), [(4.8, "4.8s"), (51.84, "52s"), (259.2, "4m19s"), (None, "never")]
)
def test_human_seconds(seconds: float | None, text: str) -> None:
    assert human_seconds(seconds) == text
