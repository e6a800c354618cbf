"""``python -m sample_app``: run the service under uvicorn with a graceful, observable shutdown.

On SIGTERM or SIGINT, ``/ready`` fails at once; after ``--drain-delay`` seconds (time for a load
balancer to notice) uvicorn stops accepting connections, lets in-flight requests finish for up to
``--graceful-timeout`` seconds, and the process exits 0. A second signal cuts the drain delay short;
a third abandons in-flight requests.

Exit codes: 0 after a clean shutdown, 1 when uvicorn cannot start (port taken), 2 on bad settings
(one line on stderr), 3 on an injected crash.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from types import FrameType

import uvicorn

from sample_app.jsonlog import configure_logging
from sample_app.main import SETTINGS_EXIT_CODE, create_app
from sample_app.probes import Lifecycle
from sample_app.settings import SettingsError, load_settings

__all__ = ["DrainingServer", "main"]


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_delay: float) -> None:
        super().__init__(config)
        self._lifecycle = lifecycle
        self._drain_delay = drain_delay
        self._stop_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not calling super(): uvicorn would re-raise the signal after shutting down, and the process
        # would end "killed by SIGTERM" (143) instead of 0 after a shutdown that went as planned.
        if self._stop_at is None:
            self._lifecycle.begin_drain()
            self._stop_at = time.monotonic() + self._drain_delay
        elif self.should_exit:
            self.force_exit = True
        else:
            self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        # uvicorn polls this every 0.1 s; the drain delay ends here, outside the signal handler.
        if self._stop_at is not None and time.monotonic() >= self._stop_at:
            self.should_exit = True
        return await super().on_tick(counter)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sample_app", description="Run sample_app under uvicorn.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=8000, help="TCP port (default: %(default)s)")
    parser.add_argument(
        "--drain-delay",
        type=_seconds,
        default=0.0,
        help="seconds between failing /ready and closing the listener (default: %(default)s)",
    )
    parser.add_argument(
        "--graceful-timeout",
        type=_seconds,
        default=10.0,
        help="seconds in-flight requests get to finish after the listener closes (default: %(default)s)",
    )
    return parser.parse_args(argv)


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be 0-65535")
    return value


def _seconds(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be 0-3600 seconds")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(exc, file=sys.stderr, flush=True)
        return SETTINGS_EXIT_CODE

    configure_logging(settings.log_level)
    lifecycle = Lifecycle()
    config = uvicorn.Config(
        create_app(settings, lifecycle=lifecycle),
        host=args.host,
        port=args.port,
        lifespan="on",
        log_config=None,  # configure_logging already routed uvicorn's loggers to JSON
        access_log=False,
        timeout_graceful_shutdown=args.graceful_timeout,
    )
    server = DrainingServer(config, lifecycle, args.drain_delay)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
