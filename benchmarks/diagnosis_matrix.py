"""Benchmark: does diagnosis pick the right cause and remedy? Drills on a real local stack, every ladder
replaced by `action: auto`, then the confusion table of expected vs. leading hypothesis.

Run: `.venv/bin/python benchmarks/diagnosis_matrix.py [--runs 3] [--modes crash,memory]
[--transient-runs 2] [--fault-for 5] [--json FILE]`.
Brings the checkout example up with the drill profile in a temporary folder, runs each drill `--runs`
times (a short drill timeout: only the diagnosis and the first action matter here), reads the
healer's journal read-only after each, then a healthy control run (traffic, no fault) that must open no
incident and take no action. Tears everything down at the end.

Then transient drills (`--transient-runs`, modes `--transient-modes`): the fault stops by itself after
`--fault-for` seconds, after its page alert fired; the right outcome is no healer action at all (the
healer's watch before acting, `confirm_for`, sees the burn stop).

Expected (the mapping in slostack.healer.diagnosis.remedy): bad-release -> bad_release/rollback,
crash -> crash_loop/restart, memory -> memory_leak/restart (+ ticket), latency and error (injected
with no release, no restart, no saturation) -> regression/notify.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from slostack.healer.store import read_record
from slostack.local.traffic import Traffic

REPO = Path(__file__).resolve().parents[1]
MODES = ("bad-release", "crash", "error", "latency", "memory")
EXPECTED = {
    "bad-release": ("bad_release", "rollback"),
    "crash": ("crash_loop", "restart"),
    "memory": ("memory_leak", "restart"),
    "latency": ("regression", "notify"),
    "error": ("regression", "notify"),
}
ENV = "diag"


def slostack(*args: str, cwd: Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slostack", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def auto_spec(work: Path) -> Path:
    spec = yaml.safe_load((REPO / "examples" / "checkout.slo.yaml").read_text())
    policies = []
    for p in spec["healing"]["policies"]:
        q = {k: v for k, v in p.items() if k not in ("actions", "action")}
        policies.append({**q, "action": "auto"})
    for alert in ("CheckoutMemoryExhaustionPredicted", "CheckoutRestartLoop"):
        policies.append({"match": {"alertname": alert}, "action": "auto", "cooldown": "2m"})
    spec["healing"]["policies"] = policies
    path = work / "checkout.slo.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    (work / "secrets").mkdir(exist_ok=True)
    # The oncall webhook goes to a port nothing listens on: notifications fail, which is fine here.
    (work / "secrets" / "oncall-url").write_text("http://127.0.0.1:9/hook\n")
    return path


def incidents_since(db: Path, since: float) -> list[int]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT id FROM incidents WHERE opened_at >= ? ORDER BY id", (since,)).fetchall()
    finally:
        conn.close()
    return [int(r[0]) for r in rows]


def outcome(db: Path, since: float) -> dict[str, Any]:
    """The first diagnosis after `since` and the ladder actions of every incident opened since."""
    first: dict[str, Any] | None = None
    actions: list[str] = []
    alerts: list[str] = []
    closed: list[str] = []
    for iid in incidents_since(db, since):
        rec = read_record(db, iid)
        alerts.append(rec.incident.alertname)
        closed.append(f"{rec.incident.status}: {rec.incident.detail[:100]}")
        actions += [f"{a.kind}:{a.action}:{a.outcome}" for a in rec.actions]
        for created, body in rec.diagnoses:
            if first is None or created < first["at"]:
                first = {"at": created, "body": body}
    if first is None:
        return {"leader": None, "remedy": None, "actions": actions, "alerts": alerts, "closed": closed}
    body = first["body"]
    return {
        "leader": body["leader"],
        "confidence": body["confidence"],
        "remedy": body["remedy"]["action"],
        "actions": actions,
        "alerts": alerts,
        "closed": closed,
        "hypotheses": {h["name"]: h["confidence"] for h in body["hypotheses"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--control-seconds", type=float, default=60.0)
    parser.add_argument("--transient-runs", type=int, default=2)
    parser.add_argument("--transient-modes", default="error,latency,bad-release")
    parser.add_argument("--fault-for", type=float, default=5.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="slostack-diag-") as tmp:
        work = Path(tmp)
        auto_spec(work)
        up = slostack("up", "checkout.slo.yaml", "--env", ENV, "--profile", "drill", cwd=work)
        if up.returncode != 0:
            sys.exit(f"up failed:\n{up.stdout}\n{up.stderr}")
        root = work / ".slostack" / ENV
        db = root / "data" / "healer.db"
        try:
            for run in range(args.runs):
                for mode in modes:
                    since = time.time()
                    drill = slostack("drill", mode, "--env", ENV, "--timeout", "60", cwd=work)
                    time.sleep(2)  # the last journal writes
                    got = {"mode": mode, "run": run, **outcome(db, since), "drill_rc": drill.returncode}
                    results.append(got)
                    print(
                        json.dumps({k: got.get(k) for k in ("mode", "leader", "remedy", "actions")}),
                        file=sys.stderr,
                    )
            for run in range(args.transient_runs):
                for mode in [m for m in args.transient_modes.split(",") if m]:
                    since = time.time()
                    drill = slostack(
                        "drill",
                        mode,
                        "--env",
                        ENV,
                        "--timeout",
                        "60",
                        "--fault-for",
                        f"{args.fault_for:g}",
                        cwd=work,
                    )
                    time.sleep(2)
                    got = {
                        "mode": f"transient {mode}",
                        "run": run,
                        **outcome(db, since),
                        "drill_rc": drill.returncode,
                    }
                    results.append(got)
                    print(json.dumps({k: got.get(k) for k in ("mode", "alerts", "actions")}), file=sys.stderr)
                    if mode == "bad-release":
                        # Nobody rolled the (now quiet) bad release back: do it, as a human would, so a
                        # later restart does not bring its fault back for another few seconds.
                        slostack("rollback", "--env", ENV, cwd=work)
            since = time.time()
            traffic = Traffic(root / "targets" / "app.json", max_seconds=args.control_seconds + 10).start()
            time.sleep(args.control_seconds)
            traffic.stop()
            control = {"mode": "control", **outcome(db, since)}
            results.append(control)
            print(json.dumps(control), file=sys.stderr)
        finally:
            slostack("down", "--env", ENV, cwd=work)
    table: Counter[tuple[str, str]] = Counter()
    right = total = 0
    for r in results:
        if r["mode"] == "control" or r["mode"].startswith("transient"):
            continue
        want = EXPECTED[r["mode"]]
        table[(r["mode"], str(r["leader"]))] += 1
        total += 1
        right += (r["leader"], r["remedy"]) == want
    leaders = sorted({str(r["leader"]) for r in results if r["mode"] in modes})
    print("| drill \\ leader | " + " | ".join(leaders) + " |")
    print("|---|" + "---|" * len(leaders))
    for mode in modes:
        print(f"| {mode} | " + " | ".join(str(table[(mode, lead)]) for lead in leaders) + " |")
    print(f"\nright hypothesis and remedy: {right}/{total}")
    transient = [r for r in results if r["mode"].startswith("transient")]
    if transient:
        print("\n| transient drill | alert fired, healer notified | no action at all | closed by |")
        print("|---|---|---|---|")
        for r in transient:
            by = "; ".join(
                "the watch"
                if "stopped by itself" in c
                else "the alert resolving"
                if "alert resolved" in c
                else c
                for c in r.get("closed", [])
            )
            print(
                f"| {r['mode']} (run {r['run'] + 1}) | {'yes' if r['alerts'] else 'NO'} | "
                f"{'yes' if not r['actions'] else 'NO: ' + ', '.join(r['actions'])} | {by} |"
            )
        valid = [r for r in transient if r["alerts"]]
        quiet = sum(not r["actions"] for r in valid)
        print(
            f"\nno action on a fault that stopped by itself: {quiet}/{len(valid)}"
            f" ({len(transient) - len(valid)} run(s) where no alert reached the healer do not count)"
        )
    ctl = results[-1]
    print(f"control run: {len(ctl['alerts'])} incident(s), {len(ctl['actions'])} action(s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
