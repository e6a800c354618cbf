"""YAML parsing that remembers where every value came from, and refuses hostile input early.

PyYAML's composer gives nodes with marks; we build plain Python values from them ourselves so that
each value's line and column is kept (for error messages), duplicate keys are caught (PyYAML silently
keeps the last one), and aliases are expanded under a budget (a "billion laughs" document fails fast
with bounded memory instead of exhausting the machine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from .errors import Problem, SpecError

__all__ = ["MAX_FILE_BYTES", "MAX_NODES", "Located", "Path", "parse_yaml"]

MAX_FILE_BYTES = 2 * 1024 * 1024
# Far above any real spec (1,000 SLOs is ~40,000 nodes) and far below what hurts.
MAX_NODES = 400_000

Path = tuple[str | int, ...]
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Located:
    """Parsed data plus the (line, column) of every value and of every mapping key, 1-based."""

    data: Any
    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that exists in the file."""
        probe = tuple(path)
        while True:
            table = self.keys if key and probe in self.keys else self.values
            if probe in table:
                return table[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def problem(self, path: Path, message: str, *, key: bool = False) -> Problem:
        from .errors import format_path

        line, column = self.where(path, key=key)
        return Problem(self.file, line, column, format_path(path), message)


class _Builder:
    def __init__(self, located: Located) -> None:
        self.located = located
        self.budget = MAX_NODES
        self.problems: list[Problem] = []
        self._scalars = _Loader("")  # only its scalar constructors are used

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooBig
        self.located.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    Problem(
                        self.located.file,
                        *where,
                        _fmt(path),
                        "YAML merge keys (<<) are not supported; write the fields out",
                    )
                )
                continue
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                if isinstance(key, (int, bool, Decimal)) and isinstance(key_node, yaml.ScalarNode):
                    key = key_node.value  # `200: ...` in a map of labels is meant as the string "200"
                else:
                    self.problems.append(
                        Problem(self.located.file, *where, _fmt(path), "mapping keys must be plain strings")
                    )
                    continue
            if key in out:
                self.problems.append(
                    Problem(
                        self.located.file,
                        *where,
                        _fmt((*path, key)),
                        "duplicate key (a key may appear only once in a mapping)",
                    )
                )
                continue
            self.located.keys[(*path, key)] = where
            out[key] = self.build(value_node, (*path, key))
        return out

    def _scalar(self, node: yaml.Node) -> Any:
        if not node.tag.startswith("tag:yaml.org,2002:"):
            mark = node.start_mark
            raise _BadNode(mark.line + 1, mark.column + 1, f"unsupported YAML tag {node.tag!r}")
        if node.tag == "tag:yaml.org,2002:float":
            # Keep the exact decimal the user wrote: 99.9 must not become 99.900000000000006.
            try:
                return Decimal(str(node.value).replace("_", ""))
            except InvalidOperation:
                return self._scalars.construct_object(node)
        if node.tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
            return str(node.value)
        return self._scalars.construct_object(node)


class _TooBig(Exception):
    pass


class _BadNode(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def _fmt(path: Path) -> str:
    from .errors import format_path

    return format_path(path)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    return lines[line][column : column + 1] if line < len(lines) else ""


def parse_yaml(text: str, file: str) -> Located:
    """Parse one YAML document; raise SpecError with positions for anything unusable."""
    located = Located(None, file)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise SpecError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "(document)",
                    f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                    "split it into one spec per service",
                )
            ]
        )
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            reason = "tab character; YAML indentation must use spaces"
        raise SpecError([Problem(file, line, column, "(document)", f"YAML syntax error: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(file, 1, 1, "(document)", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise SpecError([Problem(file, 1, 1, "(document)", "YAML nesting is too deep")]) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise SpecError([Problem(file, 1, 1, "(document)", "the file is empty; expected a spec document")])
    if len(nodes) > 1:
        second = nodes[1].start_mark
        raise SpecError(
            [
                Problem(
                    file,
                    second.line + 1,
                    second.column + 1,
                    "(document)",
                    "expected one YAML document, found several (split them into files)",
                )
            ]
        )
    builder = _Builder(located)
    try:
        located.data = builder.build(nodes[0], ())
    except _TooBig:
        raise SpecError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "(document)",
                    f"document expands to more than {MAX_NODES} values "
                    "(an alias bomb?); refusing to expand it",
                )
            ]
        ) from None
    except RecursionError:
        raise SpecError([Problem(file, 1, 1, "(document)", "YAML nesting is too deep")]) from None
    except _BadNode as exc:
        raise SpecError([Problem(file, exc.line, exc.column, "(document)", exc.message)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        # PyYAML's scalar constructors reject some well-formed values (e.g. an out-of-range date).
        raise SpecError([Problem(file, 1, 1, "(document)", f"unreadable YAML value: {exc}")]) from None
    if builder.problems:
        raise SpecError(builder.problems)
    return located
