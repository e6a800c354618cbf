"""Every example's rules pass `promtool check rules`, and its generated tests pass `promtool test rules`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from slostack import load_spec, render
from slostack.render.options import RenderOptions

from .conftest import EXAMPLES, run


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_rules_check_and_their_generated_tests_pass(
    example: Path, promtool: str, tmp_path: Path
) -> None:
    out = render(load_spec(example)).write(tmp_path / "bundle")
    rules = sorted(str(p) for p in (out / "prometheus/rules").glob("*.yml"))
    checked = run([promtool, "check", "rules", *rules], out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests_dir = out / "prometheus/tests"
    tested = run([promtool, "test", "rules", *[p.name for p in tests_dir.glob("*.yml")]], tests_dir)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def _spec_text(min_events: int) -> str:
    return f"""
apiVersion: slostack/v1
kind: ServiceLevels
metadata: {{name: shop}}
service: {{scrape: {{job: shop, interval: 15s}}}}
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        errors: http_requests_total{{job="shop",code=~"5.."}}
        total: http_requests_total{{job="shop"}}
    alerting: {{min_events: {min_events}}}
"""


def test_the_minimum_traffic_gate_is_what_keeps_a_lonely_failure_silent(
    promtool: str, tmp_path: Path
) -> None:
    from slostack.spec import load_spec_text

    gated = render(load_spec_text(_spec_text(10), "shop.yaml"))
    tests = yaml.safe_load(gated["prometheus/tests/shop.slo.test.yml"])
    lonely = [t for t in tests["tests"] if "one failed request" in t["name"]]
    assert len(lonely) == 1
    # The same lonely-failure case against rules WITHOUT the gate must fail: the alert would page.
    ungated = render(load_spec_text(_spec_text(0), "shop.yaml")).write(tmp_path / "ungated")
    case_file = ungated / "prometheus/tests/lonely.yml"
    case_file.write_text(yaml.safe_dump({**tests, "tests": lonely}))
    result = run([promtool, "test", "rules", "lonely.yml"], case_file.parent)
    assert result.returncode != 0
    assert 'alertname="ShopAvailabilityBurn"' in result.stdout + result.stderr

    gated_dir = gated.write(tmp_path / "gated")
    (gated_dir / "prometheus/tests/lonely.yml").write_text(yaml.safe_dump({**tests, "tests": lonely}))
    assert run([promtool, "test", "rules", "lonely.yml"], gated_dir / "prometheus/tests").returncode == 0


def test_the_period_ratio_counts_events_instead_of_averaging_ratios(promtool: str, tmp_path: Path) -> None:
    """A busy half hour at 1% errors, then a quiet half hour where every request fails.

    Counting events: 240 errors in 12,120 requests, about 2%. Averaging short-window ratios would
    say about 50%. The SLO window is 1h so the test stays small.
    """
    from slostack.spec import load_spec_text

    spec = load_spec_text(
        _spec_text(10).replace("objective: 99.9", "objective: 99.9\n    window: 1h"), "shop.yaml"
    )
    out = render(spec, RenderOptions()).write(tmp_path / "b")
    busy_ok, busy_err, quiet_err = "0+99x120", "0+1x120", "0+0x120"
    case = {
        "rule_files": ["../rules/shop.slo.rules.yml"],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    {
                        "series": 'http_requests_total{job="shop",code="200"}',
                        "values": f"{busy_ok} 11880+0x120",
                    },
                    {
                        "series": 'http_requests_total{job="shop",code="500"}',
                        "values": f"{busy_err} 121+1x119",
                    },
                    {"series": 'up{job="shop"}', "values": "1+0x240"},
                ],
                "promql_expr_test": [
                    {
                        "expr": 'slo:sli_error:ratio_rate1h{slo_id="shop-availability"} > bool 0.015',
                        "eval_time": "60m",
                        "exp_samples": [
                            {
                                "labels": '{slo_id="shop-availability",slo_name="availability",'
                                'slo_service="shop",slo_window="1h"}',
                                "value": 1,
                            }
                        ],
                    },
                    {
                        "expr": 'slo:sli_error:ratio_rate1h{slo_id="shop-availability"} < bool 0.03',
                        "eval_time": "60m",
                        "exp_samples": [
                            {
                                "labels": '{slo_id="shop-availability",slo_name="availability",'
                                'slo_service="shop",slo_window="1h"}',
                                "value": 1,
                            }
                        ],
                    },
                ],
            }
        ],
    }
    del quiet_err
    (out / "prometheus/tests/period.yml").write_text(yaml.safe_dump(case))
    result = run([promtool, "test", "rules", "period.yml"], out / "prometheus/tests")
    assert result.returncode == 0, result.stdout + result.stderr
