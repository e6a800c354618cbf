"""Shared fixtures: the example specs and the `--update-golden` switch (`make golden`)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.slo.yaml"))


def example_name(path: Path) -> str:
    return path.name.removesuffix(".slo.yaml")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current renderer instead of comparing against it",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session", params=EXAMPLES, ids=[example_name(p) for p in EXAMPLES])
def example(request: pytest.FixtureRequest) -> Path:
    """Each `examples/*.slo.yaml`, whatever exists when the suite runs."""
    path: Path = request.param
    return path
