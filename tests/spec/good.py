"""One good spec as text, so each bad-spec case is one small edit with a known line number."""

GOOD = """\
apiVersion: slostack/v1
kind: ServiceLevels
metadata:
  name: checkout
  labels: {team: payments}
service:
  build: sample_app
  port: 8000
  scrape: {job: checkout, interval: 15s}
slos:
  - name: availability
    objective: 99.9
    window: 30d
    sli:
      events:
        errors: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
  - name: latency
    objective: 99
    sli:
      latency:
        histogram: http_request_duration_seconds_bucket{job="checkout"}
        threshold: 300ms
        buckets: [0.1, 0.3, 1]
alerting:
  receivers:
    - {name: oncall, webhook: {url_file: /run/secrets/oncall-url}}
  routes: {page: [oncall], ticket: [oncall]}
healing:
  policies:
    - match: {slo_name: availability, slo_severity: page}
      action: rollback
deploy: {target: local}
"""


def good_spec(old: str = "", new: str = "") -> str:
    """The good spec with exactly one edit (`old` must occur once)."""
    if not old:
        return GOOD
    assert GOOD.count(old) == 1, f"edit target {old!r} must occur exactly once"
    return GOOD.replace(old, new)
