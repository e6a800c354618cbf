"""The Jinja2 environment shared by every templated artifact (rules, tests, dashboards).

Templates are looked up first in the user's `--templates DIR`, then in the packaged folders, so a
user overrides one file by name without copying the rest.
"""

from __future__ import annotations

import json
from functools import cache
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["TemplateError", "render_template"]


class TemplateError(Exception):
    """A template could not be found or rendered; the message names the template."""


def _quote(value: Any) -> str:
    # A JSON string is a valid YAML double-quoted scalar, with every special character escaped.
    return encode_basestring(value if isinstance(value, str) else str(value))


@cache
def _environment(user_dir: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.PackageLoader("slostack.rules_templates", "."))
    loaders.append(jinja2.PackageLoader("slostack.dashboards_templates", "."))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - YAML and JSON out; HTML escaping would corrupt PromQL
    )
    env.filters["q"] = _quote
    env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return env


def render_template(name: str, user_dir: Path | None = None, **context: Any) -> str:
    try:
        text = _environment(user_dir).get_template(name).render(**context)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template {name!r} not found") from None
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" line {line}" if line else ""
        raise TemplateError(f"template {name!r}{where}: {exc.message or exc}") from None
    return text.rstrip("\n") + "\n"
