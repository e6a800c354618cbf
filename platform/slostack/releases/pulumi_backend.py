"""The Pulumi release ledger: stack history is the record, a rollback is an `up` of an older record.

Every update slostack drives puts a release record into stack config for that one update
(`pulumi_config.ReleaseRecord`: id, kind, the spec's text and digest, the bundle digest, the app
version). `stack.history()` returns each update's config, so the history IS the ledger:

- `deploy()`   records the spec file as a new release and runs `up`;
- `rollback()` finds the previous successful update that carries a record, restores its `slostack:`
  config (spec text included) and runs `up`; it refuses when there is no earlier success;
- `preview()`  runs `preview` with the would-be record and adds the artifact-level diff.

The stack's settings file (stacks/Pulumi.<stack>.yaml) is put back byte for byte after each
operation: the checked-in file stays the person's, and a plain `pulumi up` later deploys the spec
file, never a stale record. Updates made by a plain `pulumi up` carry no record; they count as the
current deployment but are never rolled back TO (nothing says how to re-create them).

Pulumi itself is imported only when a real stack is opened; everything else works on any object
with the Automation API `Stack` interface (tests use a fake).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..components.settings import NAMESPACE, SettingsError, StackSettings
from ..render.bundle import Bundle
from ..render.pipeline import spec_digest
from ..spec import Spec, SpecError, load_spec_text
from .model import NoPreviousRelease, Outcome, Release, ReleaseKind
from .pulumi_config import ReleaseRecord, ReleaseRecordError, full_key
from .pulumi_diff import ArtifactReport, artifact_report

__all__ = [
    "DeployFailed",
    "HistoryEntry",
    "LedgerReadOnly",
    "PreviewReport",
    "PulumiReleases",
    "PulumiUnavailable",
    "open_ledger",
    "project_root",
    "rollback",
    "rollbacker",
]

SECRET_SENTINEL = "[secret]"  # noqa: S105 - what history shows for a secret when secrets are not shown


class PulumiUnavailable(RuntimeError):
    """No Pulumi CLI (or no such stack): the Automation API cannot run."""


class DeployFailed(RuntimeError):
    """`pulumi up` failed; the release is in history with outcome `failed`."""

    def __init__(self, release_id: str, message: str) -> None:
        super().__init__(f"release {release_id} failed: {message}")
        self.release_id = release_id


class LedgerReadOnly(NotImplementedError):
    """Pulumi writes its history itself, during `up`: releases cannot be recorded from outside."""


class ConfigValueLike(Protocol):
    value: str
    secret: bool


class UpdateLike(Protocol):
    kind: str
    result: str
    version: int | None
    start_time: datetime
    config: Mapping[str, Any]  # key -> ConfigValue


class StackLike(Protocol):
    """The part of `pulumi.automation.Stack` this module uses (the fake in tests has the same)."""

    @property
    def name(self) -> str: ...

    def history(
        self, page_size: int | None = None, page: int | None = None, show_secrets: bool = True
    ) -> Any: ...

    def get_all_config(self) -> Any: ...

    def set_all_config(self, config: Any, *, path: bool = False) -> None: ...

    def remove_all_config(self, keys: list[str], *, path: bool = False) -> None: ...

    def up(self, *, on_output: Callable[[str], Any] | None = ..., message: str | None = ...) -> Any: ...

    def preview(self, *, on_output: Callable[[str], Any] | None = ..., message: str | None = ...) -> Any: ...


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    result: str  # succeeded | failed | in-progress
    started: datetime
    config: dict[str, str]
    secret_keys: frozenset[str]
    record: ReleaseRecord | None  # None: a plain `pulumi up`, not made by slostack


@dataclass(frozen=True)
class PreviewReport:
    stack: str
    change_summary: dict[str, int]
    stdout: str
    artifacts: ArtifactReport


_OUTCOMES: dict[str, Outcome] = {"succeeded": "succeeded", "failed": "failed", "in-progress": "pending"}


def _config_value(value: str, secret: bool) -> Any:
    from pulumi.automation import ConfigValue

    return ConfigValue(value=value, secret=secret)


@dataclass
class PulumiReleases:
    """The `Ledger` of one Pulumi stack, plus the operations that add to it (deploy, rollback)."""

    stack: StackLike
    project_root: Path
    settings_file: Path | None = None  # stacks/Pulumi.<stack>.yaml, restored after each operation
    on_output: Callable[[str], None] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    make_value: Callable[[str, bool], Any] = _config_value  # builds an automation ConfigValue

    # --- reading the ledger -------------------------------------------------------------------

    def history(self) -> list[HistoryEntry]:
        """Updates (not refreshes or destroys), oldest first."""
        entries = []
        for update in self.stack.history(show_secrets=True):
            if update.kind != "update" or update.version is None:
                continue
            values = {k: str(v.value) for k, v in update.config.items()}
            secrets = frozenset(k for k, v in update.config.items() if v.secret)
            try:
                record = ReleaseRecord.from_mapping(values)
            except ReleaseRecordError:
                record = None  # unreadable: treat as unrecorded rather than crash the ledger
            entries.append(
                HistoryEntry(update.version, update.result, update.start_time, values, secrets, record)
            )
        return sorted(entries, key=lambda e: e.version)

    def _release(self, entry: HistoryEntry) -> Release:
        assert entry.record is not None
        record = entry.record
        kind: ReleaseKind = "rollback" if record.kind == "rollback" else "deploy"
        return Release(
            id=record.release_id,
            created_at=entry.started if entry.started.tzinfo else entry.started.replace(tzinfo=UTC),
            kind=kind,
            spec_digest=record.spec_digest,
            bundle_digest=record.bundle_digest,
            app_version=record.app_version,
            settings=_app_env(record.spec_text),
            outcome=_OUTCOMES.get(entry.result, "failed"),
            source_release=record.source_release or None,
            note=f"pulumi update {entry.version} of stack {self.stack.name}",
        )

    def releases(self) -> list[Release]:
        return [self._release(e) for e in self.history() if e.record is not None]

    def current(self) -> Release | None:
        """The newest succeeded update, if slostack recorded it (a plain `pulumi up` was not)."""
        succeeded = [e for e in self.history() if e.result == "succeeded"]
        if not succeeded or succeeded[-1].record is None:
            return None
        return self._release(succeeded[-1])

    def previous_good(self, before: str | None = None) -> Release:
        entries = self.history()
        if before is None:
            succeeded = [e for e in entries if e.result == "succeeded"]
            if not succeeded:
                raise NoPreviousRelease(f"stack {self.stack.name} has no successful update")
            limit = succeeded[-1].version
        else:
            found = [e for e in entries if e.record is not None and e.record.release_id == before]
            if not found:
                raise NoPreviousRelease(f"stack {self.stack.name} has no release {before}")
            limit = found[0].version
        older = [e for e in entries if e.version < limit and e.result == "succeeded" and e.record is not None]
        if not older:
            raise NoPreviousRelease(
                f"stack {self.stack.name} has no successful release before update {limit}"
            )
        return self._release(older[-1])

    def record(self, release: Release) -> Release:
        raise LedgerReadOnly("Pulumi records releases during `up`: use deploy() or rollback()")

    def finish(self, release_id: str, outcome: Outcome) -> Release:
        raise LedgerReadOnly("Pulumi sets an update's outcome itself when `up` ends")

    def rollback_target(self) -> HistoryEntry:
        """The update a rollback re-applies (see the module doc); NoPreviousRelease when none."""
        entries = self.history()
        succeeded = [e for e in entries if e.result == "succeeded"]
        if not succeeded:
            raise NoPreviousRelease(f"stack {self.stack.name} has no successful update to roll back from")
        current = succeeded[-1]
        anchor = current.version
        if current.record is not None and current.record.kind == "rollback" and current.record.source_release:
            # Rolling back a rollback walks further back (from the release it re-applied), instead of
            # flipping between the last two releases.
            source = [
                e
                for e in entries
                if e.record is not None and e.record.release_id == current.record.source_release
            ]
            if source:
                anchor = source[0].version
        candidates = [
            e
            for e in succeeded
            if e.version < anchor and e.record is not None and not _same_content(e.record, current.record)
        ]
        if not candidates:
            raise NoPreviousRelease(
                f"stack {self.stack.name}: no earlier successful update recorded by slostack to roll back to"
            )
        return candidates[-1]

    # --- adding to it ---------------------------------------------------------------------------

    def _user_config(self) -> dict[str, str]:
        return {k: str(v.value) for k, v in self.stack.get_all_config().items()}

    def _settings(self, values: Mapping[str, str]) -> StackSettings:
        try:
            return StackSettings.from_mapping(values)
        except SettingsError as e:
            raise SettingsError(f"stack {self.stack.name}: {e}") from None

    def _new_id(self, bundle: Bundle) -> str:
        return f"{self.clock().strftime('%Y%m%dT%H%M%SZ')}-{bundle.digest.removeprefix('sha256:')[:8]}"

    def _current_image(self) -> str:
        """The app image the stack runs now: what the docker actuator should roll back to."""
        succeeded = [e for e in self.history() if e.result == "succeeded" and e.record is not None]
        if not succeeded:
            return ""
        entry = succeeded[-1]
        assert entry.record is not None
        try:
            spec = load_spec_text(entry.record.spec_text, "recorded spec")
            return _app_image(spec, self._settings(entry.config))
        except (SpecError, SettingsError):
            return entry.record.previous_image

    def _prepare(self, spec_path: str | None) -> tuple[dict[str, str], ReleaseRecord, Bundle]:
        values = self._user_config()
        if spec_path is not None:
            values[full_key("spec")] = spec_path
        settings = self._settings(values)
        path = settings.spec_file(self.project_root)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise SettingsError(f"{NAMESPACE}:spec: cannot read {path}: {e.strerror or e}") from None
        spec = load_spec_text(text, str(path))  # SpecError: the caller prints its lines
        bundle = settings.bundle(spec)
        record = ReleaseRecord(
            release_id=self._new_id(bundle),
            kind="deploy",
            spec_text=text,
            spec_digest=spec_digest(spec),
            bundle_digest=bundle.digest,
            app_version=spec.service.version if spec.service else "",
            previous_image=self._current_image(),
        )
        staged = dict(record.to_config())
        if spec_path is not None:
            staged[full_key("spec")] = spec_path
        return staged, record, bundle

    def _up(self, staged: Mapping[str, str], secrets: frozenset[str], record: ReleaseRecord) -> Release:
        values = {k: self.make_value(v, k in secrets) for k, v in staged.items()}
        with self._staged(values):
            try:
                result = self.stack.up(
                    on_output=self.on_output, message=f"slostack {record.kind} {record.release_id}"
                )
            except Exception as e:  # the Automation API raises CommandError subclasses
                raise DeployFailed(
                    record.release_id, str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)
                ) from e
        summary = result.summary
        return self._release(
            HistoryEntry(
                version=summary.version or 0,
                result=summary.result,
                started=summary.start_time,
                config=dict(staged),
                secret_keys=secrets,
                record=record,
            )
        )

    def deploy(self, spec_path: str | None = None) -> Release:
        """Record the spec file (or `spec_path`, relative to the project root) as a release; `up`."""
        staged, record, _ = self._prepare(spec_path)
        return self._up(staged, frozenset(), record)

    def rollback(self) -> Release:
        """Re-apply the previous good release's `slostack:` config, spec text included; `up`."""
        target = self.rollback_target()
        assert target.record is not None
        restored = {k: v for k, v in target.config.items() if k.startswith(f"{NAMESPACE}:")}
        hidden = [k for k in restored if k in target.secret_keys and restored[k] == SECRET_SENTINEL]
        if hidden:
            raise PulumiUnavailable(f"history hides the secret config {', '.join(hidden)}; cannot restore it")
        settings = self._settings(restored)
        spec = load_spec_text(target.record.spec_text, f"release {target.record.release_id}")
        bundle = settings.bundle(spec)
        source = (
            target.record.source_release if target.record.kind == "rollback" else target.record.release_id
        )
        record = ReleaseRecord(
            release_id=self._new_id(bundle),
            kind="rollback",
            spec_text=target.record.spec_text,
            spec_digest=spec_digest(spec),
            bundle_digest=bundle.digest,
            app_version=target.record.app_version,
            source_release=source or target.record.release_id,
            previous_image=self._current_image(),
        )
        restored.update(record.to_config())
        return self._up(restored, target.secret_keys, record)

    def preview(self, spec_path: str | None = None, style: str = "text") -> PreviewReport:
        staged, record, bundle = self._prepare(spec_path)
        values = {k: self.make_value(v, False) for k, v in staged.items()}
        with self._staged(values):
            result = self.stack.preview(
                on_output=self.on_output, message=f"slostack preview {record.release_id}"
            )
        return PreviewReport(
            stack=self.stack.name,
            change_summary={str(k): int(v) for k, v in (result.change_summary or {}).items()},
            stdout=result.stdout or "",
            artifacts=artifact_report(self._deployed_bundle(), bundle, style),
        )

    def _deployed_bundle(self) -> Bundle | None:
        """The bundle of the newest successful recorded update, re-rendered from its recorded spec."""
        succeeded = [e for e in self.history() if e.result == "succeeded" and e.record is not None]
        if not succeeded:
            return None
        entry = succeeded[-1]
        assert entry.record is not None
        try:
            spec = load_spec_text(entry.record.spec_text, "recorded spec")
            return self._settings(entry.config).bundle(spec)
        except (SpecError, SettingsError):
            return None

    @contextlib.contextmanager
    def _staged(self, values: Mapping[str, Any]) -> Iterator[None]:
        """Config for one operation; afterwards the settings file is as it was, byte for byte."""
        with _lock(self.settings_file):
            saved = (
                self.settings_file.read_bytes()
                if self.settings_file and self.settings_file.exists()
                else None
            )
            before = self.stack.get_all_config() if saved is None else {}
            try:
                self.stack.set_all_config(dict(values))
                yield
            finally:
                if saved is not None and self.settings_file is not None:
                    self.settings_file.write_bytes(saved)
                else:
                    added = [k for k in values if k not in before]
                    if added:
                        self.stack.remove_all_config(added)
                    kept = {k: before[k] for k in values if k in before}
                    if kept:
                        self.stack.set_all_config(kept)


def _same_content(a: ReleaseRecord, b: ReleaseRecord | None) -> bool:
    return b is not None and (a.bundle_digest, a.app_version) == (b.bundle_digest, b.app_version)


def _app_env(spec_text: str) -> dict[str, str]:
    try:
        spec = load_spec_text(spec_text, "recorded spec")
    except SpecError:
        return {}
    return dict(spec.service.env) if spec.service else {}


def _app_image(spec: Spec, settings: StackSettings) -> str:
    if spec.service is None:
        return ""
    return settings.app_image or spec.service.image or f"{spec.service.name}:{spec.service.version}"


@contextlib.contextmanager
def _lock(settings_file: Path | None) -> Iterator[None]:
    """One slostack operation per stack at a time: Pulumi locks the update, not the settings file
    this module swaps. The lock is on the file itself, so nothing is left behind."""
    if settings_file is None or not settings_file.exists():
        yield
        return
    fd = os.open(settings_file, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def project_root(start: Path | None = None) -> Path:
    """The folder with Pulumi.yaml, from `start` (default: the working directory) upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise PulumiUnavailable(f"no Pulumi.yaml in {here} or above: run from the slostack project")


def _settings_file(root: Path, stack_name: str) -> Path:
    project = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    folder = project.get("stackConfigDir") or "."
    return root / folder / f"Pulumi.{stack_name}.yaml"


def open_ledger(
    stack_name: str, *, root: Path | None = None, on_output: Callable[[str], None] | None = None
) -> PulumiReleases:
    """The ledger of an existing stack of the project at `root` (found from the cwd by default)."""
    folder = project_root(root)
    try:
        from pulumi.automation import select_stack
        from pulumi.automation.errors import CommandError

        stack = select_stack(stack_name, work_dir=str(folder))
    except FileNotFoundError:
        raise PulumiUnavailable(
            "the pulumi CLI is not on PATH (https://www.pulumi.com/docs/install/)"
        ) from None
    except CommandError as e:
        raise PulumiUnavailable(
            f"cannot select stack {stack_name}: {str(e).strip().splitlines()[-1]}"
        ) from None
    return PulumiReleases(stack, folder, _settings_file(folder, stack_name), on_output=on_output)


def rollback(
    stack_name: str, *, root: Path | None = None, on_output: Callable[[str], None] | None = None
) -> Release:
    """Roll `stack_name` back to its previous good release (the healer's `pulumi` actuator calls this)."""
    return open_ledger(stack_name, root=root, on_output=on_output).rollback()


def rollbacker(stack_name: str, *, root: Path | None = None) -> Callable[[str], str]:
    """For `PulumiActuator(rollback=...)`: target -> the id of the release now deployed."""

    def roll(target: str) -> str:
        return rollback(stack_name, root=root).id

    return roll
