"""The `slostack` command: a thin shell over the library. Logic lives in the layers it calls.

Exit status: 0 ok, 1 invalid spec or failed check, 2 usage error (click's own), 3 `diff` found changes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from .render.bundle import Bundle
from .render.options import RenderOptions
from .spec import Spec, SpecError, load_spec

app = typer.Typer(
    name="slostack",
    help="One SLO spec in; rules, dashboards, alert routes, a healer and deployable stacks out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Convert a Sloth or OpenSLO file to a slostack/v1 spec.", no_args_is_help=True)
app.add_typer(import_app, name="import")


SpecArg = Annotated[Path, typer.Argument(help="The SLO spec file (slostack/v1 YAML).", show_default=False)]
TemplatesOpt = Annotated[
    Path | None,
    typer.Option("--templates", help="A folder of templates overriding the packaged ones by name."),
]
SlothOpt = Annotated[
    bool, typer.Option("--sloth-labels", help="Name SLO labels sloth_* for Sloth's dashboards.")
]


class Failure(Exception):
    """A failure already explained to the user; carries the exit status."""

    def __init__(self, lines: list[str], status: int = 1) -> None:
        super().__init__("\n".join(lines))
        self.lines, self.status = lines, status


def fail(*lines: str, status: int = 1) -> NoReturn:
    raise Failure(list(lines), status)


def _load(path: Path) -> Spec:
    try:
        return load_spec(path)
    except SpecError as exc:
        fail(*(str(p) for p in exc.problems))


def _render_options(templates: Path | None, sloth_labels: bool) -> RenderOptions:
    if templates is not None and not templates.is_dir():
        fail(f"--templates {templates}: not a directory", status=2)
    return RenderOptions(templates=templates, sloth_labels=sloth_labels)


def _render(spec: Spec, templates: Path | None, sloth_labels: bool) -> Bundle:
    from .render.errors import RenderError
    from .render.pipeline import render
    from .render.templates import TemplateError

    options = _render_options(templates, sloth_labels)
    try:
        return render(spec, options)
    except TemplateError as exc:
        fail(f"{spec.source}: template error: {exc}")
    except RenderError as exc:
        fail(*(f"{spec.source}: {problem}" for problem in exc.problems))


@contextmanager
def _staged(bundle: Bundle) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="slostack-") as tmp:
        yield bundle.write(Path(tmp) / "bundle")


def _check_staged(spec: Spec, staged: Path) -> None:
    """promtool and amtool over a staged bundle: configs, rules, and every PromQL expression in it."""
    from .checks.bundle import check_bundle

    report = check_bundle(Bundle.read(staged), staged)
    for skipped in report.skipped:
        typer.echo(f"warning: {skipped}; not checked", err=True)
    if not report.ok:
        fail(*(f"{spec.source}: {problem}" for problem in report.problems))


@app.command()
def validate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files to check.")],
    templates: TemplatesOpt = None,
    sloth_labels: SlothOpt = False,
) -> None:
    """Check spec files and the bundle each renders to: every problem, one line each."""
    problems: list[str] = []
    for path in specs:
        try:
            spec = load_spec(path)
        except SpecError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        try:
            # The artifacts must agree too: every query parses and reads only rules the bundle records.
            with _staged(_render(spec, templates, sloth_labels)) as staged:
                _check_staged(spec, staged)
        except Failure as exc:
            problems.extend(exc.lines)
            continue
        from .render.explain import never_firing

        for warning in never_firing(spec):
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(f"{path}: ok ({len(spec.slos)} SLOs)")
    if problems:
        fail(*problems)


@app.command()
def render(
    spec_path: SpecArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; replaced whole, atomically.")],
    templates: TemplatesOpt = None,
    sloth_labels: SlothOpt = False,
    check: Annotated[
        bool, typer.Option(help="Check the bundle with promtool and amtool before writing.")
    ] = True,
) -> None:
    """Render every artifact of a spec into a folder (written to a temporary folder, then renamed)."""
    spec = _load(spec_path)
    bundle = _render(spec, templates, sloth_labels)
    if check:
        with _staged(bundle) as staged:
            _check_staged(spec, staged)
    written = bundle.write(out)
    typer.echo(f"rendered {len(bundle)} files to {written} ({bundle.digest[:19]})")


@app.command("test")
def test_command(spec_path: SpecArg, templates: TemplatesOpt = None, sloth_labels: SlothOpt = False) -> None:
    """Run the generated promtool rule tests: each alert fires on an outage and not on health."""
    from .checks.rules import test_rules
    from .checks.tools import ToolMissing

    spec = _load(spec_path)
    bundle = _render(spec, templates, sloth_labels)
    with _staged(bundle) as staged:
        _check_staged(spec, staged)
        try:
            result = test_rules(staged)
        except ToolMissing as exc:
            fail(str(exc))
    if not result.ok:
        fail(f"{spec.source}: promtool test rules failed:", result.output)
    typer.echo(result.output)


FormatOpt = Annotated[str, typer.Option("--format", help="text, or markdown for a pull-request comment.")]


def _bundle_of(path: Path, templates: Path | None, sloth_labels: bool) -> Bundle:
    """A rendered bundle directory as it is, or a spec file rendered now."""
    from .render.pipeline import MANIFEST

    if path.is_dir():
        if not (path / MANIFEST).is_file():
            fail(f"{path}: not a rendered bundle (no {MANIFEST}); give a spec file or a render --out folder")
        return Bundle.read(path)
    if not path.exists():
        fail(f"{path}: no such file or directory")
    return _render(_load(path), templates, sloth_labels)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The old spec file or rendered bundle folder.")],
    new: Annotated[Path, typer.Argument(help="The new spec file or rendered bundle folder.")],
    output_format: FormatOpt = "text",
    templates: TemplatesOpt = None,
    sloth_labels: SlothOpt = False,
) -> None:
    """What a change does to every artifact: rules, thresholds, routes, dashboards. Exit 3 if any."""
    from .render.diff import diff_bundles
    from .render.diff_format import format_diff

    if output_format not in ("text", "markdown"):
        fail(f"--format {output_format}: use text or markdown", status=2)
    changes = diff_bundles(_bundle_of(old, templates, sloth_labels), _bundle_of(new, templates, sloth_labels))
    typer.echo(format_diff(changes, output_format), nl=False)
    if not changes.equal:
        raise typer.Exit(3)


@app.command()
def explain(spec_path: SpecArg) -> None:
    """Per SLO and alert tier: burn rate, windows, budget spent, time to fire, smallest error rate."""
    from .render.explain import explain as explain_rows
    from .render.explain import human_seconds, never_firing

    spec = _load(spec_path)
    header = (
        "SLO",
        "tier",
        "burn",
        "long/short",
        "budget spent",
        "fires after (100% errors)",
        "smallest error ratio",
    )
    table = [header]
    for r in explain_rows(spec):
        if not r.enabled:
            continue
        table.append(
            (
                r.slo,
                r.tier,
                f"{_short(r.burn_rate)}x",
                f"{r.long} / {r.short}",
                f"{(r.budget_spent * 100).normalize():f}%",
                f"{human_seconds(r.seconds_to_fire)} (+ up to {human_seconds(r.detection_delay)})"
                if r.seconds_to_fire is not None
                else "never",
                f"{_short(r.error_ratio_threshold * 100)}%",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        typer.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    for warning in never_firing(spec):
        typer.echo(f"warning: {warning}", err=True)


def _short(number: Decimal) -> str:
    """Four significant digits for reading; the rules themselves keep the exact value."""
    return format(Decimal(f"{number:.4g}").normalize(), "f")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors: yaml-language-server)."""
    from .spec.v1 import SpecFileV1

    document = SpecFileV1.model_json_schema(mode="validation")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "slostack/v1 ServiceLevels"
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


def _import(kind: str, source: Path, out: Path | None) -> None:
    from .spec.importers import SpecImportError, import_file

    try:
        text = import_file(kind, source)
    except SpecImportError as exc:
        fail(*exc.lines)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


@import_app.command("sloth")
def import_sloth(
    source: Annotated[Path, typer.Argument(help="A Sloth prometheus/v1 spec file.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Convert a Sloth `prometheus/v1` spec."""
    _import("sloth", source, out)


@import_app.command("openslo")
def import_openslo(
    source: Annotated[Path, typer.Argument(help="An OpenSLO v1 file (kind SLO; several documents allowed).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Convert OpenSLO v1 `SLO` documents (ratioMetric, thresholdMetric where it maps)."""
    _import("openslo", source, out)


def main() -> None:
    try:
        app(standalone_mode=True)
    except Failure as exc:
        for line in exc.lines:
            typer.echo(line, err=True)
        sys.exit(exc.status)


if __name__ == "__main__":
    main()

# The local target's and the healer's commands register themselves on `app`.
from . import cli_local  # noqa: E402, F401
