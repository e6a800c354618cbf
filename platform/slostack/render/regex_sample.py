"""Produce a string that a (Prometheus, fully anchored) regular expression matches.

The generated promtool tests need input series whose label values satisfy the spec's selectors,
e.g. `code=~"5.."` -> "500". Only what selectors use in practice is supported; anything else
falls back to trying a few likely values.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+ moved the parser; both spellings are kept for 3.11 and 3.12+.
    import re._parser as sre_parse  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef,unused-ignore]

__all__ = ["sample_matching", "sample_not_matching"]

_FALLBACKS = ("500", "200", "GET", "POST", "slostack", "x", "0", "1", "")


def _gen(items: Any) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ANY":
            out.append("0")
        elif name == "IN":
            out.append(_gen_in(arg))
        elif name == "BRANCH":
            out.append(_gen(arg[1][0]))
        elif name == "SUBPATTERN":
            out.append(_gen(arg[-1]))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_gen(sub) * max(low, 0))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "CATEGORY":
            out.append("0" if "DIGIT" in str(arg) else "a")
        else:
            raise ValueError(name)
    return "".join(out)


def _gen_in(items: Any) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    if negate:
        excluded = {chr(a) for op, a in items if str(op) == "LITERAL"}
        return next(c for c in "xyz0123456789" if c not in excluded)
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0])
    if name == "CATEGORY":
        return "0" if "DIGIT" in str(arg) else "a"
    raise ValueError(name)


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def sample_matching(pattern: str) -> str:
    try:
        candidate = _gen(sre_parse.parse(pattern))
        if _matches(pattern, candidate):
            return candidate
    except (ValueError, re.error, StopIteration, IndexError):
        pass
    for candidate in _FALLBACKS:
        if _matches(pattern, candidate):
            return candidate
    raise ValueError(f"cannot find a value matching /{pattern}/ for a generated test series")


def sample_not_matching(pattern: str) -> str:
    for candidate in ("slostack_other", "200", "zzz", "0", ""):
        if not _matches(pattern, candidate):
            return candidate
    raise ValueError(f"every value matches /{pattern}/")
