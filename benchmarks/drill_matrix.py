"""Benchmark: the drill matrix on a real local stack — every mode, several runs, MTTD and MTTR medians.

Run: `.venv/bin/python benchmarks/drill_matrix.py [--runs 3] [--modes error,crash,...] [--json FILE]`.
Brings a stack up with the drill profile in a temporary folder, runs each drill `--runs` times, and
tears everything down. Beside each median it prints the floor the configuration sets:

  detection bound = what the configuration allows at worst before Prometheus marks the alert firing:
                    a burn alert needs two scrapes of errors in its short window and one evaluation;
                    TargetDown and the memory alerts wait their `for` after a scrape and an evaluation
  recovery bound  = detection bound + Alertmanager group_wait + the healer's action time (measured)
                    + the short window draining + one more scrape and evaluation

A ratio under 1 means faster than the worst case the configuration allows (the fault landed just
before a scrape); the memory drill's detection also includes the time the leak takes to reach 90%.

Targets (issue 6, drill profile): crash recovered in under 15 s; bad release detected in under 30 s
and rolled back and recovered in under 60 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODES = ("bad-release", "crash", "error", "latency", "memory")
# Drill profile numbers (local/profiles.py): 1 s scrape and evaluation, group_wait 1 s; TargetDown and
# MemoryHigh wait 3 scrapes; burn alerts have no `for`, their short window is 4 s at a 1h SLO window.
SCRAPE, EVAL, GROUP_WAIT, SHORT_WINDOW = 1.0, 1.0, 1.0, 4.0
ALERT_FOR = {"crash": 3.0, "memory": 3.0}


def slostack(*args: str, cwd: Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slostack", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def action_seconds(report: dict) -> float:  # type: ignore[type-arg]
    started = [e["at"] for e in report["events"] if e["kind"] == "action_started"]
    finished = [e["at"] for e in report["events"] if e["kind"] == "action_finished"]
    return (finished[-1] - started[-1]) if started and finished else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    results: dict[str, list[dict]] = {m: [] for m in modes}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory(prefix="slostack-bench-") as tmp:
        work = Path(tmp)
        shutil.copy(REPO / "examples" / "checkout.slo.yaml", work / "checkout.slo.yaml")
        up = slostack("up", "checkout.slo.yaml", "--env", "bench", "--profile", "drill", cwd=work)
        if up.returncode != 0:
            sys.exit(f"up failed:\n{up.stdout}\n{up.stderr}")
        try:
            for run in range(args.runs):
                for mode in modes:
                    out = work / f"{mode}-{run}.json"
                    slostack(
                        "drill", mode, "--env", "bench", "--json", str(out), "--timeout", "180", cwd=work
                    )
                    if out.exists():
                        results[mode].append(json.loads(out.read_text()))
                    print(
                        f"run {run + 1} {mode}: "
                        + (
                            json.dumps(
                                {
                                    k: results[mode][-1][k]
                                    for k in ("mttd_seconds", "mttr_seconds", "recovered")
                                }
                            )
                            if out.exists()
                            else "no report"
                        ),
                        file=sys.stderr,
                    )
        finally:
            slostack("down", "--env", "bench", cwd=work)
    rows = []
    for mode in modes:
        reports = results[mode]
        recovered = [r for r in reports if r["recovered"]]
        mttd = statistics.median([r["mttd_seconds"] for r in reports if r["mttd_seconds"] is not None] or [0])
        mttr = statistics.median([r["mttr_seconds"] for r in recovered] or [0])
        act = statistics.median([action_seconds(r) for r in recovered] or [0])
        detect_floor = (SCRAPE + EVAL + ALERT_FOR[mode]) if mode in ALERT_FOR else (2 * SCRAPE + EVAL)
        recover_floor = detect_floor + GROUP_WAIT + act + SHORT_WINDOW + SCRAPE + EVAL
        rows.append(
            {
                "mode": mode,
                "runs": len(reports),
                "recovered": len(recovered),
                "mttd_median": mttd,
                "detect_floor": detect_floor,
                "mttr_median": mttr,
                "recover_floor": round(recover_floor, 1),
            }
        )
    print("| mode | recovered | MTTD median (s) | bound (s) | ratio | MTTR median (s) | bound (s) | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        detect_ratio = r["mttd_median"] / r["detect_floor"]
        recover_ratio = r["mttr_median"] / r["recover_floor"] if r["recover_floor"] else 0.0
        cells = [
            r["mode"],
            f"{r['recovered']}/{r['runs']}",
            f"{r['mttd_median']:.1f}",
            f"{r['detect_floor']:.1f}",
            f"{detect_ratio:.1f}x",
            f"{r['mttr_median']:.1f}",
            f"{r['recover_floor']:.1f}",
            f"{recover_ratio:.1f}x",
        ]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "reports": results}, indent=2))


if __name__ == "__main__":
    main()
