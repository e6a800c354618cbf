"""Bad specs: each case is the good spec with one edit, and the exact error line it must produce."""

from __future__ import annotations

import pytest

from slostack.spec import SpecError, load_spec_text

from .good import good_spec

F = "checkout.slo.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, F)
    return [str(p) for p in caught.value.problems]


def test_the_good_spec_loads() -> None:
    spec = load_spec_text(good_spec(), F)
    assert [s.name for s in spec.slos] == ["availability", "latency"]
    assert str(spec.slos[0].objective) == "99.9"
    assert str(spec.slos[0].error_budget) == "0.001"
    assert spec.slos[0].alert_name == "CheckoutAvailabilityBurn"
    assert spec.healing.policies[0].target == "checkout"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "objective: 99.9",
            "objective: 100",
            f"{F}:12:16: slos[0].objective: must be below 100 (got 100)",
            id="an objective of 100 leaves no error budget",
        ),
        pytest.param(
            "objective: 99.9",
            "objective: 100.5",
            f"{F}:12:16: slos[0].objective: must be below 100 (got 100.5)",
            id="an objective above 100 is refused with the value",
        ),
        pytest.param(
            "objective: 99.9",
            "objective: 0",
            f"{F}:12:16: slos[0].objective: must be above 0 (got 0)",
            id="an objective of 0 is refused",
        ),
        pytest.param(
            "objective: 99.9",
            "objective: lots",
            f"{F}:12:16: slos[0].objective: must be a number of percent, e.g. 99.9 (got 'lots')",
            id="a non-numeric objective is refused",
        ),
        pytest.param(
            "window: 30d",
            "window: 30x",
            f"{F}:13:13: slos[0].window: not a duration (got '30x'); use e.g. 30d, 6h, 5m, 30s, 250ms",
            id="a window with an unknown unit is refused",
        ),
        pytest.param(
            "window: 30d",
            "window: 10m",
            f"{F}:13:13: slos[0].window: must be at least 1h (got 10m)",
            id="a window shorter than an hour is refused",
        ),
        pytest.param(
            'errors: http_requests_total{job="checkout",code=~"5.."}',
            'errors: http_requests_total{job="checkout",code=~"5.."',
            f"{F}:16:17: slos[0].sli.events.errors: unclosed '{{' in selector "
            '\'http_requests_total{job="checkout",code=~"5.."\'',
            id="a selector with an unclosed brace is refused",
        ),
        pytest.param(
            'total: http_requests_total{job="checkout"}',
            "total: sum(rate(http_requests_total[5m]))",
            f"{F}:17:16: slos[0].sli.events.total: not a plain series selector: "
            "'sum(rate(http_requests_total[5m]))' is not a metric name (write the selector only; "
            "slostack adds rate())",
            id="a full query where a selector belongs says slostack adds rate",
        ),
        pytest.param(
            'total: http_requests_total{job="checkout"}',
            "total: http_requests_total{job=checkout}",
            f"{F}:17:16: slos[0].sli.events.total: the value of 'job' must be quoted in selector "
            "'http_requests_total{job=checkout}'",
            id="an unquoted label value is refused",
        ),
        pytest.param(
            "threshold: 300ms",
            "threshold: 250ms",
            f"{F}:22:9: slos[1].sli.latency: threshold 250ms (0.25s) is not a bucket boundary of the "
            "histogram (buckets: 0.1, 0.3, 1); a latency SLI needs an exact bucket",
            id="a latency threshold between buckets is refused",
        ),
        pytest.param(
            "  name: checkout\n",
            "  name: Checkout\n",
            f"{F}:4:9: metadata.name: must be lowercase letters, digits and '-', start with a letter, "
            "at most 63 characters (got 'Checkout')",
            id="an upper-case service name is refused",
        ),
        pytest.param(
            "labels: {team: payments}",
            "labels: {team-name: payments}",
            f"{F}:5:11: metadata.labels: not a valid Prometheus label name (got 'team-name'); "
            "use [a-zA-Z_][a-zA-Z0-9_]*",
            id="a label name Prometheus would reject is refused",
        ),
        pytest.param(
            "  - name: latency\n",
            "  - name: availability\n",
            f"{F}:18:11: slos[1].name: duplicate SLO name 'availability' (also slos[0])",
            id="two SLOs with one name are refused",
        ),
        pytest.param(
            "    window: 30d\n",
            "    window: 30d\n    windw: 7d\n",
            f"{F}:14:5: slos[0].windw: unknown field; did you mean 'window'?",
            id="a misspelt field is refused with a suggestion",
        ),
        pytest.param(
            "routes: {page: [oncall], ticket: [oncall]}",
            "routes: {page: [pager], ticket: [oncall]}",
            f"{F}:28:19: alerting.routes.page[0]: unknown receiver 'pager' (receivers: oncall)",
            id="a route to an undeclared receiver is refused",
        ),
        pytest.param(
            "webhook: {url_file: /run/secrets/oncall-url}",
            "webhook: {url: https://hooks.example/x}",
            f"{F}:27:37: alerting.receivers[0].webhook.url: secrets are taken by file reference only: "
            "put the value in a file and give url_file instead",
            id="an inline webhook URL is refused as a secret",
        ),
        pytest.param(
            "match: {slo_name: availability, slo_severity: page}",
            "match: {slo_name: availabilty, slo_severity: page}",
            f"{F}:31:25: healing.policies[0].match.slo_name: matches no SLO of this spec "
            "(SLOs: availability, latency)",
            id="a healing policy for an unknown SLO is refused",
        ),
        pytest.param(
            "action: rollback",
            "action: reboot",
            f"{F}:32:15: healing.policies[0].action: must be 'restart', 'scale', 'rollback', 'notify' "
            "or 'auto' (got 'reboot')",
            id="an unknown remedy is refused",
        ),
        pytest.param(
            "deploy: {target: local}",
            "deploy: {target: moon}",
            f"{F}:33:18: deploy.target: must be 'local', 'docker' or 'kubernetes' (got 'moon')",
            id="an unknown deploy target is refused",
        ),
        pytest.param(
            "apiVersion: slostack/v1",
            "apiVersion: prometheus/v1",
            f"{F}:1:13: apiVersion: this is a Sloth spec; convert it with `slostack import sloth FILE`",
            id="a Sloth file is pointed at the importer",
        ),
        pytest.param(
            "  port: 8000\n",
            "  port: 8000\n  port: 9000\n",
            f"{F}:9:3: service.port: duplicate key (a key may appear only once in a mapping)",
            id="a duplicate key is refused instead of silently keeping the last",
        ),
        pytest.param(
            "  port: 8000\n",
            "\tport: 8000\n",
            f"{F}:8:1: (document): YAML syntax error: tab character; YAML indentation must use spaces",
            id="a tab in the indentation is refused",
        ),
    ],
)
def test_bad_spec_gives_the_exact_error_line(old: str, new: str, expected: str) -> None:
    assert problems(good_spec(old, new)) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    text = good_spec("objective: 99.9", "objective: 100").replace("window: 30d", "window: 30x")
    assert problems(text) == [
        f"{F}:12:16: slos[0].objective: must be below 100 (got 100)",
        f"{F}:13:13: slos[0].window: not a duration (got '30x'); use e.g. 30d, 6h, 5m, 30s, 250ms",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "", f"{F}:1:1: (document): the file is empty; expected a spec document", id="an empty file"
        ),
        pytest.param(
            "slos: [\n",
            f"{F}:2:1: (document): YAML syntax error: did not find expected node content",
            id="a YAML syntax error",
        ),
        pytest.param(
            "- a\n- b\n",
            f"{F}:1:1: (document): a spec must be a mapping with apiVersion, kind, metadata, slos",
            id="a list instead of a mapping",
        ),
        pytest.param(
            "a: 1\n---\nb: 2\n",
            f"{F}:3:1: (document): expected one YAML document, found several (split them into files)",
            id="two documents in one file",
        ),
    ],
)
def test_unusable_documents(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_an_alias_bomb_fails_fast() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    found = problems("\n".join(lines) + "\n")
    assert len(found) == 1
    assert "an alias bomb?" in found[0]


def test_a_five_megabyte_file_is_refused_without_parsing() -> None:
    text = good_spec() + "# " + "x" * (5 * 1024 * 1024) + "\n"
    found = problems(text)
    assert found == [f"{F}:1:1: (document): file is larger than 2 MiB; split it into one spec per service"]


def test_missing_file_is_a_clean_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from slostack.spec import load_spec

    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "nope.yaml")
    assert "cannot read" in str(caught.value)
