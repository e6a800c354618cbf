"""A notification storm against a real healer: 10,000 webhooks, 90% duplicates, as fast as allowed.

The healer runs in its own process (uvicorn, 127.0.0.1, a real SQLite file) with a no-op actuator that
appends one line per call to a file, so what was *done* is counted outside the healer's own journal.
Each distinct alert names its own declared target, so every distinct alert should cause exactly one
restart and no alert two. The generator (this process) sends one alert per request with bounded
concurrency over keep-alive connections; each distinct alert is sent 10 times, shuffled (seeded), so
duplicates arrive concurrently, as from an Alertmanager HA pair. Only 127.0.0.1 is contacted, and
every loop is bounded in count and time.

Checks: zero duplicate actions, one action per distinct alert, one audit row per distinct alert (no
lost row), every webhook answered 200, and webhook p99 latency under 20 ms (the issue's target).

    python benchmarks/healer_storm.py [--notifications 10000] [--duplicates 0.9] [--concurrency 8]
                                      [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

TOKEN = "bench-token-0123456789abcdef"
P99_TARGET_MS = 20.0
SEND_TIMEOUT = 300.0  # the whole storm must finish within this, whatever the machine
REQUEST_TIMEOUT = 10.0  # Alertmanager's own default webhook timeout; a slower answer counts as failed
SETTLE_TIMEOUT = 120.0


# ---- the healer side (a child process) -------------------------------------------------------------


class AppendActuator:
    """Does nothing but append `action target` to a file: the count of what was really done."""

    name = "bench-noop"
    capabilities = frozenset({"restart", "scale", "rollback"})

    def __init__(self, path: Path) -> None:
        self.path = path

    def _log(self, line: str) -> str:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        return line

    def restart(self, target: str) -> str:
        return self._log(f"restart {target}")

    def scale(self, target: str, replicas: int) -> str:
        return self._log(f"scale {target} {replicas}")

    def rollback(self, target: str) -> str:
        return self._log(f"rollback {target}")

    def describe(self, target: str) -> Any:
        from slostack.healer import TargetState

        return TargetState(replicas=1)


def serve_healer(policy_path: Path, state: Path, calls: Path, port: int) -> None:
    from slostack.healer import HealerConfig, load_policy, serve

    config = HealerConfig(policy=load_policy(policy_path), token=TOKEN, state_path=state)
    serve(config, "127.0.0.1", port, actuator=AppendActuator(calls), log_level="warning")


# ---- the generator side ----------------------------------------------------------------------------


def write_policy(path: Path, targets: int) -> None:
    from slostack.render.healer_policy import policy_model
    from slostack.render.options import RenderOptions
    from slostack.spec import load_spec

    data = policy_model(load_spec(ROOT / "examples" / "checkout.slo.yaml"), RenderOptions()).model_dump(
        mode="json"
    )
    data["targets"] = [f"t-{i}" for i in range(targets)]
    data["rate_limit"] = {"actions": targets * 2, "per": "1h"}
    data["receivers"] = {}
    data["escalate_to"] = None
    # One restart per incident, then a long verification: the storm measures intake and dedup.
    data["policies"][0].update({"ladder": [{"action": "restart"}], "cooldown": "1h", "verify_for": "1h"})
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def notification(i: int) -> bytes:
    body = {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "receiver": "healer",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "CheckoutAvailabilityBurn",
                    "slo_name": "availability",
                    "slo_severity": "page",
                    "target": f"t-{i}",
                },
                "annotations": {},
                "startsAt": "2026-01-02T03:04:05Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": f"{i:016x}",
            }
        ],
    }
    return json.dumps(body).encode()


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams. httpx costs several hundred microseconds
    of client CPU per request, which on a 2-core machine would be measured as the healer's latency."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, head: bytes, body: bytes) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        status_line = await self.reader.readuntil(b"\r\n")
        length = 0
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def storm(port: int, order: list[int], concurrency: int) -> tuple[list[float], Counter[int], float]:
    bodies = {i: notification(i) for i in set(order)}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in order:
        queue.put_nowait(i)
    head = (
        b"POST /v1/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
    )

    async def worker() -> None:
        conn = Connection(port)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                t0 = time.perf_counter()
                try:
                    statuses[await asyncio.wait_for(conn.post(head, bodies[i]), REQUEST_TIMEOUT)] += 1
                except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
                    statuses[0] += 1
                    await conn.close()
                    conn = Connection(port)
                latencies.append(time.perf_counter() - t0)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), SEND_TIMEOUT)
    return latencies, statuses, time.perf_counter() - started


def percentile(sorted_values: list[float], p: float) -> float:
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the healer exited with status {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the healer did not come up")


def settle(url: str, expected: int, calls: Path) -> list[dict[str, Any]]:
    """Wait (bounded) until the journal shows every expected action with its outcome."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    deadline = time.monotonic() + SETTLE_TIMEOUT
    actions: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        actions = httpx.get(f"{url}/v1/actions", params={"limit": 10000}, headers=headers, timeout=10).json()
        done = [a for a in actions if a["outcome"] != "pending"]
        if len(done) >= expected:
            break
        time.sleep(0.25)
    time.sleep(1.0)  # anything late (a duplicate action would be) has a chance to show up
    return list(httpx.get(f"{url}/v1/actions", params={"limit": 10000}, headers=headers, timeout=10).json())


def run(notifications: int, duplicates: float, concurrency: int, seed: int) -> dict[str, Any]:
    distinct = max(1, round(notifications * (1 - duplicates)))
    order = [i % distinct for i in range(notifications)]
    random.Random(seed).shuffle(order)
    with tempfile.TemporaryDirectory(prefix="healer-storm-") as tmp:
        tmpdir = Path(tmp)
        policy_path, state, calls = tmpdir / "policy.yml", tmpdir / "healer.db", tmpdir / "calls.log"
        write_policy(policy_path, distinct)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, __file__, "--serve", str(policy_path), str(state), str(calls), str(port)]
        with open(tmpdir / "healer.log", "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_up(url, proc)
            latencies, statuses, wall = asyncio.run(storm(port, order, concurrency))
            actions = settle(url, distinct, calls)
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        with sqlite3.connect(state) as db:
            audit_rows = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
            incidents = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
        done = calls.read_text().splitlines() if calls.exists() else []
    per_target = Counter(line.split()[1] for line in done)
    journal_per_target = Counter(a["target"] for a in actions if a["kind"] == "ladder")
    lat = sorted(latencies)
    ms = [x * 1000 for x in lat]
    result = {
        "notifications": notifications,
        "distinct_alerts": distinct,
        "duplicate_share": duplicates,
        "concurrency": concurrency,
        "wall_seconds": round(wall, 3),
        "requests_per_second": round(notifications / wall, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "non_200": sum(n for code, n in statuses.items() if code != 200),
        "actions_done": len(done),
        "journal_actions": sum(journal_per_target.values()),
        "duplicate_actions": sum(n - 1 for n in per_target.values() if n > 1)
        + sum(n - 1 for n in journal_per_target.values() if n > 1),
        "audit_rows": audit_rows,
        "incidents": incidents,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    result["checks"] = {
        "zero duplicate actions": result["duplicate_actions"] == 0,
        "one action per distinct alert": len(done) == distinct and result["journal_actions"] == distinct,
        "no lost audit row": audit_rows == distinct and incidents == distinct,
        "every webhook answered 200": result["non_200"] == 0,
        f"p99 < {P99_TARGET_MS:g} ms": result["p99_ms"] < P99_TARGET_MS,
    }
    return result


def markdown(r: dict[str, Any]) -> str:
    rows = [
        ("notifications sent", f"{r['notifications']:,} ({r['duplicate_share']:.0%} duplicates)"),
        ("distinct alerts", f"{r['distinct_alerts']:,}"),
        ("concurrency", str(r["concurrency"])),
        ("wall time", f"{r['wall_seconds']} s ({r['requests_per_second']:,} req/s)"),
        (
            "webhook latency p50 / p90 / p99 / max",
            f"{r['p50_ms']} / {r['p90_ms']} / {r['p99_ms']} / {r['max_ms']} ms",
        ),
        ("non-200 answers", str(r["non_200"])),
        ("actions done (actuator) / in journal", f"{r['actions_done']} / {r['journal_actions']}"),
        ("duplicate actions", str(r["duplicate_actions"])),
        ("audit rows (alerts) / incidents", f"{r['audit_rows']} / {r['incidents']}"),
    ]
    out = ["| healer storm | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows]]
    out += ["", "| check | result |", "|---|---|"]
    out += [f"| {name} | {'PASS' if ok else 'FAIL'} |" for name, ok in r["checks"].items()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--serve":
        serve_healer(Path(argv[1]), Path(argv[2]), Path(argv[3]), int(argv[4]))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--notifications", type=int, default=10_000)
    p.add_argument("--duplicates", type=float, default=0.9)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if not 1 <= args.concurrency <= 256 or not 1 <= args.notifications <= 1_000_000:
        p.error("concurrency must be 1..256 and notifications 1..1,000,000")
    result = run(args.notifications, args.duplicates, args.concurrency, args.seed)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
