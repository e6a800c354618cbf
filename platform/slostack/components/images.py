"""Pinned default images. A tag here is a tested pair with what render writes, so bump them together.

Alertmanager stays on 0.25, the release the rendered alertmanager.yml is checked against (see
`render/alertmanager.py`: webhook URLs go through the healer's relay because 0.25 has no url_file).
"""

from __future__ import annotations

__all__ = ["ALERTMANAGER", "GRAFANA", "HEALER", "PROMETHEUS", "SOCKET_PROXY"]

PROMETHEUS = "prom/prometheus:v2.53.2"
ALERTMANAGER = "prom/alertmanager:v0.25.0"
GRAFANA = "grafana/grafana:11.2.0"
# Answers only the Docker API calls the docker actuator makes; see `healer.py` for the trade-off.
SOCKET_PROXY = "tecnativa/docker-socket-proxy:0.1.1"
# Built from `components/healer.Dockerfile` (see its header); override with config slostack:healerImage.
HEALER = "slostack-healer:0.1.0"
