"""Render helpers for the bundle tests: the good spec of tests/spec/good.py with some edits."""

from __future__ import annotations

from slostack.render.bundle import Bundle
from slostack.render.options import RenderOptions
from slostack.render.pipeline import render
from slostack.spec import Spec
from slostack.spec.load import load_spec_text
from tests.spec.good import GOOD

Edit = tuple[str, str]

SERVICE = "service:\n  build: sample_app\n  port: 8000\n  scrape: {job: checkout, interval: 15s}\n"
WEBHOOK = "{name: oncall, webhook: {url_file: /run/secrets/oncall-url}}"
SLACK = "{name: oncall, slack: {api_url_file: /run/secrets/slack}}"
HEALING = GOOD[GOOD.index("healing:") : GOOD.index("deploy:")]
# Without a service (or healing) there is no healer, so webhooks (relayed by it) must go too.
NO_HEALER = ((HEALING, "healing: {enabled: false}\n"), (WEBHOOK, SLACK))
NO_SERVICE = ((SERVICE, ""), (HEALING, ""), (WEBHOOK, SLACK))


def spec_text(*edits: Edit) -> str:
    text = GOOD
    for old, new in edits:
        assert text.count(old) == 1, f"edit target {old!r} must occur exactly once"
        text = text.replace(old, new)
    return text


def spec_of(*edits: Edit) -> Spec:
    return load_spec_text(spec_text(*edits), "checkout.slo.yaml")


def bundle_of(*edits: Edit, options: RenderOptions | None = None) -> Bundle:
    return render(spec_of(*edits), options or RenderOptions())
