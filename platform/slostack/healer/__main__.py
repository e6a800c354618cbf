"""`python -m slostack.healer`: the same flags as `slostack healer`, for tests and containers."""

from __future__ import annotations

import argparse
import sys

from .config import ACTUATORS, ConfigError
from .serve import run_healer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m slostack.healer", description=__doc__)
    p.add_argument("--policy", required=True, help="the rendered healer/policy.yml")
    p.add_argument("--token-file", required=True, help="file holding the webhook bearer token")
    p.add_argument("--state", required=True, help="SQLite state file (created if missing)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9095)
    p.add_argument("--actuator", choices=ACTUATORS, default="local")
    p.add_argument("--prometheus", default=None, help="Prometheus base URL for verification")
    p.add_argument("--state-dir", default=None, help="the local runtime's state directory")
    args = p.parse_args(argv)
    try:
        run_healer(
            args.policy,
            args.token_file,
            args.state,
            args.host,
            args.port,
            args.actuator,
            args.prometheus,
            args.state_dir,
        )
    except ConfigError as e:
        print(f"healer: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
