"""`render(spec) -> Bundle`: every artifact of a spec, pure and deterministic.

Each part is a function `(spec, options) -> {relative path: text}`; the pipeline runs them in order,
refuses two parts writing the same path, and adds `manifest.json` with the digests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from ..spec.model import Spec
from .bundle import Bundle
from .healer_policy import render_healer_policy
from .options import RenderOptions
from .rule_tests import render_rule_tests
from .rules import render_rules

__all__ = ["MANIFEST", "PARTS", "render", "spec_digest"]

Part = Callable[[Spec, RenderOptions], dict[str, str]]

MANIFEST = "manifest.json"
PARTS: tuple[Part, ...] = (
    render_rules,
    render_rule_tests,
    render_healer_policy,
)


def spec_digest(spec: Spec) -> str:
    """Digest of the normalized spec (not its file text): reformatting a file changes nothing."""
    canonical = spec.model_dump_json(exclude={"source"})
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def render(spec: Spec, options: RenderOptions | None = None, **overrides: object) -> Bundle:
    if options is None:
        options = RenderOptions(**overrides)  # type: ignore[arg-type]
    files: dict[str, str] = {}
    for part in PARTS:
        for path, text in part(spec, options).items():
            if path in files:
                raise ValueError(f"two render parts write {path}")
            files[path] = text
    content = Bundle(files)
    manifest = {
        "apiVersion": "slostack/bundle/v1",
        "service": spec.name,
        "spec_digest": spec_digest(spec),
        "content_digest": content.digest,
        "target": spec.deploy.target,
        "files": content.file_digests(),
    }
    files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    return Bundle(files)
