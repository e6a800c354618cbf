"""The Pulumi release ledger against a fake Automation API stack (no Pulumi CLI on build machines).

The fake keeps the real objects where it can (`pulumi.automation.UpdateSummary`, `ConfigValue`) and
behaves like LocalWorkspace where it matters here: `set_all_config` rewrites the stack settings file,
`up` records the config it ran with in history, `history()` lists newest first.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.automation import ConfigValue, UpdateSummary

from slostack.components import cli_commands
from slostack.releases.model import NoPreviousRelease
from slostack.releases.pulumi_backend import DeployFailed, LedgerReadOnly, PulumiReleases
from slostack.releases.pulumi_config import ReleaseRecord
from slostack.spec import load_spec_text
from tests.spec.good import good_spec

V1 = good_spec()
V2 = good_spec("objective: 99.9", "objective: 99.5")
V3 = good_spec("objective: 99.9", "objective: 99.0")
CHECKED_IN = b"""# dev: the person's own file, comments and all
config:
  slostack:spec: checkout.slo.yaml
  slostack:target: docker
  slostack:healerTokenFile:
    secure: ~/.slostack/t
"""


class Result:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class FakeStack:
    """Config lives in the settings file, as with LocalWorkspace (`secure:` marks a secret)."""

    def __init__(self, settings_file: Path) -> None:
        self.name = "dev"
        self.settings_file = settings_file
        self.updates: list[UpdateSummary] = []
        self.fail_next = False
        self.deployed: list[dict[str, str]] = []  # the config each `up` ran with, as the program saw it
        self.previews: list[dict[str, str]] = []
        self.t0 = datetime(2024, 5, 1, tzinfo=UTC)

    @property
    def config(self) -> dict[str, ConfigValue]:
        raw = (yaml.safe_load(self.settings_file.read_text()) or {}).get("config") or {}
        return {
            k: ConfigValue(v["secure"], secret=True) if isinstance(v, dict) else ConfigValue(str(v))
            for k, v in raw.items()
        }

    def _write(self, config: dict[str, ConfigValue]) -> None:
        body = {k: ({"secure": v.value} if v.secret else v.value) for k, v in sorted(config.items())}
        self.settings_file.write_text(yaml.safe_dump({"config": body}))

    def get_all_config(self) -> dict[str, ConfigValue]:
        return self.config

    def set_all_config(self, config: dict[str, ConfigValue], *, path: bool = False) -> None:
        self._write({**self.config, **config})

    def remove_all_config(self, keys: list[str], *, path: bool = False) -> None:
        self._write({k: v for k, v in self.config.items() if k not in keys})

    def _record(self, result: str) -> UpdateSummary:
        version = len(self.updates) + 1
        return UpdateSummary(
            kind="update",
            start_time=self.t0 + timedelta(minutes=version),
            message="",
            environment={},
            config={k: {"value": v.value, "secret": v.secret} for k, v in self.config.items()},
            result=result,
            version=version,
        )

    def add_plain_up(self, result: str = "succeeded") -> None:
        """An update made by a plain `pulumi up`: the settings file's config, no release record."""
        self.updates.append(self._record(result))

    def up(self, *, on_output: Callable[[str], None] | None = None, message: str | None = None) -> Result:
        self.deployed.append({k: v.value for k, v in self.config.items()})
        summary = self._record("failed" if self.fail_next else "succeeded")
        self.updates.append(summary)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("error: update failed\ncontainer checkout-dev-checkout did not start")
        return Result(summary=summary, stdout="", stderr="", outputs={})

    def preview(
        self, *, on_output: Callable[[str], None] | None = None, message: str | None = None
    ) -> Result:
        self.previews.append({k: v.value for k, v in self.config.items()})
        return Result(change_summary={"update": 2, "same": 20}, stdout="Previewing update (dev)\n", stderr="")

    def history(
        self, page_size: int | None = None, page: int | None = None, show_secrets: bool = True
    ) -> list[UpdateSummary]:
        return list(reversed(self.updates))


@pytest.fixture
def world(tmp_path: Path) -> tuple[PulumiReleases, FakeStack, Path]:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(
        "name: slostack\nruntime: python\nmain: stacks/\nstackConfigDir: stacks\n"
    )
    (root / "checkout.slo.yaml").write_text(V1)
    settings = root / "stacks" / "Pulumi.dev.yaml"
    settings.write_bytes(CHECKED_IN)
    stack = FakeStack(settings)
    ticks = iter(range(100))
    ledger = PulumiReleases(
        stack, root, settings, clock=lambda: datetime(2024, 5, 1, 12, 0, next(ticks), tzinfo=UTC)
    )
    return ledger, stack, root


def deploy(ledger: PulumiReleases, root: Path, text: str) -> str:
    (root / "checkout.slo.yaml").write_text(text)
    return ledger.deploy().id


def test_deploy_records_the_release_in_the_config_of_that_update(world: Any) -> None:
    ledger, stack, _root = world
    release = ledger.deploy()
    ran_with = stack.deployed[-1]
    record = ReleaseRecord.from_mapping(ran_with)
    assert record is not None and record.release_id == release.id
    assert record.spec_text == V1, "the spec's own text is recorded: a digest cannot be re-applied"
    assert record.app_version == load_spec_text(V1).service.version  # type: ignore[union-attr]
    assert ran_with["slostack:bundleDigest"] == release.bundle_digest
    assert release.kind == "deploy" and release.outcome == "succeeded"
    assert stack.settings_file.read_bytes() == CHECKED_IN, "the checked-in stack file is left as it was"
    assert ledger.current() == ledger.releases()[-1]


def test_rollback_reapplies_the_previous_good_release(world: Any) -> None:
    ledger, stack, root = world
    first = deploy(ledger, root, V1)
    second = deploy(ledger, root, V2)
    back = ledger.rollback()
    ran_with = ReleaseRecord.from_mapping(stack.deployed[-1])
    assert ran_with is not None
    assert ran_with.spec_text == V1, "the previous spec is deployed, not the file on disk (V2)"
    assert (back.kind, back.source_release) == ("rollback", first)
    assert back.spec_digest == ledger.releases()[0].spec_digest
    assert stack.settings_file.read_bytes() == CHECKED_IN
    assert second in [r.id for r in ledger.releases()]


def test_rollback_restores_secret_config_as_secret(world: Any) -> None:
    ledger, stack, root = world
    deploy(ledger, root, V1)
    deploy(ledger, root, V2)
    ledger.rollback()
    latest = stack.updates[-1].config
    assert latest["slostack:healerTokenFile"].secret is True


def test_rolling_back_a_rollback_walks_further_back(world: Any) -> None:
    ledger, _stack, root = world
    first = deploy(ledger, root, V1)
    deploy(ledger, root, V2)
    deploy(ledger, root, V3)
    assert ledger.rollback().source_release != first  # V3 -> V2
    again = ledger.rollback()  # V2 (a rollback) -> V1, not back to V3
    assert again.source_release == first


def test_rollback_skips_redeploys_of_the_same_content(world: Any) -> None:
    ledger, _stack, root = world
    first = deploy(ledger, root, V1)
    deploy(ledger, root, V2)
    deploy(ledger, root, V2)  # a no-op re-deploy must not be the rollback target
    assert ledger.rollback().source_release == first


@pytest.mark.parametrize(
    "history",
    [
        pytest.param("", id="an empty history"),
        pytest.param("d", id="one successful release only"),
        pytest.param("Fd", id="only a failed release before"),
        pytest.param("Pd", id="only a plain pulumi up before"),
    ],
)
def test_rollback_refuses_without_an_earlier_success(world: Any, history: str) -> None:
    ledger, stack, root = world
    for step in history:
        if step == "d":
            deploy(ledger, root, V2)
        elif step == "F":
            stack.fail_next = True
            with pytest.raises(DeployFailed):
                deploy(ledger, root, V1)
        elif step == "P":
            stack.add_plain_up()
    ups = len(stack.deployed)
    with pytest.raises(NoPreviousRelease):
        ledger.rollback()
    assert len(stack.deployed) == ups, "a refused rollback runs no update"


def test_a_plain_up_counts_as_current_but_is_never_the_target(world: Any) -> None:
    ledger, stack, root = world
    first = deploy(ledger, root, V1)
    stack.add_plain_up()
    assert ledger.current() is None, "the live deployment was not recorded by slostack"
    assert ledger.rollback().source_release == first


def test_a_failed_up_is_a_failed_release_and_the_file_is_restored(world: Any) -> None:
    ledger, stack, _root = world
    stack.fail_next = True
    with pytest.raises(DeployFailed, match="did not start"):
        ledger.deploy()
    assert ledger.releases()[-1].outcome == "failed"
    assert stack.settings_file.read_bytes() == CHECKED_IN


def test_preview_adds_the_artifact_diff_and_leaves_config_alone(world: Any) -> None:
    ledger, stack, root = world
    deploy(ledger, root, V1)
    (root / "checkout.slo.yaml").write_text(V2)
    report = ledger.preview()
    assert report.change_summary == {"update": 2, "same": 20}
    assert "prometheus/rules/checkout.slo.rules.yml" in report.artifacts.changed
    assert report.artifacts.format("markdown").strip()
    assert ReleaseRecord.from_mapping(stack.previews[-1]).spec_text == V2  # type: ignore[union-attr]
    assert stack.settings_file.read_bytes() == CHECKED_IN
    assert len(stack.updates) == 1, "a preview records no update"


def test_the_ledger_protocol(world: Any) -> None:
    ledger, _stack, root = world
    first = deploy(ledger, root, V1)
    second = deploy(ledger, root, V2)
    assert [r.id for r in ledger.releases()] == [first, second]
    assert ledger.previous_good().id == first
    assert ledger.previous_good(before=second).id == first
    with pytest.raises(NoPreviousRelease):
        ledger.previous_good(before=first)
    with pytest.raises(LedgerReadOnly):
        ledger.record(ledger.releases()[0])
    assert ledger.releases()[0].settings == dict(load_spec_text(V1).service.env)  # type: ignore[union-attr]


def test_cli_commands_exit_codes_and_messages(world: Any) -> None:
    ledger, _stack, root = world
    out, err = io.StringIO(), io.StringIO()
    opener = lambda name: ledger  # noqa: E731
    assert cli_commands.rollback_pulumi("dev", out=out, err=err, open_stack=opener) == 1
    assert "no successful update" in err.getvalue()
    assert cli_commands.up_pulumi("dev", out=out, err=err, open_stack=opener) == 0
    assert "deploy " in out.getvalue() and "succeeded" in out.getvalue()
    (root / "checkout.slo.yaml").write_text(V2)
    md = io.StringIO()
    assert cli_commands.preview("dev", markdown=True, out=md, err=err, open_stack=opener) == 0
    assert md.getvalue().startswith("### slostack preview: stack `dev`")
    (root / "checkout.slo.yaml").write_text("apiVersion: slostack/v1\n")
    bad = io.StringIO()
    assert cli_commands.up_pulumi("dev", out=out, err=bad, open_stack=opener) == 1
    assert "checkout.slo.yaml:" in bad.getvalue(), "spec problems come out as file:line:col lines"


def test_without_a_settings_file_the_config_is_put_back_through_the_api(world: Any) -> None:
    ledger, stack, root = world
    bare = PulumiReleases(stack, root, None, clock=ledger.clock)
    before = {k: (v.value, v.secret) for k, v in stack.get_all_config().items()}
    bare.deploy()
    assert {k: (v.value, v.secret) for k, v in stack.get_all_config().items()} == before
