"""A small parser for PromQL series selectors: `metric{label="v",other=~"re"}`.

The spec takes plain selectors and slostack writes rate()/increase() around them, so it needs the
metric name and the matchers (e.g. to add `le="0.3"` to a histogram). Full PromQL expressions are
checked by promtool when the bundle is rendered; this module only has to be exact about selectors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .names import METRIC_NAME

__all__ = ["Matcher", "Selector", "parse_selector"]

_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_OPS = ("=~", "!~", "!=", "=")


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str  # unescaped

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[Matcher, ...]

    def with_matcher(self, matcher: Matcher) -> Selector:
        kept = tuple(m for m in self.matchers if m.name != matcher.name)
        return Selector(self.metric, (*kept, matcher))

    def label_value(self, name: str) -> str | None:
        for m in self.matchers:
            if m.name == name and m.op == "=":
                return m.value
        return None

    def __str__(self) -> str:
        if not self.matchers:
            return self.metric
        return self.metric + "{" + ",".join(str(m) for m in self.matchers) + "}"


@lru_cache(maxsize=4096)
def parse_selector(text: str) -> Selector:
    """Parse a series selector; raise ValueError with a message a user can act on."""
    src = text.strip()
    brace = src.find("{")
    name = src if brace < 0 else src[:brace].strip()
    if not name:
        raise ValueError(f"a selector needs a metric name before '{{' (got {text!r})")
    if not METRIC_NAME.match(name):
        raise ValueError(
            f"not a plain series selector: {name!r} is not a metric name "
            "(write the selector only; slostack adds rate())"
        )
    if brace < 0:
        return Selector(name, ())
    if not src.endswith("}"):
        if "}" not in src[brace:]:
            raise ValueError(f"unclosed '{{' in selector {text!r}")
        raise ValueError(f"unexpected text after '}}' in selector {text!r}")
    body = src[brace + 1 : -1]
    matchers: list[Matcher] = []
    i = 0
    while True:
        while i < len(body) and body[i] in " \t":
            i += 1
        if i >= len(body):
            break
        m = _LABEL.match(body, i)
        if not m:
            raise ValueError(f"expected a label name at {body[i:]!r} in selector {text!r}")
        label = m.group(0)
        i = m.end()
        while i < len(body) and body[i] == " ":
            i += 1
        op = next((o for o in _OPS if body.startswith(o, i)), None)
        if op is None:
            raise ValueError(f"expected =, !=, =~ or !~ after {label!r} in selector {text!r}")
        i += len(op)
        while i < len(body) and body[i] == " ":
            i += 1
        if i >= len(body) or body[i] not in "\"'`":
            raise ValueError(f"the value of {label!r} must be quoted in selector {text!r}")
        quote = body[i]
        i += 1
        value = []
        while True:
            if i >= len(body):
                raise ValueError(f"unclosed quote in selector {text!r}")
            ch = body[i]
            if ch == "\\" and quote != "`" and i + 1 < len(body):
                nxt = body[i + 1]
                value.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                i += 2
                continue
            if ch == quote:
                i += 1
                break
            value.append(ch)
            i += 1
        if op in ("=~", "!~"):
            try:
                re.compile("".join(value))
            except re.error as exc:
                raise ValueError(
                    f"bad regular expression for {label!r} in selector {text!r}: {exc}"
                ) from None
        matchers.append(Matcher(label, op, "".join(value)))
        while i < len(body) and body[i] == " ":
            i += 1
        if i < len(body):
            if body[i] != ",":
                raise ValueError(f"expected ',' between matchers in selector {text!r}")
            i += 1
    if "__name__" in {m.name for m in matchers}:
        raise ValueError(f"give the metric name before '{{', not as __name__ (in {text!r})")
    return Selector(name, tuple(matchers))
