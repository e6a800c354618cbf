"""The Pulumi-free helpers: stack settings, bundle slicing, endpoints, the AlertmanagerConfig notation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from slostack.components.amconfig import AlertmanagerConfigError, alertmanager_config_spec
from slostack.components.files import FilesError, configmap_files, under
from slostack.components.settings import SettingsError, StackSettings
from slostack.components.targets import endpoints_for, may_scale
from tests.components.conftest import SCALING, spec_of
from tests.spec.good import good_spec


def test_import_slostack_does_not_import_pulumi() -> None:
    code = (
        "import sys, slostack, slostack.components, slostack.components.settings, "
        "slostack.releases.pulumi_config, slostack.components.cli_commands; "
        "print([m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi_')])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"slostack:target": "docker"}, "slostack:spec is not set"),
        ({"slostack:spec": "x", "slostack:target": "nomad"}, "slostack:target: unknown target 'nomad'"),
        (
            {"slostack:spec": "x", "slostack:target": "docker", "slostack:publish": "maybe"},
            "must be true or false",
        ),
        ({"slostack:spec": "x", "slostack:target": "docker", "slostack:secretFiles": "[1]"}, "must be a map"),
    ],
)
def test_bad_settings(values: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        StackSettings.from_mapping(values)


def test_settings_read_objects_as_json_and_default_from_the_spec() -> None:
    settings = StackSettings.from_mapping(
        {
            "slostack:spec": "examples/x.yaml",
            "slostack:target": "kubernetes",
            "slostack:secretFiles": '{"a": "~/a"}',
        }
    )
    spec = spec_of(good_spec())
    assert settings.secret_files == {"a": "~/a"}
    assert settings.kube_namespace(spec) == "checkout"
    assert settings.uses_operator(spec) is False


def test_operator_endpoints_are_namespace_qualified() -> None:
    spec = spec_of(good_spec())
    where = endpoints_for(spec, "kubernetes", namespace="slo", operator=True)
    assert where.healer == "checkout-healer.slo.svc:8080"
    assert where.app == ("checkout.slo.svc:8000",)
    assert where.prometheus == "prometheus-operated.monitoring.svc:9090"
    assert endpoints_for(spec, "kubernetes").healer == "checkout-healer:8080"


def test_may_scale_follows_the_ladders() -> None:
    assert may_scale(spec_of(SCALING))
    assert not may_scale(spec_of(good_spec()))


def test_configmap_keys_flatten_paths_and_items_put_them_back() -> None:
    packed = configmap_files({"rules/a.yml": "A", "prometheus.yml": "P"})
    assert packed.data == {"prometheus.yml": "P", "rules__a.yml": "A"}
    assert {"key": "rules__a.yml", "path": "rules/a.yml"} in packed.items
    with pytest.raises(FilesError, match="same ConfigMap key"):
        configmap_files({"a/b": "1", "a__b": "2"})
    with pytest.raises(FilesError, match="1 MiB"):
        configmap_files({"big": "x" * 1_100_000})


def test_under_takes_a_folder_prefix() -> None:
    files = {"prometheus/a.yml": "a", "prometheus/tests/t.yml": "t", "prometheusx/b": "b"}
    assert under(files, "prometheus/", exclude=("prometheus/tests/",)) == {"a.yml": "a"}
    with pytest.raises(ValueError, match="end with '/'"):
        under(files, "prometheus")


def test_alertmanager_config_refuses_receivers_it_cannot_express() -> None:
    config = {"route": {"receiver": "s"}, "receivers": [{"name": "s", "slack_configs": [{}]}]}
    with pytest.raises(AlertmanagerConfigError, match="configure it in your Alertmanager installation"):
        alertmanager_config_spec(config, token_file="/t", secret="s", key="token")
    hook = {"url": "http://x", "http_config": {"authorization": {"credentials_file": "/other"}}}
    with pytest.raises(AlertmanagerConfigError, match="only the healer token"):
        alertmanager_config_spec(
            {"receivers": [{"name": "w", "webhook_configs": [hook]}]}, token_file="/t", secret="s", key="k"
        )
