"""prometheus.yml as data: jobs, intervals, rule files and Alertmanager, per deploy target."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from slostack import conventions as names
from slostack.render.options import Endpoints, RenderOptions

from .conftest import NO_SERVICE, Edit, bundle_of


def config(*edits: Edit, **options: Any) -> dict[str, Any]:
    bundle = bundle_of(*edits, options=RenderOptions(**options))
    data: dict[str, Any] = yaml.safe_load(bundle[names.PROMETHEUS_CONFIG])
    return data


def jobs(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in data["scrape_configs"]}


def test_local_stacks_find_the_app_replicas_through_file_discovery() -> None:
    data = config()
    assert list(jobs(data)) == ["checkout", names.HEALER_JOB, names.PROMETHEUS_JOB, names.ALERTMANAGER_JOB]
    assert jobs(data)["checkout"]["file_sd_configs"] == [{"files": ["targets/app.json"]}]
    assert data["rule_files"] == ["rules/*.yml"]
    assert data["alerting"]["alertmanagers"] == [{"static_configs": [{"targets": ["127.0.0.1:9093"]}]}]
    assert data["global"] == {"scrape_interval": "15s", "scrape_timeout": "10s", "evaluation_interval": "15s"}


@pytest.mark.parametrize(
    ("target", "app", "alertmanager"),
    [
        pytest.param(
            "docker", "checkout:8000", "checkout-alertmanager:9093", id="docker scrapes container names"
        ),
        pytest.param(
            "kubernetes", "checkout:8000", "checkout-alertmanager:9093", id="kubernetes scrapes service names"
        ),
    ],
)
def test_other_targets_scrape_static_service_names(target: str, app: str, alertmanager: str) -> None:
    data = config(("deploy: {target: local}", f"deploy: {{target: {target}}}"))
    assert jobs(data)["checkout"]["static_configs"] == [{"targets": [app]}]
    assert data["alerting"]["alertmanagers"][0]["static_configs"] == [{"targets": [alertmanager]}]


def test_endpoints_given_by_the_runtime_win() -> None:
    where = Endpoints(app=("10.0.0.1:81", "10.0.0.2:81"), healer="h:1", alertmanager="am:2", prometheus="p:3")
    data = config(endpoints=where)
    assert jobs(data)["checkout"]["static_configs"] == [{"targets": ["10.0.0.1:81", "10.0.0.2:81"]}]
    assert jobs(data)[names.HEALER_JOB]["static_configs"] == [{"targets": ["h:1"]}]


def test_a_one_second_scrape_gets_a_timeout_prometheus_accepts() -> None:
    data = config(("interval: 15s}", "interval: 1s}"))
    assert data["global"]["scrape_timeout"] == "1s"
    assert jobs(data)["checkout"]["scrape_timeout"] == "1s"


def test_without_a_service_only_prometheus_and_alertmanager_are_scraped() -> None:
    assert list(jobs(config(*NO_SERVICE))) == [names.PROMETHEUS_JOB, names.ALERTMANAGER_JOB]
