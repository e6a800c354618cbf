"""The healer's brain: new alerts in (already deduplicated and stored), audited actions out.

One dispatcher task turns stored alerts into incidents; each open incident gets a runner task that
walks its policy's ladder: gates -> intent (fsynced) -> act -> outcome -> verify -> next step only on
`not_recovered`. Everything a runner decides is derived from the store at the top of each round, so a
restarted healer resumes exactly where the journal says it was: an action whose intent has no outcome
is marked `interrupted`, counted, and verified like any other, but never run again.

Blocking work (SQLite, actuators) runs in worker threads, so the event loop stays free for webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from ..render.healer_policy import HealerPolicyFile
from ..spec.model import HealingPolicy, LadderStep
from .actuators.base import ALL_ACTIONS, Actuator, ActuatorError
from .clock import Clock, iso
from .diagnosis import Diagnoser
from .gates import Blocked
from .matching import Match, TargetRejected, match_alert
from .metrics import HealerMetrics
from .notify import Notifier, NotifyError, Undeliverable
from .store import LADDER, OPEN, TICKET, ActionFilter, ActionRow, AlertRow, Incident, StepGates, Store
from .verify import Verdict, Verifier

__all__ = ["Engine"]

log = logging.getLogger("slostack.healer")

P = ParamSpec("P")
R = TypeVar("R")

_VERIFIABLE = ("ok", "interrupted", "would_do", "undelivered")
_MAX_WAIT = 30.0  # re-read the store at least this often while held back, whatever woke us or not
_MIN_WAIT = 0.05  # never spin, even if a retry time is already past
_MAX_ROUNDS = 10_000


class Engine:
    def __init__(
        self,
        policy: HealerPolicyFile,
        store: Store,
        actuator: Actuator,
        *,
        notifier: Notifier,
        verifier: Verifier,
        clock: Clock,
        metrics: HealerMetrics,
        action_timeout: float = 300.0,
        notify_timeout: float = 10.0,
        diagnoser: Diagnoser | None = None,
    ) -> None:
        self.policy = policy
        self.store = store
        self.actuator = actuator
        self.notifier = notifier
        self.verifier = verifier
        self.clock = clock
        self.metrics = metrics
        self.action_timeout = action_timeout
        self.notify_timeout = notify_timeout
        self.diagnoser = diagnoser
        self._queue: asyncio.Queue[AlertRow] = asyncio.Queue()
        self._runners: dict[int, asyncio.Task[None]] = {}
        self._kicks: dict[int, asyncio.Event] = {}
        self._dispatcher: asyncio.Task[None] | None = None
        # Incidents whose burn was confirmed (id -> what the watch saw). In memory on purpose: a
        # restarted healer watches again before acting, which only delays, never repeats an action.
        self._confirmed: dict[int, str] = {}
        # Store calls get their own small pool: they must never queue behind slow actuator calls
        # (which use the default pool), or an hour-long rollback would stall every other incident.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healer-db")

    async def _db(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    # ---- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        now = self.clock.now()
        for row in await self._db(self.store.mark_interrupted, now):
            log.warning(
                "action %d (%s %s) was interrupted by a restart; not re-running it",
                row.id,
                row.action,
                row.target,
            )
            self.metrics.actions.labels(row.action, "interrupted").inc()
            if row.kind == LADDER and row.action in ALL_ACTIONS and not row.dry_run:
                await self._count_failure(await self._db(self.store.incident, row.incident_id), row.target)
        self.metrics.paused.set(1 if await self._db(self.store.paused) else 0)
        for inc in await self._db(self.store.open_incidents):
            self._spawn(inc.id)
        for alert in await self._db(self.store.unprocessed_alerts):
            self._queue.put_nowait(alert)
        await self._refresh_open()
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="healer-dispatcher")

    async def stop(self) -> None:
        tasks = [t for t in (self._dispatcher, *self._runners.values()) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, alerts: list[AlertRow]) -> None:
        """Hand over alerts already committed to the store (the webhook answers right after)."""
        for alert in alerts:
            self._queue.put_nowait(alert)

    async def set_paused(self, paused: bool, reason: str) -> None:
        await self._db(self.store.set_paused, paused, reason, self.clock.now())
        self.metrics.paused.set(1 if paused else 0)
        self._kick_all()

    async def reset_breaker(self, target: str) -> bool:
        done = await self._db(self.store.reset_breaker, target)
        self._kick_all()
        return done

    # ---- dispatch -------------------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        while True:
            alert = await self._queue.get()
            try:
                result = await self._dispatch(alert)
                await self._db(self.store.mark_processed, alert.key, result)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Left unprocessed: the next start replays it. One bad alert must not stop the rest.
                log.exception("could not handle alert %s", alert.key)

    async def _dispatch(self, alert: AlertRow) -> str:
        fingerprint, starts_at, status = alert.key
        now = self.clock.now()
        if status == "resolved":
            known = await self._db(self.store.incident_for, fingerprint, starts_at)
            if known is None:
                return "no_incident"
            await self._db(self.store.mark_resolved, known.id, now)
            self._kick(known.id)
            await self._refresh_open()
            return f"resolved incident {known.id}"
        if await self._db(self.store.has_alert, (fingerprint, starts_at, "resolved")):
            return "already_resolved"  # the resolution overtook the firing notification
        try:
            match: Match | None = match_alert(self.policy, alert.labels)
        except TargetRejected as e:
            self.metrics.blocked.labels("invalid_target").inc()
            await self._db(
                self.store.open_incident,
                fingerprint=fingerprint,
                starts_at=starts_at,
                alertname=alert.alertname,
                labels=alert.labels,
                policy=None,
                target=None,
                slo=None,
                status="rejected",
                detail=str(e),
                now=now,
            )
            log.warning("alert %s: %s; no action", alert.alertname, e)
            return "rejected"
        if match is None:
            return "no_policy"
        status_ = OPEN if self.policy.enabled else "ignored"
        inc, created = await self._db(
            self.store.open_incident,
            fingerprint=fingerprint,
            starts_at=starts_at,
            alertname=alert.alertname,
            labels=alert.labels,
            policy=match.index,
            target=match.target,
            slo=match.slo,
            status=status_,
            detail="" if self.policy.enabled else "healing is disabled in the policy",
            now=now,
        )
        if created and inc.status == OPEN:
            self._spawn(inc.id)
            await self._refresh_open()
        return f"incident {inc.id}"

    # ---- one incident ---------------------------------------------------------------------------------

    def _spawn(self, incident_id: int) -> None:
        if incident_id in self._runners and not self._runners[incident_id].done():
            return
        self._kicks.setdefault(incident_id, asyncio.Event())
        task = asyncio.create_task(self._run_guarded(incident_id), name=f"healer-incident-{incident_id}")
        self._runners[incident_id] = task

    def _kick(self, incident_id: int) -> None:
        event = self._kicks.get(incident_id)
        if event is not None:
            event.set()

    def _kick_all(self) -> None:
        for event in self._kicks.values():
            event.set()

    async def _run_guarded(self, incident_id: int) -> None:
        try:
            await self._run(incident_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("incident %d: runner failed; handing over to a human", incident_id)
            inc = await self._db(self.store.incident, incident_id)
            if inc.status == OPEN:
                await self._escalate(inc, "the healer hit an internal error on this incident", self._dry(inc))
                await self._close(inc, "escalated", "internal error; see the healer's log")
        finally:
            self._runners.pop(incident_id, None)
            self._kicks.pop(incident_id, None)
            self._confirmed.pop(incident_id, None)

    def _policy_of(self, inc: Incident) -> HealingPolicy | None:
        if inc.policy is None or not 0 <= inc.policy < len(self.policy.policies):
            return None
        return self.policy.policies[inc.policy]

    def _dry(self, inc: Incident) -> bool:
        pol = self._policy_of(inc)
        return self.policy.dry_run or (pol is not None and pol.dry_run)

    async def _run(self, incident_id: int) -> None:
        kick = self._kicks[incident_id]
        for _ in range(_MAX_ROUNDS):
            # Cleared BEFORE reading the store: a kick (resolve, resume) that lands after the read
            # stays set and cuts the next wait short instead of being lost.
            kick.clear()
            inc = await self._db(self.store.incident, incident_id)
            if inc.status != OPEN:
                await self._settle(inc)
                return
            policy = self._policy_of(inc)
            if policy is None or inc.target is None:
                await self._close(inc, "escalated", "its policy is gone (the policy file changed)")
                return
            dry = self._dry(inc)
            last = await self._db(self.store.last_ladder_action, incident_id)
            if last is None and policy.confirm_for is not None and inc.id not in self._confirmed:
                if await self._confirm(inc, policy, kick):
                    return
                continue
            if last is not None and last.verdict is None and last.outcome in _VERIFIABLE:
                if await self._verify_step(inc, policy, last, kick):
                    return
                continue
            if inc.step >= len(policy.ladder):
                await self._trip(inc, f"the ladder is exhausted after {len(policy.ladder)} step(s)", dry)
                return
            if not await self._take_step(inc, policy, policy.ladder[inc.step], dry, kick):
                return
        await self._escalate(inc, f"gave up after {_MAX_ROUNDS} rounds", self._dry(inc))
        await self._close(inc, "escalated", "too many rounds")

    async def _resolved(self, incident_id: int) -> bool:
        """Alertmanager said the alert resolved (the verifier's and the watch's early way out)."""
        return (await self._db(self.store.incident, incident_id)).resolved

    async def _confirm(self, inc: Incident, policy: HealingPolicy, kick: asyncio.Event) -> bool:
        """Watch before the first action; True when the burn stopped by itself (closed, no action).

        Same rules as verification, asked of the SLI's 4-scrape error ratio: the alert resolving or
        two good readings in a row mean the fault is gone; no data proves nothing, so it acts."""
        assert policy.confirm_for is not None
        window = policy.confirm_for.seconds
        check = self.policy.slos.get(inc.slo) if inc.slo else None
        if inc.step < len(policy.ladder) and policy.ladder[inc.step].action == "auto":
            # Diagnose first: the evidence is freshest at the alert, and a crashed target leaves no
            # samples in the short rate windows once the watch is over.
            await self._diagnosis(inc, policy)
        await self._db(self.store.note, inc.id, f"watching {window:g}s for the burn to go on before acting")
        now_query = check.now_query if check is not None else None
        resolved = functools.partial(self._resolved, inc.id)
        verdict = await self.verifier.verify(check, window, resolved, kick, query=now_query)
        if verdict.result == "recovered":
            self.metrics.confirmations.labels("stopped").inc()
            detail = f"the burn stopped by itself within {window:g}s ({verdict.detail}); no action taken"
            log.info("incident %d: %s", inc.id, detail)
            await self._close(inc, "resolved", detail)
            return True
        self.metrics.confirmations.labels("persists").inc()
        self._confirmed[inc.id] = f"the burn went on for {window:g}s: {verdict.detail}"
        await self._db(self.store.note, inc.id, self._confirmed[inc.id])
        return False

    async def _verify_step(
        self, inc: Incident, policy: HealingPolicy, last: ActionRow, kick: asyncio.Event
    ) -> bool:
        """Verify the last action; True when the incident is finished."""
        check = self.policy.slos.get(inc.slo) if inc.slo else None
        resolved = functools.partial(self._resolved, inc.id)
        verdict: Verdict = await self.verifier.verify(check, policy.verify_for.seconds, resolved, kick)
        await self._db(self.store.set_verdict, last.id, verdict.result, verdict.detail, self.clock.now())
        self.metrics.verdicts.labels(verdict.result).inc()
        log.info(
            "incident %d: %s %s -> %s (%s)", inc.id, last.action, inc.target, verdict.result, verdict.detail
        )
        if verdict.result == "recovered":
            if not last.dry_run:
                await self._db(self.store.clear_failures, last.target)
            await self._close(inc, "recovered", f"{last.action} worked: {verdict.detail}")
            return True
        if verdict.result == "inconclusive":
            reason = f"cannot tell whether {last.action} worked: {verdict.detail}"
            await self._escalate(inc, reason, last.dry_run)
            await self._close(inc, "escalated", reason)
            return True
        return False

    async def _take_step(
        self, inc: Incident, policy: HealingPolicy, step: LadderStep, dry: bool, kick: asyncio.Event
    ) -> bool:
        """Try the ladder step at `inc.step`; False when the incident is finished."""
        assert inc.target is not None
        action: str = step.action
        params: dict[str, Any] = {}
        ticket = ""
        if action == "auto":
            action, params, ticket = await self._auto(inc, policy)
        if inc.id in self._confirmed:
            params["confirmed"] = self._confirmed[inc.id]
        skip = None
        if action in policy.forbid:
            skip = f"{action} is forbidden by the policy"
        elif action in ALL_ACTIONS and action not in self.actuator.capabilities:
            skip = f"the {self.actuator.name} actuator cannot {action}"
        next_step = inc.step + 1
        if skip is None and action == "scale":
            skip, scale_params, stay = await self._plan_scale(inc, step)
            params.update(scale_params)
            if stay:
                next_step = inc.step  # scale again (by `step`) on the next round, up to `max`
        if skip is None and action == "notify":
            params["receiver"] = step.receiver or self.policy.escalate_to
        if skip is not None:
            log.info("incident %d: skipping step %d (%s): %s", inc.id, inc.step, action, skip)
            await self._db(self.store.set_step, inc.id, inc.step + 1, f"skipped {action}: {skip}")
            return True
        gates = StepGates(
            enabled=self.policy.enabled,
            touches_target=action in ALL_ACTIONS,
            cooldown=policy.cooldown.seconds,
            max_attempts=policy.max_attempts,
            attempts_window=policy.attempts_window.seconds,
            rate_limit=self.policy.rate_limit.actions,
            rate_per=self.policy.rate_limit.per.seconds,
        )
        decision = await self._db(
            self.store.begin_action,
            incident_id=inc.id,
            target=inc.target,
            action=action,
            step=inc.step,
            next_step=next_step,
            params=params,
            dry_run=dry,
            gates=gates,
            now=self.clock.now(),
        )
        if isinstance(decision, Blocked):
            self.metrics.blocked.labels(decision.reason).inc()
            await self._db(self.store.note, inc.id, f"held back: {decision.detail}")
            if decision.final:
                await self._escalate(inc, f"stopped: {decision.detail}", dry)
                await self._close(inc, "escalated", decision.detail)
                return False
            await self._wait(kick, decision.retry_at)
            return True
        if dry:
            log.info("incident %d: DRY RUN would %s %s %s", inc.id, action, inc.target, params or "")
            self.metrics.actions.labels(action, "dry_run").inc()
            if ticket:
                await self._ticket(inc, ticket, dry)
            return True
        outcome, detail, inert = await self._perform(inc, action, step, params)
        await self._db(
            self.store.finish_action, decision.action_id, outcome, detail, self.clock.now(), inert=inert
        )
        self.metrics.actions.labels(action, outcome).inc()
        log.info("incident %d: %s %s -> %s: %s", inc.id, action, inc.target, outcome, detail)
        if ticket and outcome == "ok":
            await self._ticket(inc, ticket, dry)
        if outcome == "failed" and action in ALL_ACTIONS:
            return not await self._count_failure(inc, inc.target)
        return True

    async def _auto(self, inc: Incident, policy: HealingPolicy) -> tuple[str, dict[str, Any], str]:
        """Diagnose (once per step) and return the chosen (action, params, ticket reason). A remedy
        this incident already ran is not repeated."""
        body = await self._diagnosis(inc, policy)
        remedy = body["remedy"]
        action, reason = str(remedy["action"]), str(remedy["reason"])
        if action in ("restart", "rollback"):  # scale may climb over rounds of the same step
            done = await self._db(self.store.list_actions, ActionFilter(incident=inc.id, action=action))
            if any(a.kind == LADDER and a.outcome in ("ok", "interrupted") for a in done):
                action, reason = "notify", f"{action} already ran in this incident; {reason}"
        params: dict[str, Any] = {
            "diagnosis": body["leader"],
            "reason": f"diagnosis: {body['leader']} ({float(body['confidence']):.2f}): {reason}",
        }
        ticket = f"{body['leader']}: {reason}" if remedy.get("ticket") and action != "notify" else ""
        return action, params, ticket

    async def _diagnosis(self, inc: Incident, policy: HealingPolicy) -> dict[str, Any]:
        """The diagnosis of this step: stored once, so a restarted healer (or the step after the watch)
        reuses it instead of asking Prometheus again."""
        body = await self._db(self.store.diagnosis, inc.id, inc.step)
        if body is None:
            if self.diagnoser is None:
                body = {"leader": "unknown", "confidence": 0.0, "hypotheses": [], "evidence": {}}
                body["remedy"] = {
                    "action": "notify",
                    "reason": "this healer has no diagnoser",
                    "ticket": False,
                }
            else:
                body = await self.diagnoser.run(_alert_start(inc), policy.forbid)
            remedy = body["remedy"]
            body = await self._db(
                self.store.save_diagnosis,
                inc.id,
                inc.step,
                str(body["leader"]),
                float(body["confidence"]),
                str(remedy["action"]),
                body,
                self.clock.now(),
            )
            log.info(
                "incident %d: diagnosis %s (%.2f) -> %s: %s",
                inc.id,
                body["leader"],
                body["confidence"],
                remedy["action"],
                remedy["reason"],
            )
        return body

    async def _ticket(self, inc: Incident, reason: str, dry: bool) -> None:
        """A ticket-style notify next to the remedy: it buys time, a human must still fix the cause."""
        receiver = self.policy.escalate_to
        action_id = await self._db(
            self.store.add_escalation,
            incident_id=inc.id,
            target=inc.target or "-",
            receiver=receiver,
            reason=f"ticket: {reason}",
            dry_run=dry,
            now=self.clock.now(),
            kind=TICKET,
        )
        if dry:
            return
        outcome, detail = await self._deliver(inc, receiver, f"ticket: {reason}")
        await self._db(
            self.store.finish_action, action_id, outcome, f"ticket: {reason}; {detail}", self.clock.now()
        )

    async def _plan_scale(self, inc: Incident, step: LadderStep) -> tuple[str | None, dict[str, Any], bool]:
        """(skip reason, params, stay on this step)."""
        assert inc.target is not None
        try:
            state = await asyncio.to_thread(self.actuator.describe, inc.target)
        except ActuatorError as e:
            return f"cannot read the current replicas: {e}", {}, False
        if state.replicas is None:
            return "the actuator cannot tell the current replicas", {}, False
        # Never count from below what this incident already asked for (describe may lag behind).
        current = max(state.replicas, await self._db(self.store.max_scaled_to, inc.id, inc.step))
        cap = step.max if step.max is not None else current + step.step
        want = min(current + step.step, cap)
        if want <= current:
            return f"already at {current} replica(s), the step's max is {cap}", {}, False
        return None, {"replicas": want, "from": state.replicas}, want < cap

    async def _perform(
        self, inc: Incident, action: str, step: LadderStep, params: dict[str, Any]
    ) -> tuple[str, str, bool]:
        """(outcome, detail, inert). Inert: the actuator refused (ActuatorError), so nothing changed and
        the next step need not wait for a cooldown. A timeout or an unexpected error may have changed
        something: those are not inert."""
        assert inc.target is not None
        target = inc.target
        started = time.monotonic()
        try:
            if action == "notify":
                why = params.get("reason") or f"ladder step {inc.step}: {step.action}"
                outcome, detail = await self._deliver(inc, params.get("receiver"), str(why))
                return outcome, detail, False
            calls: dict[str, Callable[[], str]] = {
                "restart": lambda: self.actuator.restart(target),
                "scale": lambda: self.actuator.scale(target, int(params["replicas"])),
                "rollback": lambda: self.actuator.rollback(target),
            }
            summary = await asyncio.wait_for(asyncio.to_thread(calls[action]), timeout=self.action_timeout)
            return "ok", summary, False
        except ActuatorError as e:
            return "failed", str(e), True
        except TimeoutError:
            return "failed", f"no answer after {self.action_timeout:g}s; its effect is unknown", False
        except Exception as e:  # an actuator bug must not kill the runner: it is a failed action
            log.exception("incident %d: %s %s raised", inc.id, action, target)
            return "failed", f"{type(e).__name__}: {e}", False
        finally:
            self.metrics.duration.labels(action).observe(time.monotonic() - started)

    # ---- giving up safely -----------------------------------------------------------------------------

    async def _count_failure(self, inc: Incident, target: str) -> bool:
        """Count a failed action; True if that opened the breaker (and the incident was handed over)."""
        failures = await self._db(self.store.add_failure, target)
        if failures < self.policy.breaker_failures:
            return False
        await self._trip(inc, f"{failures} failed action(s) on {target}", dry=False)
        return True

    async def _trip(self, inc: Incident, reason: str, dry: bool) -> None:
        """Stop acting on the target (breaker open) and hand the incident to a human."""
        assert inc.target is not None
        if dry:
            reason = f"{reason} (dry run: the breaker would open)"
        elif not await self._db(self.store.open_breaker, inc.target, reason, self.clock.now()):
            reason = f"{reason} (the breaker was already open)"
        log.warning("incident %d: %s; escalating", inc.id, reason)
        await self._escalate(inc, reason, dry)
        await self._close(inc, "escalated", reason)

    async def _escalate(self, inc: Incident, reason: str, dry: bool) -> None:
        target = inc.target or "-"
        receiver = self.policy.escalate_to
        action_id = await self._db(
            self.store.add_escalation,
            incident_id=inc.id,
            target=target,
            receiver=receiver,
            reason=reason,
            dry_run=dry,
            now=self.clock.now(),
        )
        if dry:
            return  # recorded as would_do; a trial run pages nobody
        self.metrics.escalations.inc()
        outcome, detail = await self._deliver(inc, receiver, f"escalation: {reason}")
        await self._db(self.store.finish_action, action_id, outcome, f"{reason}; {detail}", self.clock.now())

    async def _deliver(self, inc: Incident, receiver_name: str | None, reason: str) -> tuple[str, str]:
        receiver = self.policy.receivers.get(receiver_name) if receiver_name else None
        if receiver is None:
            return "undelivered", f"no receiver {receiver_name!r} in the policy"
        message = await self._message(inc, reason)
        try:
            summary = await asyncio.wait_for(
                self.notifier.send(receiver, message), timeout=self.notify_timeout
            )
            return "ok", summary
        except Undeliverable as e:
            return "undelivered", str(e)
        except NotifyError as e:
            return "failed", str(e)
        except TimeoutError:
            return "failed", f"receiver {receiver.name!r} did not answer in {self.notify_timeout:g}s"

    async def _message(self, inc: Incident, reason: str) -> dict[str, Any]:
        actions = await self._db(self.store.list_actions, ActionFilter(incident=inc.id))
        return {
            "source": "slostack-healer",
            "service": self.policy.service,
            "incident": inc.id,
            "target": inc.target,
            "alertname": inc.alertname,
            "slo": inc.slo,
            "labels": inc.labels,
            "reason": reason,
            "summary": f"[slostack healer] {self.policy.service}: {inc.alertname} on {inc.target}: {reason}",
            "actions": [
                {
                    "id": a.id,
                    "action": a.action,
                    "outcome": a.outcome,
                    "verdict": a.verdict,
                    "dry_run": a.dry_run,
                }
                for a in actions
            ],
            "time": iso(self.clock.now()),
        }

    async def _close(self, inc: Incident, status: str, detail: str) -> None:
        await self._db(self.store.close_incident, inc.id, status, detail, self.clock.now())
        await self._refresh_open()

    async def _settle(self, inc: Incident) -> None:
        """A closed incident whose last action was never judged: the alert resolved meanwhile."""
        last = await self._db(self.store.last_ladder_action, inc.id)
        if inc.resolved and last is not None and last.verdict is None and last.outcome in _VERIFIABLE:
            await self._db(
                self.store.set_verdict, last.id, "recovered", "the alert resolved", self.clock.now()
            )
            self.metrics.verdicts.labels("recovered").inc()
            if not last.dry_run:
                await self._db(self.store.clear_failures, last.target)

    async def _wait(self, kick: asyncio.Event, until: float | None) -> None:
        timeout = _MAX_WAIT if until is None else until - self.clock.now()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(kick.wait(), timeout=min(max(timeout, _MIN_WAIT), _MAX_WAIT))

    async def _refresh_open(self) -> None:
        self.metrics.incidents_open.set(await self._db(self.store.count_open))


def _alert_start(inc: Incident) -> float:
    """When the alert started (Alertmanager's startsAt), else when the healer opened the incident."""
    try:
        return datetime.fromisoformat(inc.starts_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return inc.opened_at
