"""YAML text for generated config files: a header comment, then the data in the order it was built."""

from __future__ import annotations

from typing import Any

from .yaml_out import dump_yaml

__all__ = ["yaml_document"]


def yaml_document(header: str, data: Any) -> str:
    """`header` lines become comments; key order is kept so the file reads top-down like the docs."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.strip().splitlines())
    return comments + dump_yaml(data)
