"""`slostack up/down/status/logs/deploy/rollback/release/drill/healer`: the local target's commands.

Registered on the main app by `cli.py`; kept apart so each file stays small. Thin like the rest of
the CLI: the work happens in `slostack.local` and `slostack.healer`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from .cli import app, fail
from .local.profiles import PROFILES

if TYPE_CHECKING:
    from .local.runtime import LocalRuntime

T = TypeVar("T")

EnvOpt = Annotated[str, typer.Option("--env", help="The environment: state lives in .slostack/<env>/.")]
BackendOpt = Annotated[
    str, typer.Option("--backend", help="local (processes on 127.0.0.1) or pulumi (a stack in stacks/).")
]
StackOpt = Annotated[str | None, typer.Option("--stack", help="The Pulumi stack (with --backend pulumi).")]


def _pulumi_stack(backend: str, stack: str | None) -> str | None:
    if backend not in ("local", "pulumi"):
        fail(f"--backend must be local or pulumi (got {backend!r})", status=2)
    if backend == "pulumi" and not stack:
        fail("--backend pulumi needs --stack NAME (e.g. dev or prod)", status=2)
    return stack if backend == "pulumi" else None


release_app = typer.Typer(help="The release ledger of an environment.", no_args_is_help=True)
app.add_typer(release_app, name="release")
incident_app = typer.Typer(help="Incidents the healer handled.", no_args_is_help=True)
app.add_typer(incident_app, name="incident")


def _runtime(env: str, verbose: bool = True) -> LocalRuntime:
    from .local.layout import EnvLayout
    from .local.runtime import LocalRuntime

    try:
        layout = EnvLayout.for_env(env)
    except ValueError as exc:
        fail(str(exc), status=2)
    return LocalRuntime(
        layout, progress=(lambda line: typer.echo(f"  {line}")) if verbose else (lambda _: None)
    )


def _guard(call: Callable[[], T]) -> T:
    from .local.runtime import LocalStackError
    from .spec import SpecError

    try:
        return call()
    except SpecError as exc:
        fail(*(str(p) for p in exc.problems))
    except (LocalStackError, ValueError) as exc:
        fail(f"error: {exc}")


@app.command()
def up(
    spec_path: Annotated[Path, typer.Argument(help="The SLO spec file.")],
    env: EnvOpt = "dev",
    profile: Annotated[str, typer.Option(help="default, or drill: 1h SLO window, 1s scrapes.")] = "default",
    backend: BackendOpt = "local",
    stack: StackOpt = None,
) -> None:
    """Render, validate and run the whole stack (local processes or a Pulumi stack); re-run to apply."""
    pulumi_stack = _pulumi_stack(backend, stack)
    if pulumi_stack:
        from .components.cli_commands import up_pulumi

        raise typer.Exit(up_pulumi(pulumi_stack, str(spec_path)))
    if profile not in PROFILES:
        fail(f"--profile must be one of {', '.join(PROFILES)} (got {profile!r})", status=2)
    runtime = _runtime(env)
    typer.echo(f"slostack up {spec_path} (env {env}, profile {profile})")
    result = _guard(lambda: runtime.up(spec_path, profile))
    if not result.changed:
        typer.echo(f"no change: release {result.release.id} already runs this spec")
    else:
        typer.echo(f"release {result.release.id} is live")
    for notice in result.notices:
        typer.echo(f"notice: {notice}")
    for name, url in result.urls.items():
        typer.echo(f"  {name:<14} {url}")
    typer.echo(f"stop it with: slostack down --env {env}")


@app.command()
def down(env: EnvOpt = "dev") -> None:
    """Stop exactly the processes `up` started in this environment."""
    stopped = _guard(lambda: _runtime(env, verbose=False).down())
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status(env: EnvOpt = "dev", as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What runs, whether it is healthy, the current release, active alerts and open incidents."""
    data = _guard(lambda: _runtime(env, verbose=False).status())
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    release = data["release"]
    typer.echo(f"environment {data['environment']}")
    typer.echo(
        f"release     {release['id']} ({release['app_version']}, {release['outcome']})"
        if release
        else "release     none"
    )
    for name, info in data["components"].items():
        state = "healthy" if info["healthy"] else ("running" if info["running"] else "stopped")
        typer.echo(f"  {name:<14} {state:<8} pid {info['pid'] or '-':<8} port {info['port']}")
    for alert in data["alerts"]:
        typer.echo(f"alert       {alert['alertname']} ({alert['severity']}) {alert['state']}")
    for incident in data["incidents"]:
        typer.echo(f"incident    {incident.get('id')} {incident.get('alertname')} {incident.get('status')}")


@app.command()
def logs(
    component: Annotated[
        str, typer.Argument(help="prometheus, alertmanager, healer, grafana or <service>-N.")
    ],
    env: EnvOpt = "dev",
    lines: Annotated[int, typer.Option("--lines", "-n")] = 50,
) -> None:
    """Print the last lines of a component's log."""
    path = _guard(lambda: _runtime(env, verbose=False).log_path(component))
    typer.echo("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))


@app.command()
def deploy(
    env: EnvOpt = "dev",
    app_version: Annotated[str | None, typer.Option("--app-version", help="The app version to ship.")] = None,
    settings: Annotated[
        list[str] | None, typer.Option("--set", help="KEY=VALUE app setting (repeatable).")
    ] = None,
) -> None:
    """Ship an app version and/or settings as a new release (a drill ships a bad one this way)."""
    overrides = {}
    for item in settings or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--set takes KEY=VALUE (got {item!r})", status=2)
        overrides[key] = value
    release = _guard(lambda: _runtime(env).deploy(app_version, overrides))
    typer.echo(f"release {release.id} is live ({release.app_version})")


@app.command()
def rollback(
    env: EnvOpt = "dev",
    to: Annotated[
        str | None, typer.Option("--to", help="A release id; default: the previous good one.")
    ] = None,
    backend: BackendOpt = "local",
    stack: StackOpt = None,
) -> None:
    """Re-apply the previous good release (config, rules, app version, settings) as a new release."""
    pulumi_stack = _pulumi_stack(backend, stack)
    if pulumi_stack:
        from .components.cli_commands import rollback_pulumi

        if to:
            fail(
                "--to is not supported with --backend pulumi: it rolls back to the previous success", status=2
            )
        raise typer.Exit(rollback_pulumi(pulumi_stack))
    release = _guard(lambda: _runtime(env).rollback(to))
    typer.echo(
        f"rolled back: release {release.id} re-applies {release.source_release} ({release.app_version})"
    )


@release_app.command("list")
def release_list(env: EnvOpt = "dev") -> None:
    """Every release of the environment, oldest first; `*` marks the current one."""
    runtime = _runtime(env, verbose=False)
    current = runtime.ledger.current()
    for r in runtime.ledger.releases():
        mark = "*" if current and r.id == current.id else " "
        settings = ",".join(f"{k}={v}" for k, v in r.settings.items())
        typer.echo(
            f"{mark} {r.id}  {r.created_at:%Y-%m-%d %H:%M:%S}  {r.kind:<8} {r.outcome:<9} "
            f"{r.app_version:<12} {settings:<24} {r.note}"
        )


@incident_app.command("show")
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="The incident id (see `slostack status`).")],
    env: EnvOpt = "dev",
    output_format: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
) -> None:
    """An incident's report: timeline, diagnosis and evidence, budget spent, SLI and burn-rate charts."""
    from .healer.report import incident_report

    runtime = _runtime(env, verbose=False)
    state = runtime.layout.data / "healer.db"
    prometheus = (
        runtime.urls(runtime.ports())["prometheus"] if runtime.supervisor.is_running("prometheus") else None
    )
    try:
        # The rendered policy names each SLO's error-ratio rule, which the profile (drill: 1h SLOs)
        # decides: the SLI chart reads that rule rather than assume the 30-day 5m one.
        policy = runtime.layout.active / "healer" / "policy.yml"
        typer.echo(incident_report(state, incident_id, output_format, prometheus, policy), nl=False)
    except FileNotFoundError:
        fail(f"no healer state in {state}: has `slostack up --env {env}` run?")
    except KeyError:
        fail(f"no incident {incident_id} in environment {env}")
    except ValueError as exc:
        fail(str(exc))


@app.command()
def drill(
    mode: Annotated[str, typer.Argument(help="latency, error, crash, memory or bad-release.")],
    env: EnvOpt = "dev",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the timeline here as JSON.")] = None,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 240.0,
    fault_for: Annotated[
        float | None,
        typer.Option(
            "--fault-for",
            help="The fault stops by itself after this many seconds; the drill then passes only if "
            "the alert fired and everything recovered with no healer action at all.",
        ),
    ] = None,
) -> None:
    """Inject a fault into the running stack and time detection (MTTD) and recovery (MTTR)."""
    from .local.drill import MODES, run_drill
    from .render.explain import human_seconds

    if mode not in MODES:
        fail(f"MODE must be one of {', '.join(MODES)} (got {mode!r})", status=2)
    runtime = _runtime(env)
    report = _guard(
        lambda: run_drill(
            runtime,
            mode,
            timeout=timeout,
            progress=lambda line: typer.echo(f"  {line}"),
            fault_for=fault_for,
        )
    )
    typer.echo(f"\n{'event':<22} {'at':>8}  detail")
    for event in report.events:
        typer.echo(f"{event.kind:<22} {event.at:>7.1f}s  {event.detail}")
    typer.echo(
        f"\nMTTD {human_seconds(report.mttd_seconds) if report.mttd_seconds is not None else '-'}   "
        f"MTTR {human_seconds(report.mttr_seconds) if report.mttr_seconds is not None else '-'}   "
        f"recovered: {'yes' if report.recovered else 'NO'}"
    )
    if fault_for is not None:
        typer.echo(
            f"healer actions during a fault that stopped by itself: {len(report.actions)}"
            + (f" ({', '.join(report.actions)}): expected none" if report.actions else "")
        )
    if json_out:
        json_out.write_text(json.dumps(report.as_json(), indent=2) + "\n")
    if not report.passed:
        raise typer.Exit(1)


@app.command()
def preview(
    stack: Annotated[str, typer.Option("--stack", help="The Pulumi stack, e.g. dev or prod.")],
    spec: Annotated[
        Path | None, typer.Option("--spec", help="Preview this spec instead of the stack's.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text or markdown (for a PR comment).")
    ] = "text",
) -> None:
    """`pulumi preview` of a stack plus what changes in every rendered artifact."""
    from .components.cli_commands import preview as run_preview

    if output_format not in ("text", "markdown"):
        fail(f"--format must be text or markdown (got {output_format!r})", status=2)
    raise typer.Exit(run_preview(stack, str(spec) if spec else None, markdown=output_format == "markdown"))


@app.command()
def healer(
    policy: Annotated[Path, typer.Option(help="The rendered healer/policy.yml.")],
    token_file: Annotated[Path, typer.Option(help="File holding the webhook bearer token.")],
    state: Annotated[Path, typer.Option(help="SQLite state file (created if missing).")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 9095,
    actuator: Annotated[str, typer.Option(help="local, docker, kubernetes or pulumi.")] = "local",
    prometheus: Annotated[str | None, typer.Option(help="Prometheus base URL, for verification.")] = None,
    state_dir: Annotated[Path | None, typer.Option(help="The local runtime's environment folder.")] = None,
) -> None:
    """Run the healer: Alertmanager webhooks in, safe, audited remediation out."""
    from .healer.config import ConfigError
    from .healer.serve import run_healer

    rollbacker = None
    if actuator == "local" and state_dir is not None:
        from .local.rollbacker import LedgerRollbacker

        # The local runtime's own ledger: the healer's rollback is exactly `slostack rollback`.
        rollbacker = LedgerRollbacker(state_dir.resolve())
    try:
        run_healer(
            str(policy),
            str(token_file),
            str(state),
            host,
            port,
            actuator,
            prometheus,
            str(state_dir) if state_dir else None,
            rollbacker=rollbacker,
        )
    except ConfigError as exc:
        fail(f"healer: {exc}")
