"""Bodies of `slostack preview`, `slostack up --backend pulumi` and `slostack rollback --backend pulumi`.

Plain functions returning an exit status, so cli.py registers them with its own options and nothing
here imports typer. Exit status: 0 done, 1 failed (one explained line per problem, no traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..releases.model import Release
    from ..releases.pulumi_backend import PulumiReleases

__all__ = ["preview", "rollback_pulumi", "up_pulumi"]

Opener = Callable[[str], "PulumiReleases"]


def _opener(root: Path | None, out: TextIO) -> Opener:
    def open_stack(stack: str) -> PulumiReleases:
        from ..releases.pulumi_backend import open_ledger

        def echo(line: str) -> None:
            out.write(line + "\n")

        return open_ledger(stack, root=root, on_output=echo)

    return open_stack


def _run(action: Callable[[], int], err: TextIO) -> int:
    from ..components.settings import SettingsError
    from ..releases.model import NoPreviousRelease
    from ..releases.pulumi_backend import DeployFailed, PulumiUnavailable
    from ..render.errors import RenderError
    from ..spec import SpecError

    try:
        return action()
    except SpecError as e:
        for problem in e.problems:
            err.write(f"{problem}\n")
    except (NoPreviousRelease, DeployFailed, PulumiUnavailable, SettingsError, RenderError) as e:
        err.write(f"{e}\n")
    return 1


def _describe(release: Release) -> str:
    source = f" (re-applies {release.source_release})" if release.source_release else ""
    return (
        f"{release.kind} {release.id}{source}: {release.outcome}; app {release.app_version}, "
        f"bundle {release.bundle_digest[:19]}"
    )


def preview(
    stack: str,
    spec_path: str | None = None,
    *,
    markdown: bool = False,
    root: Path | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    open_stack: Opener | None = None,
) -> int:
    """`pulumi preview` of the spec file, plus what changes in the rendered artifacts."""
    style = "markdown" if markdown else "text"

    def act() -> int:
        ledger = (open_stack or _opener(root, err if markdown else out))(stack)
        report = ledger.preview(spec_path, style=style)
        counts = (
            ", ".join(f"{n} {op}" for op, n in sorted(report.change_summary.items()) if n) or "no changes"
        )
        if markdown:
            out.write(f"### slostack preview: stack `{report.stack}`\n\n**Resources:** {counts}\n\n")
            out.write("**Artifacts:**\n\n" + report.artifacts.format("markdown"))
        else:
            out.write(f"\nresources: {counts}\nartifacts:\n" + report.artifacts.format("text"))
        return 0

    return _run(act, err)


def up_pulumi(
    stack: str,
    spec_path: str | None = None,
    *,
    root: Path | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    open_stack: Opener | None = None,
) -> int:
    """`pulumi up` of the spec file, recorded as a release (so it can be rolled back to)."""

    def act() -> int:
        release = (open_stack or _opener(root, out))(stack).deploy(spec_path)
        out.write(_describe(release) + "\n")
        return 0

    return _run(act, err)


def rollback_pulumi(
    stack: str,
    *,
    root: Path | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    open_stack: Opener | None = None,
) -> int:
    """Re-apply the previous successful release of `stack`; refuse when history has none."""

    def act() -> int:
        release = (open_stack or _opener(root, out))(stack).rollback()
        out.write(_describe(release) + "\n")
        return 0

    return _run(act, err)
