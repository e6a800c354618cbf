"""Benchmark: load and render a generated spec of 1,000 SLOs; report wall time and peak memory.

Run: `.venv/bin/python benchmarks/render_1000_slos.py [--slos N] [--json FILE]`. Each measurement
runs in a fresh child process, so peak RSS is that of one render, not of the benchmark harness.
Target (issue 2): under 2 s and under 300 MB on one core of a laptop-class machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(n: int) -> str:
    head = (
        "apiVersion: slostack/v1\nkind: ServiceLevels\nmetadata: {name: fleet, labels: {team: platform}}\n"
        "service: {build: sample_app, scrape: {job: fleet, interval: 30s}}\nslos:\n"
    )
    body = []
    for i in range(n):
        if i % 2:
            sli = (
                "      latency:\n"
                f'        histogram: \'http_request_duration_seconds_bucket{{job="fleet",route="/r{i}"}}\''
                "\n"
                "        threshold: 300ms\n"
            )
        else:
            sli = (
                "      events:\n"
                f'        errors: \'http_requests_total{{job="fleet",route="/r{i}",code=~"5.."}}\'\n'
                f'        total: \'http_requests_total{{job="fleet",route="/r{i}"}}\'\n'
            )
        body.append(f"  - name: route-{i}\n    objective: 99.{i % 10}\n    window: 30d\n    sli:\n{sli}")
    return head + "".join(body)


def child(path: str) -> None:
    started = time.perf_counter()
    from slostack import load_spec, render

    spec = load_spec(path)
    loaded = time.perf_counter()
    bundle = render(spec)
    done = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "load_s": loaded - started,
                "render_s": done - loaded,
                "total_s": done - started,
                "peak_rss_mb": peak_kib / 1024,
                "files": len(bundle),
                "bytes": sum(len(t) for t in bundle.values()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "fleet.slo.yaml"
        spec.write_text(generate(args.slos))
        runs = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(spec)],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            )
            runs.append(json.loads(out.stdout))
    best = min(runs, key=lambda r: r["total_s"])
    result = {
        "slos": args.slos,
        "runs": runs,
        "best_total_s": best["total_s"],
        "max_peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }
    print(
        f"| SLOs | load (s) | render (s) | total (s) | peak RSS (MB) | output |\n|---|---|---|---|---|---|\n"
        f"| {args.slos} | {best['load_s']:.2f} | {best['render_s']:.2f} | {best['total_s']:.2f} | "
        f"{result['max_peak_rss_mb']:.0f} | {best['files']} files, {best['bytes'] / 1e6:.1f} MB |"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
