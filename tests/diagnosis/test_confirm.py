"""The watch before a first action (`confirm_for`): a burn that stops by itself gets no action at all;
one that goes on is diagnosed and acted on after the watch. Real healer (uvicorn, SQLite, a real child
process under the supervisor), with a recorded Prometheus that answers the SLI's "now" ratio."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slostack.local.supervisor import Supervisor
from tests.healer.harness import AUTH, Recorder, alert, message, policy, wait_for

from .recorded import HEALTHY, key_for
from .recorded import _vector as vector

WATCH = {"cooldown": "100ms", "verify_for": "300ms", "ladder": [{"action": "auto"}], "confirm_for": "2s"}
CRASHED = {**HEALTHY, "restarts": 4, "up": 0, "error_ratio": None, "traffic": None}
NOW_QUERY = policy().slos["availability"].now_query
assert NOW_QUERY is not None


@contextmanager
def prometheus(now_ratio: Callable[[], float | None], readings: dict[str, Any]) -> Iterator[Recorder]:
    """Answers the SLO's 4-scrape error ratio from `now_ratio`, and the evidence queries from `readings`."""

    def respond(method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        expr = query.get("query", [""])[0]
        if expr == NOW_QUERY:
            return 200, vector(now_ratio(), {})
        key = key_for(expr)
        if key is None:
            return 400, {"status": "error", "error": f"unexpected query {expr!r}"}
        return 200, vector(readings.get(key), {})

    with Recorder(respond) as rec:
        yield rec


def _incident(c: Any) -> dict[str, Any]:
    incidents = wait_for(lambda: c.get("/v1/incidents").json(), 10)
    return c.get(f"/v1/incidents/{incidents[0]['id']}").json()


def _closed(c: Any) -> dict[str, Any]:
    return wait_for(lambda: (inc := _incident(c))["status"] != "open" and inc, 15)  # type: ignore[no-any-return]


def test_a_burn_that_stops_by_itself_gets_no_action(make_healer, checkout: Supervisor) -> None:
    pid = checkout.pid("checkout-0")
    with prometheus(lambda: 0.0, CRASHED) as prom:
        h = make_healer(policy(policy0=WATCH), supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            inc = _closed(c)
            metrics = c.get("/metrics").text
    assert inc["status"] == "resolved"
    assert "stopped by itself" in inc["detail"] and "no action taken" in inc["detail"]
    assert inc["actions"] == []
    # Diagnosed at the alert (the evidence is freshest then), but nothing was done about it.
    assert inc["diagnosis"]["leader"] == "crash_loop"
    assert checkout.pid("checkout-0") == pid
    assert 'healer_confirmations_total{result="stopped"} 1.0' in metrics
    assert any(r["query"]["query"] == [NOW_QUERY] for r in prom.requests)


def test_a_burn_that_goes_on_is_diagnosed_and_acted_on_after_the_watch(
    make_healer, checkout: Supervisor
) -> None:
    pid = checkout.pid("checkout-0")
    with prometheus(lambda: 1.0, CRASHED) as prom:
        h = make_healer(policy(policy0=WATCH), supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            wait_for(lambda: [a for a in c.get("/v1/actions").json() if a["outcome"] != "pending"], 15)
            inc = _incident(c)
            metrics = c.get("/metrics").text
    first = inc["actions"][0]
    assert (first["action"], first["outcome"]) == ("restart", "ok")
    opened = datetime.fromisoformat(inc["time"]).timestamp()
    assert datetime.fromisoformat(first["time"]).timestamp() - opened >= 2.0  # acted only after the watch
    assert inc["diagnosis"]["leader"] == "crash_loop"
    assert first["params"]["confirmed"].startswith("the burn went on for 2s")
    asked = [r["query"]["query"][0] for r in prom.requests]
    assert asked.index(NOW_QUERY) > asked.index('sum(up{job="checkout"})')  # diagnosed before the watch
    assert checkout.pid("checkout-0") not in (None, pid)
    assert 'healer_confirmations_total{result="persists"} 1.0' in metrics


def test_no_data_during_the_watch_proves_nothing_so_it_acts(make_healer, checkout: Supervisor) -> None:
    with prometheus(lambda: None, CRASHED) as prom:
        h = make_healer(policy(policy0=WATCH), supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            actions = wait_for(lambda: c.get("/v1/actions").json(), 15)
    assert actions[0]["action"] == "restart"


def test_a_burn_that_stops_midway_through_the_watch_gets_no_action(make_healer, checkout: Supervisor) -> None:
    """Bad for the first second, then clean: two good readings in a row before the watch ends."""
    started = time.monotonic()
    pid = checkout.pid("checkout-0")
    with prometheus(lambda: 1.0 if time.monotonic() - started < 1.0 else 0.0, CRASHED) as prom:
        p = policy(policy0={**WATCH, "confirm_for": "3s"})
        h = make_healer(p, supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            inc = _closed(c)
    assert inc["status"] == "resolved" and inc["actions"] == []
    assert checkout.pid("checkout-0") == pid


def test_an_alert_that_resolves_during_the_watch_gets_no_action(make_healer, checkout: Supervisor) -> None:
    pid = checkout.pid("checkout-0")
    with prometheus(lambda: 1.0, CRASHED) as prom:
        p = policy(policy0={**WATCH, "confirm_for": "5s"})
        h = make_healer(p, supervisor=checkout, prometheus_url=prom.url)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message()).raise_for_status()
            wait_for(lambda: c.get("/v1/incidents").json(), 10)
            c.post("/v1/alerts", json=message(alert(status="resolved"))).raise_for_status()
            inc = _closed(c)
            time.sleep(0.5)  # a runner that ignored the resolve would act right about now
            assert c.get("/v1/actions").json() == []
    assert inc["status"] == "resolved"
    assert checkout.pid("checkout-0") == pid
