"""Alertmanager config as data: routes per tier, the healer, timings, inhibitions, secrets by file.

(`tests/checks/` proves the same files with amtool.)
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from slostack import conventions as names
from slostack.render.alertmanager import route_cases
from slostack.render.errors import RenderError
from slostack.render.options import RenderOptions

from .conftest import NO_HEALER, NO_SERVICE, SERVICE, WEBHOOK, Edit, bundle_of, spec_of

ROUTES = "routes: {page: [oncall], ticket: [oncall]}"


def config(*edits: Edit, **options: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        bundle_of(*edits, options=RenderOptions(**options))[names.ALERTMANAGER_CONFIG]
    )
    return data


def tier_route(data: dict[str, Any], tier: str) -> dict[str, Any]:
    routes = [r for r in data["route"]["routes"] if f'slo_severity="{tier}"' in r["matchers"]]
    assert len(routes) == 1, data["route"]
    return routes[0]


def receivers_of(route: dict[str, Any]) -> list[str]:
    return [child["receiver"] for child in route["routes"]]


@pytest.mark.parametrize(
    ("edits", "page", "ticket"),
    [
        pytest.param((), ["oncall", "healer"], ["oncall"], id="a page reaches on-call and the healer"),
        pytest.param(NO_HEALER, ["oncall"], ["oncall"], id="without healing the healer hears nothing"),
        pytest.param(NO_SERVICE, ["oncall"], ["oncall"], id="without a service there is no healer"),
        pytest.param(
            ((ROUTES, "routes: {page: [], ticket: [oncall]}"),),
            ["healer"],
            ["oncall"],
            id="a page with no receiver still reaches the healer",
        ),
    ],
)
def test_each_tier_routes_to_its_receivers(
    edits: tuple[Edit, ...], page: list[str], ticket: list[str]
) -> None:
    data = config(*edits)
    assert receivers_of(tier_route(data, "page")) == page
    assert receivers_of(tier_route(data, "ticket")) == ticket
    assert all(child["continue"] for tier in ("page", "ticket") for child in tier_route(data, tier)["routes"])
    assert data["route"]["receiver"] == names.DEFAULT_RECEIVER


def test_a_tier_without_receivers_has_no_route_and_falls_to_default() -> None:
    edit = (ROUTES, "routes: {page: [oncall]}")
    assert [r["matchers"][1] for r in config(edit)["route"]["routes"]] == ['slo_severity="page"']
    ticket = next(
        c for c in route_cases(spec_of(edit), RenderOptions()) if c.labels.get("slo_severity") == "ticket"
    )
    assert ticket.receivers == (names.DEFAULT_RECEIVER,)


def test_the_default_receiver_is_a_null_receiver() -> None:
    receivers = {r["name"]: r for r in config()["receivers"]}
    assert receivers[names.DEFAULT_RECEIVER] == {"name": names.DEFAULT_RECEIVER}


def test_pages_are_fast_and_tickets_slow() -> None:
    data = config()
    page, ticket = tier_route(data, "page"), tier_route(data, "ticket")
    assert page["group_wait"] == "10s" and ticket["group_wait"] == "1m"
    assert page["repeat_interval"] == "1h" and ticket["repeat_interval"] == "12h"
    assert data["route"]["group_by"] == ["alertname", "slo_id"]


def test_the_spec_timings_override_every_tier() -> None:
    data = config((ROUTES, ROUTES + "\n  group_wait: 2s\n  repeat_interval: 30m"))
    for route in (data["route"], tier_route(data, "page"), tier_route(data, "ticket")):
        assert route["group_wait"] == "2s"
        assert route["repeat_interval"] == "30m"
        assert route["group_interval"] in ("1m", "5m", "10m")


def test_the_healer_receiver_posts_with_the_token_file_and_resolved_alerts() -> None:
    receivers = {r["name"]: r for r in config(healer_token_file="/run/healer/token")["receivers"]}
    (hook,) = receivers[names.HEALER_RECEIVER]["webhook_configs"]
    assert hook == {
        "url": "http://127.0.0.1:9095" + names.HEALER_ALERTS_PATH,
        "send_resolved": True,
        "http_config": {"authorization": {"credentials_file": "/run/healer/token"}},
    }


def test_a_webhook_url_is_never_written_but_relayed_by_the_healer() -> None:
    text = bundle_of()[names.ALERTMANAGER_CONFIG]
    receivers = {r["name"]: r for r in yaml.safe_load(text)["receivers"]}
    (hook,) = receivers["oncall"]["webhook_configs"]
    assert hook["url"] == "http://127.0.0.1:9095" + names.healer_relay_path("oncall")
    assert hook["http_config"]["authorization"]["credentials_file"] == "secrets/healer-token"
    assert "/run/secrets/oncall-url" not in text


RECEIVERS = """{name: pager, pagerduty: {routing_key_file: /run/secrets/pd}}
    - {name: chat, slack: {api_url_file: /run/secrets/slack, channel: "#alerts"}}
    - {name: mail, email: {to: a@example.com, from: am@example.com, smarthost: "smtp:587",
                           auth_username: am, auth_password_file: /run/secrets/smtp}}"""


def test_every_secret_is_referenced_by_file_never_inline() -> None:
    data = config((WEBHOOK, RECEIVERS), (ROUTES, "routes: {page: [pager], ticket: [chat, mail]}"))
    receivers = {r["name"]: r for r in data["receivers"]}
    assert receivers["pager"]["pagerduty_configs"][0]["routing_key_file"] == "/run/secrets/pd"
    assert receivers["chat"]["slack_configs"][0] == {
        "api_url_file": "/run/secrets/slack",
        "send_resolved": True,
        "channel": "#alerts",
    }
    assert receivers["mail"]["email_configs"][0]["auth_password_file"] == "/run/secrets/smtp"
    inline = {"api_url", "routing_key", "service_key", "auth_password", "url"}
    for name in ("pager", "chat", "mail"):
        for configs in (v for k, v in receivers[name].items() if k.endswith("_configs")):
            assert not inline & set(configs[0]), receivers[name]
    assert receivers_of(tier_route(data, "ticket")) == ["chat", "mail"]


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        pytest.param(
            ((SERVICE, ""), (NO_SERVICE[1][0], "")),
            "alerting.receivers[0] (oncall): Alertmanager 0.25 cannot read a webhook URL from url_file",
            id="a webhook without a healer to relay it is refused",
        ),
        pytest.param(
            ((WEBHOOK, "{name: default, slack: {api_url_file: /s}}\n    - " + WEBHOOK),),
            "alerting.receivers[0]: 'default' is the receiver slostack adds for unrouted alerts",
            id="a receiver may not take the name of the default receiver",
        ),
        pytest.param(
            ((WEBHOOK, WEBHOOK + "\n    - {name: mail, email: {to: a@example.com, smarthost: 'smtp:25'}}"),),
            "alerting.receivers[1] (mail): email needs 'from'",
            id="an email receiver needs a sender",
        ),
    ],
)
def test_receivers_alertmanager_would_reject_are_render_errors(edits: tuple[Edit, ...], message: str) -> None:
    with pytest.raises(RenderError) as caught:
        bundle_of(*edits)
    assert str(caught.value).startswith(message)


def test_inhibitions_a_page_mutes_its_ticket_and_target_down_mutes_the_service() -> None:
    assert config()["inhibit_rules"] == [
        {
            "source_matchers": ['slo_severity="page"', 'slo_id=~".+"'],
            "target_matchers": ['slo_severity="ticket"'],
            "equal": ["slo_id"],
        },
        {
            "source_matchers": [f'alertname="{names.target_down_alert_name("checkout")}"'],
            "target_matchers": ['slo_id=~".+"'],
            "equal": ["slo_service"],
        },
    ]


def test_sloth_labels_rename_every_label_the_routes_read() -> None:
    text = bundle_of(options=RenderOptions(sloth_labels=True))[names.ALERTMANAGER_CONFIG]
    data = yaml.safe_load(text)
    assert data["route"]["group_by"] == ["alertname", "sloth_id"]
    assert 'sloth_service="checkout"' in tier_route(data, "page")["matchers"]
    assert "slo_id" not in text and "slo_service" not in text


def test_route_cases_use_the_labels_the_alert_rules_really_carry() -> None:
    cases = route_cases(spec_of(), RenderOptions())
    assert [(c.labels.get("alertname"), c.receivers) for c in cases] == [
        ("CheckoutAvailabilityBurn", ("oncall", "healer")),
        ("CheckoutAvailabilityBurn", ("oncall",)),
        (names.target_down_alert_name("checkout"), ("oncall", "healer")),
        # A service alert of the ticket tier (the restart loop) goes to the ticket receivers only.
        (names.restart_loop_alert_name("checkout"), ("oncall",)),
        ("Watchdog", ("default",)),
        ("OtherServiceBurn", ("default",)),
    ]
    assert cases[0].labels["slo_id"] == "checkout-availability" and cases[0].labels["team"] == "payments"
