"""A small, bounded load generator for drills: steady requests to every app replica on 127.0.0.1.

An SLO can only burn when there is traffic; a drill brings its own. It is bounded three ways (rate,
total requests, wall time) and only ever talks to addresses read from the local targets file.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

__all__ = ["Traffic"]


class Traffic:
    def __init__(
        self, targets_file: Path, rps: float = 25.0, max_seconds: float = 600.0, max_requests: int = 50_000
    ) -> None:
        self.targets_file = targets_file
        self.interval = 1.0 / rps
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.results: Counter[str] = Counter()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _targets(self) -> list[str]:
        try:
            groups = json.loads(self.targets_file.read_text())
        except (OSError, ValueError):
            return []
        return [t for g in groups for t in g.get("targets", []) if t.startswith("127.0.0.1:")]

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - picks URLs, not secrets
        started = time.monotonic()
        with httpx.Client(timeout=5.0) as client:
            while not self._stop.is_set() and time.monotonic() - started < self.max_seconds:
                if sum(self.results.values()) >= self.max_requests:
                    return
                targets = self._targets()
                if targets:
                    base = f"http://{rng.choice(targets)}"
                    try:
                        if rng.random() < 0.2:
                            response = client.post(
                                f"{base}/api/orders", json={"item_id": rng.randint(1, 100), "quantity": 1}
                            )
                        else:
                            response = client.get(f"{base}/api/items/{rng.randint(1, 100)}")
                        self.results[str(response.status_code)] += 1
                    except httpx.HTTPError:
                        self.results["connection-error"] += 1
                self._stop.wait(self.interval * len(self._threads))

    def start(self, workers: int = 4) -> Traffic:
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> dict[str, int]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        return dict(self.results)
