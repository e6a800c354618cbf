"""The healer's HTTP face: Alertmanager's webhook in, the kill switch, and a read API over the journal.

The webhook does the least it safely can before answering: check the token, bound and parse the body,
store each alert it has not seen (that is the dedup, and it survives restarts), queue the new ones for
the engine and answer. Remedies run in the background, so Alertmanager never waits on an actuator.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import ValidationError

from .actuators.base import Actuator
from .clock import Clock, SystemClock
from .config import HealerConfig
from .diagnosis import Diagnoser, MetricsSource, NoReleases, ReleaseSource, Summarizer
from .engine import Engine
from .metrics import HealerMetrics
from .notify import HttpNotifier, Notifier
from .payload import AlertKey, WebhookMessage, alert_key
from .prometheus import HttpPrometheus, Prometheus
from .relay import Relay, RelayError
from .report import FORMATS, build_report
from .store import ActionFilter, AlertRow, IncidentFilter, Store
from .verify import Verifier

__all__ = ["create_app"]

log = logging.getLogger("slostack.healer")
_SMALL_BODY = 64 * 1024  # pause/resume bodies carry a reason, nothing more


class _TooLarge(Exception):
    pass


@dataclass
class _Runtime:
    store: Store
    engine: Engine
    intake: ThreadPoolExecutor  # its own thread: intake never waits behind the engine or the read API


class _SeenKeys:
    """Alert keys known to be committed to the store: repeats are answered without touching SQLite.
    Only a cache (bounded, LRU): the store's primary key is what actually deduplicates."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[AlertKey, None] = OrderedDict()
        self._size = size

    def __contains__(self, key: AlertKey) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        return False

    def add(self, key: AlertKey) -> None:
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status_code=status, media_type="application/json", headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, or _TooLarge as soon as it is known to exceed `limit` (by header or by counting:
    a chunked body has no Content-Length, and a header can lie)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _since(value: str | None) -> float | None:
    """Epoch seconds or an ISO 8601 time (naive means UTC)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(
            422, f"since: not a time (got {value[:40]!r}); use ISO 8601 or epoch seconds"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _default_releases(config: HealerConfig) -> ReleaseSource:
    """The local runtime keeps its release ledger in `<state_dir>/releases`; other targets have none
    the healer can read yet, so no release is ever 'recent' there (said in the diagnosis' notes)."""
    if config.actuator == "local" and config.state_dir is not None:
        from .diagnosis.ledger import LedgerReleases

        return LedgerReleases(config.state_dir / "releases")
    return NoReleases()


def create_app(
    config: HealerConfig,
    *,
    clock: Clock | None = None,
    actuator: Actuator | None = None,
    prometheus: Prometheus | None = None,
    notifier: Notifier | None = None,
    registry: CollectorRegistry | None = None,
    relay: Relay | None = None,
    metrics_source: MetricsSource | None = None,
    releases: ReleaseSource | None = None,
    summarizer: Summarizer | None = None,
) -> FastAPI:
    """One healer. Everything with state or I/O can be injected; what is not is built from `config`
    (the actuator by name, Prometheus from `prometheus_url`, an HTTP notifier, the local release ledger
    under `state_dir` for diagnosis). `summarizer` is the optional language-model hook: off unless given."""
    clock = clock or SystemClock()
    registry = registry if registry is not None else CollectorRegistry()
    metrics = HealerMetrics(registry)
    expected = config.token.encode()
    seen = _SeenKeys(config.dedup_cache)
    holder: dict[str, _Runtime] = {}
    owned: list[Any] = []  # clients we built, to close on shutdown

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal actuator, prometheus, notifier, relay, metrics_source, releases
        if actuator is None:
            from .serve import build_actuator

            actuator = build_actuator(config.actuator, config.state_dir or config.state_path.parent)
        if prometheus is None and config.prometheus_url:
            prometheus = HttpPrometheus(config.prometheus_url)
            owned.append(prometheus)
        if notifier is None:
            notifier = HttpNotifier(timeout=config.notify_timeout, base_dir=config.receivers_dir)
            owned.append(notifier)
        if relay is None:
            relay = Relay(timeout=config.notify_timeout, base_dir=config.receivers_dir)
            owned.append(relay)
        if metrics_source is None and isinstance(prometheus, HttpPrometheus):
            metrics_source = prometheus
        if releases is None:
            releases = _default_releases(config)
        store = await asyncio.to_thread(Store, config.state_path)
        verifier = Verifier(
            prometheus,
            clock,
            query_timeout=config.policy.verify.query_timeout.seconds,
            interval=config.verify_interval,
        )
        engine = Engine(
            config.policy,
            store,
            actuator,
            notifier=notifier,
            verifier=verifier,
            clock=clock,
            metrics=metrics,
            action_timeout=config.action_timeout,
            notify_timeout=config.notify_timeout + 1,
            diagnoser=Diagnoser(metrics_source, releases, config.policy.service_facts, summarizer=summarizer),
        )
        await engine.start()
        intake = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healer-intake")
        holder["rt"] = _Runtime(store=store, engine=engine, intake=intake)
        log.info(
            "healer for %s up: actuator %s, state %s", config.policy.service, actuator.name, config.state_path
        )
        try:
            yield
        finally:
            await engine.stop()
            intake.shutdown(wait=True)
            for client in owned:
                await client.aclose()
            await asyncio.to_thread(store.close)
            holder.clear()

    app = FastAPI(title="slostack healer", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    def rt() -> _Runtime:
        try:
            return holder["rt"]
        except KeyError:
            raise HTTPException(503, "the healer is starting or stopping") from None

    def authorized(header: str | None) -> bool:
        if not header:
            return False
        scheme, _, token = header.partition(" ")
        # Constant-time compare, so timing does not leak how much of a guess was right.
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)

    def require_token(request: Request) -> None:
        if not authorized(request.headers.get("authorization")):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    auth = [Depends(require_token)]

    @app.post("/v1/alerts")
    async def alerts(request: Request) -> Response:
        if not authorized(request.headers.get("authorization")):
            metrics.webhooks.labels("unauthorized").inc()
            return _json({"detail": "missing or wrong bearer token"}, 401, {"WWW-Authenticate": "Bearer"})
        try:
            body = await _read_body(request, config.max_body_bytes)
        except _TooLarge:
            metrics.webhooks.labels("too_large").inc()
            return _json({"detail": f"body over {config.max_body_bytes} bytes"}, 413)
        try:
            message = WebhookMessage.model_validate_json(body)
        except ValidationError as e:
            metrics.webhooks.labels("malformed").inc()
            errors = [
                {"loc": list(err["loc"]), "msg": err["msg"]} for err in e.errors(include_url=False)[:20]
            ]
            return _json({"detail": errors}, 422)
        runtime = rt()
        now = clock.now()
        fresh: dict[AlertKey, tuple[AlertKey, str, dict[str, str]]] = {}
        for alert in message.alerts:
            key = alert_key(alert)
            if key not in seen and key not in fresh:
                fresh[key] = (key, alert.alertname, dict(alert.labels))
        new = 0
        if fresh:
            items = list(fresh.values())
            loop = asyncio.get_running_loop()
            flags = await loop.run_in_executor(runtime.intake, runtime.store.record_alerts, items, now)
            rows = []
            for (key, name, labels), is_new in zip(items, flags, strict=True):
                seen.add(key)
                if is_new:
                    rows.append(AlertRow(key=key, alertname=name, labels=labels, received_at=now))
            runtime.engine.submit(rows)
            new = len(rows)
        metrics.webhooks.labels("accepted").inc()
        metrics.alerts.labels("new").inc(new)
        metrics.alerts.labels("duplicate").inc(len(message.alerts) - new)
        return _json({"status": "accepted", "alerts": len(message.alerts), "new": new})

    @app.post("/v1/relay/{receiver}")
    async def relay_endpoint(receiver: str, request: Request) -> Response:
        # Labels only ever carry declared receiver names: a path segment must not grow the series count.
        ref = config.policy.receivers.get(receiver)
        name = receiver if ref is not None else "(undeclared)"
        if not authorized(request.headers.get("authorization")):
            metrics.relay.labels(name, "unauthorized").inc()
            return _json({"detail": "missing or wrong bearer token"}, 401, {"WWW-Authenticate": "Bearer"})
        if ref is None or ref.kind != "webhook":
            metrics.relay.labels(name, "unknown_receiver").inc()
            return _json({"detail": "no webhook receiver of that name in the policy"}, 404)
        try:
            body = await _read_body(request, config.max_body_bytes)
        except _TooLarge:
            metrics.relay.labels(name, "too_large").inc()
            return _json({"detail": f"body over {config.max_body_bytes} bytes"}, 413)
        try:
            json.loads(body)
        except ValueError:
            metrics.relay.labels(name, "malformed").inc()
            return _json({"detail": "the body is not JSON"}, 422)
        rt()  # 503 while starting or stopping; once running, the relay client exists
        assert relay is not None
        try:
            status = await relay.forward(ref, body)
        except RelayError as e:
            metrics.relay.labels(name, "failed").inc()
            log.warning("relay to %s failed: %s", name, e)  # the reason never holds the URL
            return _json({"detail": str(e)}, 502)
        metrics.relay.labels(name, "delivered").inc()
        return _json({"status": "delivered", "receiver": name, "answered": status})

    async def _reason(request: Request) -> str:
        try:
            body = await _read_body(request, _SMALL_BODY)
        except _TooLarge:
            raise HTTPException(413, "body too large") from None
        if not body.strip():
            return ""
        try:
            data = json.loads(body)
        except ValueError:
            raise HTTPException(422, 'body must be JSON like {"reason": "..."}') from None
        reason = data.get("reason", "") if isinstance(data, dict) else None
        if not isinstance(reason, str):
            raise HTTPException(422, "reason must be a string")
        return reason[:500]

    @app.post("/v1/pause", dependencies=auth)
    async def pause(request: Request) -> Response:
        reason = await _reason(request)
        await rt().engine.set_paused(True, reason)
        log.warning("healer PAUSED: %s", reason or "(no reason given)")
        return _json({"paused": True, "reason": reason})

    @app.post("/v1/resume", dependencies=auth)
    async def resume(request: Request) -> Response:
        reason = await _reason(request)
        await rt().engine.set_paused(False, reason)
        log.warning("healer resumed: %s", reason or "(no reason given)")
        return _json({"paused": False, "reason": reason})

    @app.get("/v1/state", dependencies=auth)
    async def state() -> Response:
        runtime = rt()
        settings = await asyncio.to_thread(runtime.store.settings)
        breakers = await asyncio.to_thread(runtime.store.breakers)
        return _json(
            {
                "service": config.policy.service,
                "paused": settings.get("paused") == "1",
                "paused_reason": settings.get("paused_reason", ""),
                "dry_run": config.policy.dry_run,
                "enabled": config.policy.enabled,
                "breakers": [b.to_api() for b in breakers],
            }
        )

    @app.post("/v1/breakers/{target}/reset", dependencies=auth)
    async def reset_breaker(target: str) -> Response:
        if target not in config.policy.targets:
            raise HTTPException(404, "no such target in the policy")
        done = await rt().engine.reset_breaker(target)
        return _json({"target": target, "reset": done})

    @app.get("/v1/incidents", dependencies=auth)
    async def incidents(
        status: str | None = None,
        target: str | None = None,
        since: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> Response:
        f = IncidentFilter(status=status, target=target, since=_since(since), limit=limit)
        rows = await asyncio.to_thread(rt().store.list_incidents, f)
        return _json([r.to_api() for r in rows])

    @app.get("/v1/incidents/{incident_id}", dependencies=auth)
    async def incident_detail(incident_id: int) -> Response:
        """One incident with its actions and its diagnoses (one per `auto` step), as stored."""
        runtime = rt()
        try:
            inc = await asyncio.to_thread(runtime.store.incident, incident_id)
        except KeyError:
            raise HTTPException(404, "no such incident") from None
        acts = await asyncio.to_thread(runtime.store.list_actions, ActionFilter(incident=incident_id))
        diagnoses = await asyncio.to_thread(runtime.store.diagnoses, incident_id)
        return _json(
            {
                **inc.to_api(),
                "actions": [a.to_api() for a in acts],
                "diagnosis": diagnoses[-1] if diagnoses else None,
                "diagnoses": diagnoses,
            }
        )

    @app.get("/v1/incidents/{incident_id}/report", dependencies=auth)
    async def incident_report(
        incident_id: int, fmt: Annotated[str, Query(alias="format")] = "md"
    ) -> Response:
        if fmt not in FORMATS:
            raise HTTPException(422, "format must be md or html")
        runtime = rt()
        try:
            rec = await asyncio.to_thread(runtime.store.record, incident_id)
        except KeyError:
            raise HTTPException(404, "no such incident") from None
        source = prometheus if isinstance(prometheus, HttpPrometheus) else None
        text = await build_report(rec, source, fmt, now=clock.now(), policy=config.policy)
        media = "text/html; charset=utf-8" if fmt == "html" else "text/markdown; charset=utf-8"
        # The HTML loads nothing; the header says so again for browsers that open it from here.
        headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}
        return Response(text, media_type=media, headers=headers)

    @app.get("/v1/actions", dependencies=auth)
    async def actions(
        target: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        incident: int | None = None,
        since: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> Response:
        f = ActionFilter(
            target=target, action=action, outcome=outcome, incident=incident, since=_since(since), limit=limit
        )
        rows = await asyncio.to_thread(rt().store.list_actions, f)
        return _json([r.to_api() for r in rows])

    @app.get("/health")
    async def health() -> Response:
        return _json({"status": "ok" if holder else "starting"}, 200 if holder else 503)

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
