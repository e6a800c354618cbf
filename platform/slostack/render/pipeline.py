"""`render(spec) -> Bundle`: every artifact of a spec, pure and deterministic.

Each part is a function `(spec, options) -> {relative path: text}`; the pipeline runs them in order,
refuses two parts writing the same path, checks that every alert, dashboard and healer query reads
only recording rules the bundle records, and adds `manifest.json` with the digests.

Bundle layout (relative paths; every name comes from `conventions`):

    prometheus/prometheus.yml                     scrape jobs, rule_files: [rules/*.yml], Alertmanager
    prometheus/rules/<service>.slo.rules.yml      SLI recordings, SLO metadata, burn-rate alerts
    prometheus/tests/<service>.slo.test.yml       `promtool test rules` cases for those alerts
    alertmanager/alertmanager.yml                 route tree, inhibitions, receivers (secrets by file)
    alertmanager/tests/routes.yml                 routing cases for `amtool config routes test`
    grafana/dashboards/<uid>.json                 service overview + one dashboard per SLO
    grafana/provisioning/datasources/slostack.yml the Prometheus data source (fixed uid)
    grafana/provisioning/dashboards/slostack.yml  file provider; folder from $SLOSTACK_GRAFANA_DASHBOARDS
    healer/policy.yml                             what the healer does, and how it verifies recovery
    manifest.json                                 spec digest, content digest, one digest per file

Paths inside the Prometheus and Alertmanager configs are relative to their own folder. The app's
file_sd targets file (local target) is written by the runtime next to prometheus.yml, not bundled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from .. import conventions as names
from ..spec.model import Spec
from .alertmanager import render_alertmanager
from .bundle import Bundle
from .dashboards import render_dashboards
from .errors import RenderError
from .expressions import RuleIndex, reference_problems
from .grafana_provisioning import render_grafana_provisioning
from .healer_policy import render_healer_policy
from .options import RenderOptions
from .prometheus_config import render_prometheus_config
from .rule_tests import render_rule_tests
from .rules import render_rules, rule_groups

__all__ = ["MANIFEST", "PARTS", "render", "spec_digest"]

Part = Callable[[Spec, RenderOptions], dict[str, str]]

MANIFEST = "manifest.json"
PARTS: tuple[Part, ...] = (
    render_rules,
    render_rule_tests,
    render_prometheus_config,
    render_alertmanager,
    render_dashboards,
    render_grafana_provisioning,
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
    problems = reference_problems(
        content, RuleIndex.from_groups(names.rules_file(spec.name), rule_groups(spec, options))
    )
    if problems:
        # An inconsistent bundle is never returned: a dashboard must not query what nobody records.
        raise RenderError(*problems)
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
