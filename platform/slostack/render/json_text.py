"""Readable, deterministic JSON for generated files (Grafana dashboards), fast enough for 1,000 SLOs.

Small objects stay on one line and large ones are broken up, so a changed query or threshold is a
one-line diff. One bottom-up pass builds each node's one-line text from its children's, so nothing
is encoded twice; strings and numbers go through the C encoder.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

__all__ = ["json_document"]

_WIDTH = 100
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _both(value: Any, indent: int) -> tuple[str, str]:
    """(one-line, pretty) text of `value` when it starts at column `indent`."""
    if isinstance(value, dict) and value:
        keys = [encode_basestring(str(k)) + ": " for k in value]
        children = [_both(v, indent + 2) for v in value.values()]
        flat = "{" + ", ".join([k + c[0] for k, c in zip(keys, children, strict=True)]) + "}"
        if indent + len(flat) <= _WIDTH:
            return flat, flat
        pad = " " * (indent + 2)
        lines = ",\n".join([pad + k + c[1] for k, c in zip(keys, children, strict=True)])
        return flat, "{\n" + lines + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        children = [_both(v, indent + 2) for v in value]
        flat = "[" + ", ".join([c[0] for c in children]) + "]"
        if indent + len(flat) <= _WIDTH:
            return flat, flat
        pad = " " * (indent + 2)
        return flat, "[\n" + ",\n".join([pad + c[1] for c in children]) + "\n" + " " * indent + "]"
    text = encode_basestring(value) if isinstance(value, str) else _encode(value)
    return text, text


def json_document(value: Any) -> str:
    return _both(value, 0)[1] + "\n"
