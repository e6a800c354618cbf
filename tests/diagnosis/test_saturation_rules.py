"""The saturation alerts from `service.resources`, checked by promtool: a leak pages before the limit
(and before the SLO burns), a flat process does not; a crash loop pages, a single rollout does not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from slostack import conventions as names
from slostack.render.options import RenderOptions
from slostack.render.rules import render_rules
from slostack.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
LABELS = {
    "severity": "page",
    "slo_service": "checkout",
    "slo_severity": "page",
    "team": "payments",
    "tier": "1",
}


def _annotations(rules_text: str, alert: str) -> dict[str, str]:
    for group in yaml.safe_load(rules_text)["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                return dict(rule["annotations"])
    raise AssertionError(f"{alert} is not rendered")


def _case(series: list[dict[str, str]], at: str, alert: str, fires: bool, text: str) -> dict[str, object]:
    labels = (
        LABELS if "RestartLoop" not in alert else {**LABELS, "severity": "ticket", "slo_severity": "ticket"}
    )
    expected = [{"exp_labels": labels, "exp_annotations": _annotations(text, alert)}] if fires else []
    return {
        "interval": "15s",
        "input_series": series,
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": expected}],
    }


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_saturation_alerts_with_promtool(tmp_path: Path) -> None:
    spec = load_spec(ROOT / "examples" / "checkout.slo.yaml")
    (path, text), *_ = render_rules(spec, RenderOptions()).items()
    rules = tmp_path / "rules.yml"
    rules.write_text(text, encoding="utf-8")
    rss = 'process_resident_memory_bytes{job="checkout",instance="a"}'
    start = 'process_start_time_seconds{job="checkout",instance="a"}'
    exhaustion = names.memory_exhaustion_alert_name("checkout")
    loop = names.restart_loop_alert_name("checkout")
    tests = {
        "rule_files": [str(rules)],
        "evaluation_interval": "15s",
        "tests": [
            # 3 MB every 15s from 150 MB: 330 MB predicted in 15 min (limit 256Mi), still under 90%.
            _case([{"series": rss, "values": "150000000+3000000x40"}], "8m", exhaustion, True, text),
            _case([{"series": rss, "values": "150000000+0x40"}], "8m", exhaustion, False, text),
            # Growing fast but far below half the limit: a process warming up.
            _case([{"series": rss, "values": "20000000+1000000x40"}], "8m", exhaustion, False, text),
            _case(
                [{"series": start, "values": "100 100 200 200 300 300 400 400 400 400"}],
                "2m",
                loop,
                True,
                text,
            ),
            _case(
                [{"series": start, "values": "100 100 200 200 200 200 200 200 200 200"}],
                "2m",
                loop,
                False,
                text,
            ),
        ],
    }
    test_file = tmp_path / "saturation.test.yml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
    run = subprocess.run(
        ["promtool", "test", "rules", str(test_file)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert path.endswith(".rules.yml")
