"""stacks/__main__.py under the mock engine: config in, one ReliabilityStack and its outputs out."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from slostack.components.settings import StackSettings
from slostack.releases.pulumi_config import ReleaseRecord
from slostack.render.pipeline import spec_digest
from tests.components.conftest import ONCALL, REPO, TOKEN, spec_of
from tests.components.recording import Graph, build
from tests.spec.good import good_spec

PROGRAM = REPO / "stacks" / "__main__.py"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    spec = tmp_path / "checkout.slo.yaml"
    spec.write_text(good_spec())
    token = tmp_path / "healer-token"
    token.write_text(TOKEN + "\n")
    oncall = tmp_path / "oncall-url"
    oncall.write_text(ONCALL)
    return {"spec": spec, "token": token, "oncall": oncall}


def run(monkeypatch: pytest.MonkeyPatch, config: dict[str, Any], stack: str = "dev") -> Graph:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({f"slostack:{k}": v for k, v in config.items()}))
    exports: dict[str, Any] = {}
    real_export = pulumi.export
    monkeypatch.setattr(
        pulumi, "export", lambda name, value: (exports.__setitem__(name, value), real_export(name, value))
    )

    def program() -> dict[str, Any]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        return exports

    return build(program, stack=stack)


def base(files: dict[str, Path], target: str = "docker") -> dict[str, Any]:
    return {
        "spec": str(files["spec"]),
        "target": target,
        "healerTokenFile": str(files["token"]),
        "secretFiles": json.dumps({"/run/secrets/oncall-url": str(files["oncall"])}),
    }


def test_dev_deploys_the_spec_file_on_docker(monkeypatch: pytest.MonkeyPatch, files: dict[str, Path]) -> None:
    graph = run(monkeypatch, base(files))
    spec = spec_of(good_spec())
    settings = StackSettings.from_mapping({f"slostack:{k}": v for k, v in base(files).items()})
    assert graph.outputs["bundleDigest"] == settings.bundle(spec).digest
    assert graph.outputs["specDigest"] == spec_digest(spec)
    assert graph.outputs["releaseId"] == "unrecorded", "a plain `pulumi up` records no release"
    assert set(graph.outputs["urls"]) >= {"app", "prometheus", "alertmanager", "grafana", "healer"}
    assert graph.one("slostack:index:ReliabilityStack").name == "checkout"
    assert graph.named("checkout-app-container").inputs["name"] == "checkout-dev-checkout"


def test_a_recorded_release_deploys_its_own_spec_text(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, Path]
) -> None:
    old_text = good_spec("objective: 99.9", "objective: 99.5")
    old = spec_of(old_text)
    record = ReleaseRecord(
        release_id="r-old",
        kind="rollback",
        spec_text=old_text,
        spec_digest=spec_digest(old),
        bundle_digest="",
        app_version="",
        source_release="r-1",
    )
    config = base(files, "kubernetes") | {"appImage": "registry.example/checkout:1"}
    config |= {k.removeprefix("slostack:"): v for k, v in record.to_config().items()}
    graph = run(monkeypatch, config, stack="prod")
    assert graph.outputs["releaseId"] == "r-old"
    assert graph.outputs["specDigest"] == spec_digest(old), "the file on disk (99.9) is not what was deployed"


def test_bad_config_fails_with_one_message(monkeypatch: pytest.MonkeyPatch, files: dict[str, Path]) -> None:
    config = base(files)
    del config["healerTokenFile"]
    with pytest.raises(Exception, match="slostack:healerTokenFile is not set"):
        run(monkeypatch, config)
