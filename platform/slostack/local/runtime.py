"""The embedded `local` target: the whole stack as processes on 127.0.0.1, with releases and rollback.

`up` renders the bundle for this environment's ports, validates it with promtool and amtool, records
a release, swaps the active bundle in, starts what is not running, reloads what is, and waits until
everything is ready. `deploy` ships another app version or settings; `rollback` re-applies the
previous good release (config, rules, app version and settings) and records that as a new release.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ..checks.tools import ToolMissing, run_tool
from ..fileio import write_atomic
from ..releases.local_ledger import LocalLedger, new_release_id
from ..releases.model import NoPreviousRelease, Release, ReleaseKind
from ..render.bundle import Bundle
from ..render.options import Endpoints, RenderOptions
from ..render.pipeline import render, spec_digest
from ..spec.load import load_spec_text
from ..spec.model import Spec
from .components import Ports, app_group, server_specs
from .health import READY_PATHS, probe, wait_ready
from .layout import EnvLayout
from .profiles import Profile, apply_profile
from .supervisor import Supervisor, SupervisorError, free_port

__all__ = ["LocalRuntime", "LocalStackError", "UpResult"]

Progress = Callable[[str], None]


class LocalStackError(Exception):
    """A local-stack operation failed; the message says what and where to look."""


@dataclass
class UpResult:
    release: Release
    changed: bool
    urls: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def _quiet(_: str) -> None:
    pass


class LocalRuntime:
    def __init__(self, layout: EnvLayout, progress: Progress = _quiet) -> None:
        self.layout = layout
        self.progress = progress
        layout.root.mkdir(parents=True, exist_ok=True)
        self.supervisor = Supervisor(layout.root)
        self.ledger = LocalLedger(layout.releases)

    # ---- environment ----------------------------------------------------------------------------
    def _environment(self) -> dict[str, object]:
        path = self.layout.environment_file
        return json.loads(path.read_text()) if path.exists() else {}

    def _save_environment(self, data: dict[str, object]) -> None:
        write_atomic(self.layout.environment_file, json.dumps(data, indent=2, sort_keys=True) + "\n")

    def ports(self) -> Ports:
        saved = self._environment().get("ports")
        if isinstance(saved, dict):
            return Ports(**{k: int(v) for k, v in saved.items()})
        ports = Ports(
            app=free_port(),
            prometheus=free_port(),
            alertmanager=free_port(),
            healer=free_port(),
            grafana=free_port(),
        )
        env = self._environment()
        env["ports"] = ports.as_dict()
        self._save_environment(env)
        return ports

    def service(self) -> str:
        """The name of the service this environment runs ('' before the first `up`)."""
        return str(self._environment().get("service", ""))

    def profile(self) -> Profile:
        value = self._environment().get("profile", "default")
        return "drill" if value == "drill" else "default"

    def render_options(self, ports: Ports) -> RenderOptions:
        endpoints = Endpoints(
            app=(f"127.0.0.1:{ports.app}",),
            prometheus=f"127.0.0.1:{ports.prometheus}",
            alertmanager=f"127.0.0.1:{ports.alertmanager}",
            healer=f"127.0.0.1:{ports.healer}",
            grafana=f"127.0.0.1:{ports.grafana}",
            app_targets_file=str(self.layout.targets_file),
        )
        return RenderOptions(endpoints=endpoints, healer_token_file=str(self.layout.secret("healer-token")))

    def spec_for(self, spec_text: str, source: str, profile: Profile) -> Spec:
        return apply_profile(load_spec_text(spec_text, source), profile)

    # ---- validation -------------------------------------------------------------------------------
    def _validate(self, bundle: Bundle) -> None:
        """promtool and amtool on a staged copy: a config that fails is never swapped in."""
        with tempfile.TemporaryDirectory(prefix="slostack-check-") as tmp:
            staged = bundle.write(Path(tmp) / "bundle")
            checks: list[tuple[str, tuple[str, ...]]] = []
            if (staged / "prometheus" / "prometheus.yml").exists():
                checks.append(("promtool", ("check", "config", "prometheus/prometheus.yml")))
            else:
                rules = [str(p.relative_to(staged)) for p in (staged / "prometheus" / "rules").glob("*.yml")]
                checks.append(("promtool", ("check", "rules", *rules)))
            if (staged / "alertmanager" / "alertmanager.yml").exists():
                checks.append(("amtool", ("check-config", "alertmanager/alertmanager.yml")))
            for tool, args in checks:
                try:
                    result = run_tool(tool, *args, cwd=staged)
                except ToolMissing as exc:
                    raise LocalStackError(str(exc)) from None
                if not result.ok:
                    raise LocalStackError(
                        f"{tool} {' '.join(args)} failed; nothing was changed:\n{result.output}"
                    )

    # ---- releases -----------------------------------------------------------------------------
    @contextmanager
    def _release(
        self,
        kind: ReleaseKind,
        spec_text: str,
        spec: Spec,
        bundle: Bundle,
        version: str,
        settings: dict[str, str],
        source: str | None = None,
        note: str = "",
    ) -> Iterator[Release]:
        release = Release(
            id=new_release_id(),
            created_at=datetime.now(UTC),
            kind=kind,
            spec_digest=spec_digest(spec),
            bundle_digest=bundle.digest,
            app_version=version,
            settings=dict(sorted(settings.items())),
            source_release=source,
            note=note,
        )
        self.ledger.record(release, spec_text, bundle)
        try:
            yield release
        except BaseException:
            self.ledger.finish(release.id, "failed")
            raise
        self.ledger.finish(release.id, "succeeded")

    # ---- applying ------------------------------------------------------------------------------
    def _apply(
        self,
        spec: Spec,
        bundle: Bundle,
        version: str,
        settings: dict[str, str],
        ports: Ports,
        *,
        restart_healer: bool = True,
    ) -> list[str]:
        """Make the running stack match: active files, processes, reloads, the app's version and settings."""
        notices: list[str] = []
        previous = Bundle.read(self.layout.active) if self.layout.active.exists() else None
        bundle.write(self.layout.active)
        for folder in ("prometheus", "alertmanager", "grafana"):
            (self.layout.data / folder).mkdir(parents=True, exist_ok=True)
        self._ensure_targets_file()
        # The app first: Prometheus starting before its target exists would see `up` absent and
        # page for a service that is merely not started yet.
        self._apply_app(spec, version, settings, ports)
        servers = server_specs(spec, self.layout, ports)
        notices.extend(_missing_secret_files(spec))
        if "grafana" not in servers:
            notices.append(
                "Grafana is not installed (no grafana-server on PATH): dashboards are rendered "
                f"in {self.layout.active / 'grafana'} but not served"
            )
        for name in ("prometheus", "alertmanager"):
            if self.supervisor.is_running(name):
                if previous is None or _part(previous, name) != _part(bundle, name):
                    self._reload(name, ports)
            else:
                self._start(servers[name])
        healer_current = (
            self.supervisor.is_running("healer")
            and previous is not None
            and _part(previous, "healer") == _part(bundle, "healer")
        )
        if not self.supervisor.is_running("healer"):
            self._start(servers["healer"])
        elif not healer_current and restart_healer:
            self.supervisor.stop("healer")
            self._start(servers["healer"])
        elif not healer_current:
            notices.append("the healer keeps its old policy until it restarts (it started this rollback)")
        if "grafana" in servers and not self.supervisor.is_running("grafana"):
            self._start(servers["grafana"])
        return notices

    def _ensure_targets_file(self) -> None:
        target = self.layout.targets_file
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("[]\n")

    def _start(self, process_spec: object) -> None:
        from .supervisor import ProcessSpec

        assert isinstance(process_spec, ProcessSpec)
        self.progress(f"starting {process_spec.name}")
        try:
            record = self.supervisor.start(process_spec)
        except SupervisorError as exc:
            raise LocalStackError(str(exc)) from None
        url = f"http://127.0.0.1:{record.port}{READY_PATHS.get(process_spec.name, '/')}"
        took = wait_ready(url, timeout=process_spec.ready_timeout)
        if took is None:
            raise LocalStackError(f"{process_spec.name} did not become ready at {url}; see {record.log}")
        self.progress(f"{process_spec.name} ready on 127.0.0.1:{record.port}")

    def _reload(self, name: str, ports: Ports) -> None:
        port = ports.prometheus if name == "prometheus" else ports.alertmanager
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/-/reload", timeout=10)
        except httpx.HTTPError as exc:
            raise LocalStackError(f"{name}: reload failed: {exc}") from None
        if response.status_code != 200:
            raise LocalStackError(f"{name}: reload refused ({response.status_code}): {response.text.strip()}")
        self.progress(f"{name} reloaded")

    def _apply_app(self, spec: Spec, version: str, settings: dict[str, str], ports: Ports) -> None:
        group = app_group(spec, self.layout, ports, version, settings)
        current = self.supervisor.group(spec.name)
        try:
            if current is None or not self.supervisor.running_members(spec.name):
                self.progress(f"starting {spec.name} {version}")
                self.supervisor.start_group(group)
            elif current.template.get("env") != dict(group.template.env) or current.labels != dict(
                group.labels
            ):
                self.progress(f"rolling {spec.name} to {version}")
                self.supervisor.reconfigure_group(spec.name, env=group.template.env, labels=group.labels)
            else:
                self.supervisor.write_targets(spec.name)
        except SupervisorError as exc:
            raise LocalStackError(str(exc)) from None
        for member in self.supervisor.running_members(spec.name):
            if wait_ready(f"http://127.0.0.1:{member.port}/ready", timeout=20) is None:
                raise LocalStackError(f"{member.name} did not become ready; see {member.log}")
        self.progress(f"{spec.name} ready ({len(self.supervisor.running_members(spec.name))} replica(s))")

    # ---- commands ---------------------------------------------------------------------------------
    def up(self, spec_path: Path, profile: Profile = "default") -> UpResult:
        spec_text = spec_path.read_text(encoding="utf-8")
        spec = self.spec_for(spec_text, str(spec_path), profile)
        if spec.service is None:
            raise LocalStackError(f"{spec_path}: the local target needs a `service:` section to run")
        env = self._environment()
        env.update({"spec": str(spec_path.resolve()), "profile": profile, "service": spec.name})
        self._save_environment(env)
        ports = self.ports()
        bundle = render(spec, self.render_options(ports))
        version, settings = spec.service.version, dict(spec.service.env)
        with self.ledger.locked():
            current = self.ledger.current()
            if (
                current is not None
                and (current.bundle_digest, current.app_version, current.settings)
                == (bundle.digest, version, dict(sorted(settings.items())))
                and self._all_running(spec)
            ):
                return UpResult(current, changed=False, urls=self.urls(ports, spec))
            self._validate(bundle)
            with self._release("deploy", spec_text, spec, bundle, version, settings, note="up") as release:
                notices = self._apply(spec, bundle, version, settings, ports)
        return UpResult(
            self.ledger.get(release.id), changed=True, urls=self.urls(ports, spec), notices=notices
        )

    def deploy(self, app_version: str | None, overrides: dict[str, str]) -> Release:
        """Ship another app version and/or settings on top of the current release's spec."""
        with self.ledger.locked():
            current = self.require_current()
            spec_text = self.ledger.spec_text(current.id)
            spec = self.spec_for(spec_text, self._spec_source(), self.profile())
            bundle = self.ledger.bundle(current.id)
            version = app_version or current.app_version
            settings = {**current.settings, **overrides}
            note = f"deploy {version}" + (
                f" with {', '.join(f'{k}={v}' for k, v in overrides.items())}" if overrides else ""
            )
            with self._release("deploy", spec_text, spec, bundle, version, settings, note=note) as release:
                self._apply(spec, bundle, version, settings, self.ports())
            return self.ledger.get(release.id)

    def rollback(self, to: str | None = None, *, restart_healer: bool = True) -> Release:
        """Re-apply the previous good release (or `to`), recorded as a new release."""
        with self.ledger.locked():
            current = self.require_current()
            try:
                target = self.ledger.get(to) if to else self.ledger.previous_good()
            except KeyError:
                raise LocalStackError(f"no release {to!r}; see `slostack release list`") from None
            except NoPreviousRelease as exc:
                raise LocalStackError(str(exc)) from None
            if target.outcome != "succeeded":
                raise LocalStackError(
                    f"release {target.id} did not succeed ({target.outcome}); refusing to roll back to it"
                )
            spec_text = self.ledger.spec_text(target.id)
            spec = self.spec_for(spec_text, self._spec_source(), self.profile())
            bundle = self.ledger.bundle(target.id)
            self._validate(bundle)
            with self._release(
                "rollback",
                spec_text,
                spec,
                bundle,
                target.app_version,
                dict(target.settings),
                source=target.id,
                note=f"rollback from {current.id}",
            ) as release:
                self._apply(
                    spec,
                    bundle,
                    target.app_version,
                    dict(target.settings),
                    self.ports(),
                    restart_healer=restart_healer,
                )
            # What we rolled back from is bad by definition: no later rollback may pick it again.
            self.ledger.finish(current.id, "rolled_back")
            return self.ledger.get(release.id)

    def down(self) -> list[str]:
        """Stop exactly the processes this environment started (by pid file, surviving stale ones)."""
        stopped = []
        service = self.service()
        if service and self.supervisor.group(service) is not None:
            members = [r.name for r in self.supervisor.running_members(service)]
            self.supervisor.stop_group(service)
            stopped += members
        for name in ("healer", "grafana", "alertmanager", "prometheus"):
            if self.supervisor.stop(name):
                stopped.append(name)
        return stopped

    def status(self) -> dict[str, Any]:
        ports = self.ports()
        service = self.service()
        components: dict[str, object] = {}
        for name in ("prometheus", "alertmanager", "healer", "grafana"):
            record = self.supervisor.record(name)
            if record is None:
                continue
            running = self.supervisor.is_running(name)
            url = f"http://127.0.0.1:{record.port}{READY_PATHS[name]}"
            components[name] = {
                "pid": record.pid if running else None,
                "running": running,
                "healthy": running and probe(url),
                "port": record.port,
            }
        if service:
            for member in self.supervisor.running_members(service):
                components[member.name] = {
                    "pid": member.pid,
                    "running": True,
                    "port": member.port,
                    "healthy": probe(f"http://127.0.0.1:{member.port}/ready"),
                }
        current = self.ledger.current()
        return {
            "environment": str(self.layout.root),
            "components": components,
            "release": current.model_dump(mode="json") if current else None,
            "alerts": self._active_alerts(ports),
            "incidents": self._open_incidents(ports),
        }

    def log_path(self, component: str) -> Path:
        path = self.layout.root / "logs" / f"{component}.log"
        if not path.exists():
            known = sorted(p.stem for p in (self.layout.root / "logs").glob("*.log"))
            raise LocalStackError(f"no log for {component!r}; components: {', '.join(known) or 'none yet'}")
        return path

    def urls(self, ports: Ports, spec: Spec | None = None) -> dict[str, str]:
        out = {
            "prometheus": f"http://127.0.0.1:{ports.prometheus}",
            "alertmanager": f"http://127.0.0.1:{ports.alertmanager}",
            "healer": f"http://127.0.0.1:{ports.healer}",
        }
        if self.supervisor.is_running("grafana"):
            out["grafana"] = f"http://127.0.0.1:{ports.grafana}"
        service = spec.name if spec else self.service()
        for member in self.supervisor.running_members(service) if service else []:
            out[member.name] = f"http://127.0.0.1:{member.port}"
        return out

    # ---- helpers ----------------------------------------------------------------------------------
    def require_current(self) -> Release:
        current = self.ledger.current()
        if current is None:
            raise LocalStackError(f"nothing deployed in {self.layout.root}; run `slostack up SPEC` first")
        return current

    def _spec_source(self) -> str:
        return str(self._environment().get("spec", "spec.yaml"))

    def _all_running(self, spec: Spec) -> bool:
        names = ["prometheus", "alertmanager", "healer"]
        return all(self.supervisor.is_running(n) for n in names) and bool(
            self.supervisor.running_members(spec.name)
        )

    def _active_alerts(self, ports: Ports) -> list[dict[str, object]]:
        try:
            data = httpx.get(f"http://127.0.0.1:{ports.prometheus}/api/v1/alerts", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return []
        return [
            {
                "alertname": a["labels"].get("alertname"),
                "state": a.get("state"),
                "severity": a["labels"].get("slo_severity"),
            }
            for a in data.get("data", {}).get("alerts", [])
        ]

    def _open_incidents(self, ports: Ports) -> list[dict[str, object]]:
        token = self.layout.secret("healer-token").read_text().strip()
        try:
            response = httpx.get(
                f"http://127.0.0.1:{ports.healer}/v1/incidents",
                params={"status": "open"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=2,
            )
            data = response.json()
        except (httpx.HTTPError, ValueError):
            return []
        return data if isinstance(data, list) else data.get("incidents", [])


def _missing_secret_files(spec: Spec) -> list[str]:
    """Receivers whose secret file is not there yet: their notifications would fail, so say it now."""
    out = []
    for receiver in spec.alerting.receivers:
        for kind in (receiver.webhook, receiver.slack, receiver.pagerduty, receiver.email):
            if kind is None:
                continue
            for field_name in ("url_file", "api_url_file", "routing_key_file", "auth_password_file"):
                path = getattr(kind, field_name, None)
                if path and not Path(path).exists():
                    out.append(
                        f"receiver {receiver.name}: {field_name} {path} does not exist (relative paths "
                        f"are read from {Path.cwd()}); its notifications fail until it does"
                    )
    return out


def _part(bundle: Bundle, prefix: str) -> dict[str, str]:
    return {path: text for path, text in bundle.items() if path.startswith(prefix + "/")}
