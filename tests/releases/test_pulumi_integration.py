"""Real `pulumi up`, `preview` and rollback through the Automation API, with the local file backend.

Runs only where a `pulumi` CLI is on PATH (none on the build machines; it skips saying so). The
project is a throwaway copy whose program deploys no infrastructure (no Docker daemon or cluster
either): it reads the recorded release exactly as stacks/__main__.py does and exports what it would
deploy, which is what the ledger's history and rollback are about.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.spec.good import good_spec

pytestmark = pytest.mark.skipif(
    shutil.which("pulumi") is None, reason="no `pulumi` CLI on PATH: the Automation API needs it"
)

PROGRAM = """
import pulumi
from slostack.components.settings import NAMESPACE, StackSettings
from slostack.releases.pulumi_config import ReleaseRecord
from slostack.render.pipeline import spec_digest
from slostack.spec import load_spec, load_spec_text
from pathlib import Path

config = pulumi.Config(NAMESPACE)
settings = StackSettings.from_config(config.get)
record = ReleaseRecord.from_config(config.get)
root = Path(__file__).resolve().parent.parent
spec = load_spec_text(record.spec_text) if record else load_spec(settings.spec_file(root))
pulumi.export("specDigest", spec_digest(spec))
pulumi.export("bundleDigest", settings.bundle(spec).digest)
pulumi.export("releaseId", record.release_id if record else "unrecorded")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    venv = Path(sys.prefix)
    (root / "Pulumi.yaml").write_text(
        "name: slostack-it\nruntime:\n  name: python\n  options:\n"
        f"    toolchain: pip\n    virtualenv: {venv}\nmain: stacks/\nstackConfigDir: stacks\n"
    )
    (root / "stacks" / "__main__.py").write_text(PROGRAM)
    (root / "checkout.slo.yaml").write_text(good_spec())
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{state}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "integration-test-passphrase")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    from pulumi.automation import ConfigValue, create_stack

    stack = create_stack("dev", work_dir=str(root))
    stack.set_all_config(
        {"slostack:spec": ConfigValue("checkout.slo.yaml"), "slostack:target": ConfigValue("docker")}
    )
    return root


def test_up_preview_rollback_with_the_file_backend(project: Path) -> None:
    from slostack.releases.model import NoPreviousRelease
    from slostack.releases.pulumi_backend import open_ledger, rollback

    ledger = open_ledger("dev", root=project)
    settings_file = project / "stacks" / "Pulumi.dev.yaml"
    checked_in = settings_file.read_bytes()
    first = ledger.deploy()
    with pytest.raises(NoPreviousRelease):
        ledger.rollback()
    (project / "checkout.slo.yaml").write_text(good_spec("objective: 99.9", "objective: 99.5"))
    report = ledger.preview()
    assert report.change_summary, "pulumi preview ran"
    assert "prometheus/rules/checkout.slo.rules.yml" in report.artifacts.changed
    second = ledger.deploy()
    assert second.spec_digest != first.spec_digest
    back = rollback("dev", root=project)
    assert (back.kind, back.source_release, back.spec_digest) == ("rollback", first.id, first.spec_digest)
    outputs = ledger.stack.outputs()  # type: ignore[attr-defined]
    assert outputs["specDigest"].value == first.spec_digest
    assert settings_file.read_bytes() == checked_in
    assert [r.outcome for r in ledger.releases()] == ["succeeded"] * 3
    assert os.environ["PULUMI_BACKEND_URL"].startswith("file://")
