"""`make bench`: every benchmark in turn, each printing its own Markdown table (figures go in the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ["render_1000_slos.py"],
    ["sample_app_throughput.py"],
    ["healer_storm.py"],
    ["drill_matrix.py", "--runs", "3"],
]


def main() -> int:
    failed = 0
    for argv in BENCHMARKS:
        print(f"\n## {' '.join(argv)}\n", flush=True)
        done = subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:]], check=False, timeout=3600)
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
