"""Settings parsing: one good environment, one change per case, the exact line an operator reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sample_app.settings import (
    After,
    FailMode,
    FaultConfig,
    Settings,
    SettingsError,
    load_settings,
    parse_after,
    parse_byte_size,
    parse_duration,
)

MiB = 1024 * 1024
TOKEN = "a-perfectly-fine-token-0123"


def good_env() -> dict[str, str]:
    return {
        "FAIL_MODE": "latency",
        "FAIL_RATE": "0.25",
        "FAIL_LATENCY": "250ms",
        "FAIL_AFTER": "30s",
        "FAIL_FOR": "6s",
        "FAIL_MEMORY_STEP": "1Mi",
        "FAIL_MEMORY_CAP": "200Mi",
        "FAIL_SEED": "7",
        "APP_VERSION": "1.4.2+build.7",
        "CHAOS_TOKEN": TOKEN,
        "LOG_LEVEL": "warning",
        "STARTUP_DELAY": "1.5",
    }


def test_the_good_environment_is_read_field_by_field() -> None:
    assert load_settings(good_env()) == Settings(
        fault=FaultConfig(
            mode=FailMode.LATENCY,
            rate=0.25,
            latency=0.25,
            after=After(seconds=30.0),
            memory_step=MiB,
            memory_cap=200 * MiB,
            lasts=6.0,
        ),
        app_version="1.4.2+build.7",
        chaos_token=TOKEN,
        seed=7,
        log_level="warning",
        startup_delay=1.5,
    )


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    settings = load_settings({})
    assert settings.fault == FaultConfig(FailMode.NONE, 1.0, 2.0, After(), MiB, 200 * MiB)
    assert settings.fault.lasts == 0.0  # until cleared
    assert (settings.app_version, settings.chaos_token, settings.seed) == ("dev", None, None)
    assert settings.metrics_enabled


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        pytest.param({"FAIL_MODE": " ERROR "}, "mode", FailMode.ERROR, id="the mode ignores case and spaces"),
        pytest.param({"FAIL_MODE": ""}, "mode", FailMode.NONE, id="an empty variable counts as unset"),
        pytest.param({"FAIL_RATE": "0"}, "rate", 0.0, id="a rate of zero is allowed"),
        pytest.param({"FAIL_RATE": "1"}, "rate", 1.0, id="a rate of one is allowed"),
        pytest.param({"FAIL_LATENCY": "2s"}, "latency", 2.0, id="a latency in seconds with a unit"),
        pytest.param({"FAIL_LATENCY": "1.5"}, "latency", 1.5, id="a bare latency is in seconds"),
        pytest.param({"FAIL_LATENCY": "1m"}, "latency", 60.0, id="a latency in minutes"),
        pytest.param({"FAIL_AFTER": "500ms"}, "after", After(seconds=0.5), id="after a time with a unit"),
        pytest.param({"FAIL_AFTER": "100r"}, "after", After(requests=100), id="after a count of requests"),
        pytest.param({"FAIL_AFTER": "100"}, "after", After(requests=100), id="a bare after counts requests"),
        pytest.param({"FAIL_AFTER": "0"}, "after", After(), id="after zero starts at once"),
        pytest.param({"FAIL_FOR": "90"}, "lasts", 90.0, id="a bare for is in seconds, like a latency"),
        pytest.param({"FAIL_FOR": "500ms"}, "lasts", 0.5, id="a for in milliseconds"),
        pytest.param({"FAIL_FOR": "60m"}, "lasts", 3600.0, id="a for of one hour is the ceiling"),
        pytest.param({"FAIL_FOR": "0"}, "lasts", 0.0, id="a for of zero means until cleared"),
        pytest.param({"FAIL_FOR": ""}, "lasts", 0.0, id="an empty for means until cleared"),
        pytest.param({"FAIL_MEMORY_STEP": "512Ki"}, "memory_step", 512 * 1024, id="a step in KiB"),
        pytest.param({"FAIL_MEMORY_STEP": "1048576"}, "memory_step", MiB, id="a step in bare bytes"),
        pytest.param({"FAIL_MEMORY_STEP": "2M"}, "memory_step", 2_000_000, id="a step in decimal megabytes"),
        pytest.param({"FAIL_MEMORY_CAP": "1Gi"}, "memory_cap", 1024 * MiB, id="a cap at the ceiling"),
    ],
)
def test_good_fault_values(change: dict[str, str], field: str, expected: object) -> None:
    settings = load_settings(good_env() | change)
    assert getattr(settings.fault, field) == expected


@pytest.mark.parametrize(
    ("change", "line"),
    [
        pytest.param(
            {"FAIL_MODE": "boom"},
            "FAIL_MODE: must be one of none, latency, error, crash, memory (got 'boom')",
            id="an unknown mode lists the allowed modes",
        ),
        pytest.param(
            {"FAIL_RATE": "1.5"},
            "FAIL_RATE: must be a number between 0 and 1 (got '1.5')",
            id="a rate above one",
        ),
        pytest.param(
            {"FAIL_RATE": "nan"},
            "FAIL_RATE: must be a number between 0 and 1 (got 'nan')",
            id="a rate that is not a number",
        ),
        pytest.param(
            {"FAIL_LATENCY": "soon"},
            "FAIL_LATENCY: must be a duration like 250ms, 2s or 1.5 (seconds), at most 60s (got 'soon')",
            id="a latency that is not a duration",
        ),
        pytest.param(
            {"FAIL_LATENCY": "-1s"},
            "FAIL_LATENCY: must be a duration like 250ms, 2s or 1.5 (seconds), at most 60s (got '-1s')",
            id="a negative latency",
        ),
        pytest.param(
            {"FAIL_LATENCY": "2m"},
            "FAIL_LATENCY: must be a duration of at most 60s (got '2m')",
            id="a latency longer than any drill needs",
        ),
        pytest.param(
            {"FAIL_AFTER": "1.5"},
            "FAIL_AFTER: must be a duration like 30s or 500ms, or a request count like 100r or 100 "
            "(got '1.5')",
            id="a bare fraction is neither a time (no unit) nor a count",
        ),
        pytest.param(
            {"FAIL_AFTER": "10x"},
            "FAIL_AFTER: must be a duration like 30s or 500ms, or a request count like 100r or 100 "
            "(got '10x')",
            id="an after with an unknown unit",
        ),
        pytest.param(
            {"FAIL_FOR": "-5s"},
            "FAIL_FOR: must be a duration like 250ms, 2s or 1.5 (seconds), at most 3600s (got '-5s')",
            id="a negative for",
        ),
        pytest.param(
            {"FAIL_FOR": "a while"},
            "FAIL_FOR: must be a duration like 250ms, 2s or 1.5 (seconds), at most 3600s (got 'a while')",
            id="a for that is not a duration",
        ),
        pytest.param(
            {"FAIL_FOR": "61m"},
            "FAIL_FOR: must be a duration of at most 3600s (got '61m')",
            id="a for longer than an hour is a forgotten fault",
        ),
        pytest.param(
            {"FAIL_MEMORY_STEP": "1MB"},
            "FAIL_MEMORY_STEP: must be a byte size like 1048576, 512Ki, 1Mi or 1G, from 1 to 1Gi (got '1MB')",
            id="a step with an unknown unit",
        ),
        pytest.param(
            {"FAIL_MEMORY_STEP": "0"},
            "FAIL_MEMORY_STEP: must be a byte size from 1 to 1Gi (got '0')",
            id="a step of zero would leak nothing",
        ),
        pytest.param(
            {"FAIL_MEMORY_CAP": "2Gi"},
            "FAIL_MEMORY_CAP: must be a byte size from 1 to 1Gi (got '2Gi')",
            id="a cap above the hard ceiling",
        ),
        pytest.param(
            {"FAIL_SEED": "-3"},
            "FAIL_SEED: must be a non-negative integer (got '-3')",
            id="a negative seed",
        ),
        pytest.param(
            {"APP_VERSION": "1.0 beta"},
            "APP_VERSION: must be 1-64 characters: letters, digits and . _ + -, "
            "starting with a letter or digit (got '1.0 beta')",
            id="a version that would make an awkward label value",
        ),
        pytest.param(
            {"LOG_LEVEL": "loud"},
            "LOG_LEVEL: must be one of debug, info, warning, error (got 'loud')",
            id="an unknown log level",
        ),
        pytest.param(
            {"SAMPLE_APP_METRICS": "maybe"},
            "SAMPLE_APP_METRICS: must be one of on, off (got 'maybe')",
            id="the benchmark switch is on or off",
        ),
        pytest.param(
            {"STARTUP_DELAY": "10m"},
            "STARTUP_DELAY: must be a duration of at most 300s (got '10m')",
            id="a warm-up longer than five minutes",
        ),
        pytest.param(
            {"CHAOS_TOKEN": "short"},
            "CHAOS_TOKEN: must be at least 16 printable ASCII characters without spaces "
            "(got 5 characters; value not shown)",
            id="a short token is refused without being echoed",
        ),
        pytest.param(
            {"CHAOS_TOKEN_FILE": "/nonexistent/token"},
            "CHAOS_TOKEN_FILE: must name a readable UTF-8 file "
            "(got '/nonexistent/token': No such file or directory)",
            id="an unreadable token file names the path, not the token",
        ),
    ],
)
def test_one_bad_variable_gives_one_exact_line(change: dict[str, str], line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(good_env() | change)
    assert str(caught.value) == line
    assert "\n" not in str(caught.value)


def test_every_bad_variable_is_reported_on_the_same_line() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(good_env() | {"FAIL_MODE": "boom", "FAIL_RATE": "2"})
    assert caught.value.problems == [
        "FAIL_MODE: must be one of none, latency, error, crash, memory (got 'boom')",
        "FAIL_RATE: must be a number between 0 and 1 (got '2')",
    ]
    assert str(caught.value) == "; ".join(caught.value.problems)


def test_the_token_file_wins_over_the_inline_token_and_loses_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-the-file-0123456789\n", encoding="utf-8")
    settings = load_settings(good_env() | {"CHAOS_TOKEN_FILE": str(path)})
    assert settings.chaos_token == "from-the-file-0123456789"


def test_the_token_never_appears_in_the_settings_repr() -> None:
    assert TOKEN not in repr(load_settings(good_env()))


def test_the_metrics_switch_turns_the_middleware_off() -> None:
    assert not load_settings({"SAMPLE_APP_METRICS": "off"}).metrics_enabled


@given(st.integers(min_value=1, max_value=1024 * 1024))
def test_kibibytes_are_powers_of_1024(count: int) -> None:
    assert parse_byte_size(f"{count}Ki") == count * 1024


@given(st.integers(min_value=0, max_value=60_000))
def test_milliseconds_are_thousandths_of_a_second(count: int) -> None:
    assert parse_duration(f"{count}ms") == pytest.approx(count / 1000)


@given(st.integers(min_value=0, max_value=1_000_000))
def test_a_bare_integer_after_is_always_a_request_count(count: int) -> None:
    assert parse_after(str(count)) == After(requests=count)
