"""The artifact-level half of `slostack preview`: what changes in the rendered files, not resources.

`slostack.render.diff` explains a change in a reviewer's terms (alert thresholds, routes, panels);
when it is not there (an older slostack), changed bundle paths are listed by digest instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

from ..render.bundle import Bundle

__all__ = ["ArtifactReport", "artifact_report"]


@dataclass(frozen=True)
class ArtifactReport:
    old_digest: str | None  # None: nothing deployed (or not recorded) yet
    new_digest: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    explained: str | None  # render.diff's own account, when available

    @property
    def equal(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def format(self, style: str = "text") -> str:
        if self.explained is not None:
            return self.explained
        if self.equal:
            return "No artifact changes.\n"
        marks = [("added", self.added), ("removed", self.removed), ("changed", self.changed)]
        if style == "markdown":
            lines = ["| file | change |", "|---|---|"]
            lines += [f"| `{path}` | {kind} |" for kind, paths in marks for path in paths]
        else:
            lines = [f"{kind[0].upper()} {path}" for kind, paths in marks for path in paths]
        return "\n".join(lines) + "\n"


def _explain(old: Mapping[str, str], new: Mapping[str, str], style: str) -> str | None:
    try:
        diff = importlib.import_module("slostack.render.diff")
        fmt = importlib.import_module("slostack.render.diff_format")
        return str(fmt.format_diff(diff.diff_bundles(old, new), style))
    except (ImportError, AttributeError):
        return None


def artifact_report(old: Bundle | None, new: Bundle, style: str = "text") -> ArtifactReport:
    before = old.file_digests() if old is not None else {}
    after = new.file_digests()
    return ArtifactReport(
        old_digest=old.digest if old is not None else None,
        new_digest=new.digest,
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(sorted(p for p in set(before) & set(after) if before[p] != after[p])),
        explained=_explain(old or {}, new, style),
    )
