"""Requests/s of sample_app's ``/ping`` without metrics, with our middleware, and with the instrumentator.

Three variants of the same app, each served the same way (uvicorn, one worker, 127.0.0.1, access log
off), loaded by the same generator in the same run:

- ``none``: ``SAMPLE_APP_METRICS=off`` (benchmark-only switch), no HTTP metrics at all;
- ``ours``: sample_app's pure ASGI ``MetricsMiddleware``;
- ``instrumentator``: our middleware off, ``prometheus-fastapi-instrumentator`` with its defaults.

The load generator is ``wrk`` when it is on PATH, else a bounded asyncio keep-alive loop. Rounds are
interleaved (none, ours, instrumentator, then again in rotated order) so drift on a shared machine hits
every variant alike; the table reports the median round. Only 127.0.0.1 is ever contacted.

    python benchmarks/sample_app_throughput.py [--duration 5] [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PATH = "/ping"
VARIANTS = {
    "none": "no metrics middleware",
    "ours": "sample_app MetricsMiddleware",
    "instrumentator": "prometheus-fastapi-instrumentator",
}
# The Python generator stops at whichever comes first: the duration or this many requests.
MAX_REQUESTS_PER_RUN = 5_000_000
START_TIMEOUT = 30.0
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class VariantResult:
    variant: str
    label: str
    rps: float
    rps_rounds: list[float]
    errors: int
    overhead_pct: float | None


# --- the server side: one variant, run as a child process of this same file -----------------------


def serve(variant: str, port: int) -> None:
    import uvicorn
    from prometheus_client import CollectorRegistry

    from sample_app.jsonlog import configure_logging
    from sample_app.main import create_app
    from sample_app.settings import Settings

    # Access logs off for every variant: writing a line per request would dwarf what we measure.
    configure_logging("warning")
    app = create_app(Settings(log_level="warning", metrics_enabled=variant == "ours"), CollectorRegistry())
    if variant == "instrumentator":
        from prometheus_fastapi_instrumentator import Instrumentator

        Instrumentator(registry=CollectorRegistry()).instrument(app)
    uvicorn.run(app, host=HOST, port=port, workers=1, log_config=None, access_log=False, lifespan="on")


# --- the client side -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(variant: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", variant, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"variant {variant!r} exited with {proc.returncode}: {stderr}")
        try:
            if httpx.get(f"http://{HOST}:{port}{PATH}", timeout=2.0).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"variant {variant!r} did not answer within {START_TIMEOUT:g}s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def run_wrk(port: int, duration: float, concurrency: int) -> LoadResult:
    wrk = shutil.which("wrk")
    assert wrk is not None
    seconds = max(1, round(duration))
    # One wrk thread: on a 2-core machine the server needs the other core.
    result = subprocess.run(
        [wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", f"http://{HOST}:{port}{PATH}"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", result.stdout)
    if total is None:
        raise RuntimeError(f"cannot read wrk output:\n{result.stdout}")
    unit = {"ms": 0.001, "s": 1.0, "m": 60.0}[total.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    socket_errors = _SOCKET_ERRORS.search(result.stdout)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(group) for group in socket_errors.groups())
    requests = int(total.group(1))
    return LoadResult(requests=requests - errors, errors=errors, seconds=float(total.group(2)) * unit)


async def _python_load(port: int, duration: float, concurrency: int) -> LoadResult:
    request = f"GET {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode("ascii")
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + duration
    done = 0
    errors = 0

    async def connection() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while loop.time() < deadline and done + errors < MAX_REQUESTS_PER_RUN:
                writer.write(request)
                status = int((await reader.readuntil(b"\r\n")).split(b" ", 2)[1])
                length = 0
                while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                if 200 <= status < 300:
                    done += 1
                else:
                    errors += 1
        finally:
            writer.close()

    await asyncio.wait_for(asyncio.gather(*(connection() for _ in range(concurrency))), timeout=duration + 30)
    return LoadResult(requests=done, errors=errors, seconds=loop.time() - start)


def run_python(port: int, duration: float, concurrency: int) -> LoadResult:
    return asyncio.run(_python_load(port, duration, concurrency))


def measure(
    loadgen: str, duration: float, warmup: float, concurrency: int, rounds: int
) -> list[VariantResult]:
    run = run_wrk if loadgen == "wrk" else run_python
    order = list(VARIANTS)
    servers = {variant: start_server(variant) for variant in order}
    per_variant: dict[str, list[LoadResult]] = {variant: [] for variant in order}
    try:
        for variant in order:
            run(servers[variant][1], warmup, concurrency)
        for round_index in range(rounds):
            rotated = order[round_index % len(order) :] + order[: round_index % len(order)]
            for variant in rotated:
                result = run(servers[variant][1], duration, concurrency)
                per_variant[variant].append(result)
                print(f"  round {round_index + 1} {variant:<15} {result.rps:10.1f} req/s", file=sys.stderr)
    finally:
        for proc, _ in servers.values():
            stop_server(proc)

    baseline = statistics.median(r.rps for r in per_variant["none"])
    results = []
    for variant in order:
        rps_rounds = [round(r.rps, 1) for r in per_variant[variant]]
        rps = statistics.median(rps_rounds)
        overhead = None if variant == "none" else round((baseline - rps) / baseline * 100, 1)
        errors = sum(r.errors for r in per_variant[variant])
        results.append(VariantResult(variant, VARIANTS[variant], rps, rps_rounds, errors, overhead))
    return results


def markdown(results: Sequence[VariantResult]) -> str:
    lines = ["| variant | req/s | overhead % |", "|---|---:|---:|"]
    for result in results:
        overhead = "—" if result.overhead_pct is None else f"{result.overhead_pct:.1f}"
        lines.append(f"| {result.label} | {result.rps:,.0f} | {overhead} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="seconds of warm-up per variant (default 1)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="open connections (default 32)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds; the median is kept (default 3)"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--serve", choices=tuple(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        serve(args.serve, args.port)
        return 0
    if not (0 < args.duration <= 120 and 0 < args.warmup <= 60 and 1 <= args.concurrency <= 1024):
        parser.error("--duration must be in (0, 120], --warmup in (0, 60], --concurrency in [1, 1024]")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be 1-20")
    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    elif loadgen == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not on PATH (apt-get install wrk), use --loadgen python")

    results = measure(loadgen, args.duration, args.warmup, args.concurrency, args.rounds)
    table = markdown(results)
    print(
        f"/ping, uvicorn 1 worker on {HOST}, {loadgen}, {args.concurrency} connections, "
        f"{args.duration:g}s x {args.rounds} interleaved rounds (median), {os.cpu_count()} CPUs\n"
    )
    print(table)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "endpoint": PATH,
                    "load_generator": loadgen,
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "concurrency": args.concurrency,
                    "rounds": args.rounds,
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "results": [asdict(result) for result in results],
                    "markdown": table,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    failed = [result.variant for result in results if result.errors]
    if failed:
        print(f"non-2xx responses or socket errors in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
