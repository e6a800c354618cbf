"""The healer's own metrics, on a registry passed in (a fresh one per app, so tests never share)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["HealerMetrics"]


class HealerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.webhooks = Counter(
            "healer_webhooks_total", "Webhook requests by result.", ["result"], registry=registry
        )
        self.alerts = Counter(
            "healer_alerts_total",
            "Alerts in accepted webhooks: new or duplicate.",
            ["result"],
            registry=registry,
        )
        self.actions = Counter(
            "healer_actions_total",
            "Ladder actions by action and result.",
            ["action", "result"],
            registry=registry,
        )
        self.duration = Histogram(
            "healer_action_duration_seconds",
            "Time an actuator took per action.",
            ["action"],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=registry,
        )
        self.incidents_open = Gauge(
            "healer_incidents_open", "Incidents the healer still works on.", registry=registry
        )
        self.escalations = Counter(
            "healer_escalations_total", "Incidents handed over to a human.", registry=registry
        )
        self.blocked = Counter(
            "healer_blocked_total",
            "Steps held back by a safety gate, by reason.",
            ["reason"],
            registry=registry,
        )
        self.verdicts = Counter(
            "healer_verifications_total",
            "Verification verdicts after an action.",
            ["verdict"],
            registry=registry,
        )
        self.confirmations = Counter(
            "healer_confirmations_total",
            "Watches before an incident's first action, by result: the burn went on, or stopped by itself.",
            ["result"],
            registry=registry,
        )
        self.relay = Counter(
            "healer_relay_total",
            "Webhook notifications relayed to user receivers, by receiver and result.",
            ["receiver", "result"],
            registry=registry,
        )
        self.paused = Gauge("healer_paused", "1 while the kill switch is on.", registry=registry)
