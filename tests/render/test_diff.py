"""`slostack diff`: what a spec change does to each artifact, as text or Markdown; exit 0/3/1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from slostack import conventions as names
from slostack.render.diff import diff_bundles
from slostack.render.diff_format import format_diff

from .conftest import WEBHOOK, Edit, bundle_of, spec_text

REPO = Path(__file__).resolve().parents[2]
OBJECTIVE = ("objective: 99.9", "objective: 99.5")


def changes(*edits: Edit) -> str:
    return format_diff(diff_bundles(bundle_of(), bundle_of(*edits)))


def test_equal_bundles_have_no_changes() -> None:
    diff = diff_bundles(bundle_of(), bundle_of())
    assert diff.equal
    assert format_diff(diff).startswith("No changes: both bundles are identical")


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            (OBJECTIVE,),
            [
                "Prometheus rules (prometheus/rules/checkout.slo.rules.yml)",
                "  ~ alert CheckoutAvailabilityBurn (page)",
                "      threshold slo:sli_error:ratio_rate1h > 0.0144 → 0.072",
                "      threshold slo:sli_error:ratio_rate6h > 0.006 → 0.03",
                "  ~ alert CheckoutAvailabilityBurn (ticket)",
                "      threshold slo:sli_error:ratio_rate3d > 0.001 → 0.005",
                "  ~ record slo:objective:ratio (slostack-checkout-availability-meta)",
                "      expr: vector(0.999) → vector(0.995)",
                "      changed panel stat 'SLI over 30d': thresholds: [0.999] → [0.995]",
                "      slos.availability.recovered_below: 0.0144 → 0.072",
            ],
            id="an objective change lists the new alert thresholds",
        ),
        pytest.param(
            (("routes: {page: [oncall], ticket: [oncall]}", "routes: {page: [oncall]}"),),
            [
                "Alertmanager routes and receivers (alertmanager/alertmanager.yml)",
                '  - route {slo_service="checkout", slo_severity="ticket"}',
            ],
            id="a route taken away is listed",
        ),
        pytest.param(
            (
                (WEBHOOK, WEBHOOK + "\n    - {name: chat, slack: {api_url_file: /s}}"),
                ("ticket: [oncall]", "ticket: [chat]"),
            ),
            [
                "  + receiver chat",
                '  ~ route {slo_service="checkout", slo_severity="ticket"}',
                '      receivers: ["oncall"] → ["chat"]',
            ],
            id="a new receiver and where it is routed",
        ),
        pytest.param(
            (("  - name: latency\n", "  - name: speed\n"),),
            [
                "  + dashboard 'checkout / speed SLO' ("
                + names.dashboard_uid("checkout", "speed")
                + ".json)",
                "  - dashboard 'checkout / latency SLO' ("
                + names.dashboard_uid("checkout", "latency")
                + ".json)",
                "  + alert CheckoutSpeedBurn (page)",
                "  - alert CheckoutLatencyBurn (page)",
            ],
            id="a renamed SLO replaces its rules and dashboard",
        ),
        pytest.param(
            (("interval: 15s}", "interval: 30s}"),),
            [
                "Prometheus config (prometheus/prometheus.yml)",
                "  ~ scrape job checkout",
                "      scrape_interval: 15s → 30s",
            ],
            id="a scrape interval change shows in the scrape job",
        ),
    ],
)
def test_a_change_is_summarized_per_artifact(edits: tuple[Edit, ...], expected: list[str]) -> None:
    text = changes(*edits)
    lines = text.splitlines()
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{text}"


def test_markdown_is_a_table_per_artifact_with_pipes_escaped() -> None:
    text = format_diff(diff_bundles(bundle_of(), bundle_of(('code=~"5.."', 'code=~"5..|429"'))), "markdown")
    assert text.startswith("### slostack diff: ")
    assert "#### Prometheus rules — `prometheus/rules/checkout.slo.rules.yml`" in text
    assert "| | what | details |" in text
    assert "5..\\|429" in text
    for line in text.splitlines():
        if line.startswith("| ") and "what" not in line:
            assert line.count(" | ") - line.count("\\| ") >= 2, line


def slostack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slostack", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_the_command_exits_0_when_equal_3_when_different_1_on_bad_input(tmp_path: Path) -> None:
    # Same file name: the rules' header names the spec file they came from.
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old, new = tmp_path / "old" / "checkout.slo.yaml", tmp_path / "new" / "checkout.slo.yaml"
    old.write_text(spec_text())
    new.write_text(spec_text(OBJECTIVE))
    rendered = bundle_of().write(tmp_path / "rendered")

    same = slostack("diff", str(old), str(rendered))
    assert (same.returncode, same.stderr) == (0, ""), same.stderr
    assert same.stdout.startswith("No changes")

    different = slostack("diff", str(rendered), str(new), "--format", "markdown")
    assert different.returncode == 3, different.stderr
    assert "| changed | alert CheckoutAvailabilityBurn (page) |" in different.stdout

    missing = slostack("diff", str(old), str(tmp_path / "nope.slo.yaml"))
    assert missing.returncode == 1 and missing.stderr.strip().endswith(
        "nope.slo.yaml: no such file or directory"
    )
    not_bundle = slostack("diff", str(old), str(tmp_path))
    assert not_bundle.returncode == 1 and "not a rendered bundle (no manifest.json)" in not_bundle.stderr
    (tmp_path / "bad.slo.yaml").write_text(spec_text(("objective: 99.9", "objective: 100")))
    bad = slostack("diff", str(old), str(tmp_path / "bad.slo.yaml"))
    assert bad.returncode == 1 and "slos[0].objective: must be below 100" in bad.stderr
    assert "Traceback" not in missing.stderr + not_bundle.stderr + bad.stderr
