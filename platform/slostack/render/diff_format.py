"""A `BundleDiff` as plain text (a terminal) or Markdown (a pull-request comment)."""

from __future__ import annotations

from .diff import BundleDiff

__all__ = ["format_diff"]

_MARK = {"added": "+", "removed": "-", "changed": "~"}


def _headline(diff: BundleDiff) -> str:
    if diff.equal:
        return f"No changes: both bundles are identical ({diff.old_digest[:19]})."
    n = len(diff.artifacts)
    return (
        f"{n} artifact{'s' if n != 1 else ''} changed "
        f"(bundle {diff.old_digest[:19]} -> {diff.new_digest[:19]})"
    )


def _text(diff: BundleDiff) -> str:
    lines = [_headline(diff)]
    for artifact in diff.artifacts:
        lines += ["", f"{artifact.title} ({artifact.path})"]
        for change in artifact.changes:
            lines.append(f"  {_MARK[change.kind]} {change.what}")
            lines += [f"      {detail}" for detail in change.details]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    # Pipes end a table cell (and PromQL regexes are full of them); newlines end the row.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(diff: BundleDiff) -> str:
    lines = [f"### slostack diff: {_headline(diff)}"]
    for artifact in diff.artifacts:
        lines += [
            "",
            f"#### {artifact.title} — `{artifact.path}`",
            "",
            "| | what | details |",
            "|---|---|---|",
        ]
        for change in artifact.changes:
            details = "<br>".join(_cell(d) for d in change.details)
            lines.append(f"| {change.kind} | {_cell(change.what)} | {details} |")
    return "\n".join(lines) + "\n"


def format_diff(diff: BundleDiff, style: str = "text") -> str:
    """`style` is "text" or "markdown"."""
    if style == "markdown":
        return _markdown(diff)
    if style == "text":
        return _text(diff)
    raise ValueError(f"unknown diff format {style!r} (use text or markdown)")
