#!/usr/bin/env bash
# `make demo`: the product's first impression, on this machine, with no Docker and no Pulumi.
#  1. validate the checkout spec and run its generated alert tests (promtool),
#  2. bring the whole stack up on 127.0.0.1 with the drill profile (1h SLO window, 1 s scrapes),
#  3. ship a bad release and watch the stack detect it, roll it back and recover,
#  4. show the releases and the healer's incident report,
#  5. leave everything running to explore, and say how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
SLOSTACK=.venv/bin/slostack
SPEC=examples/checkout.slo.yaml
ENV=demo

echo "==> 1. validate $SPEC and run its generated alert tests"
$SLOSTACK validate "$SPEC"
$SLOSTACK test "$SPEC"
echo
echo "==> detection time per alert tier (production numbers)"
$SLOSTACK explain "$SPEC"
echo
echo "==> 2. bring the stack up locally (env $ENV, drill profile)"
$SLOSTACK up "$SPEC" --env "$ENV" --profile drill
echo
echo "==> 3. drill: ship a bad release (FAIL_MODE=error) and time detection and recovery"
$SLOSTACK drill bad-release --env "$ENV" --json ".slostack/$ENV/drill-bad-release.json"
echo
echo "==> 4. the releases: the bad one was rolled back by the healer"
$SLOSTACK release list --env "$ENV"
echo
$SLOSTACK status --env "$ENV"
echo
echo "==> 5. the healer's incident report (also as HTML: --format html)"
INCIDENT=$(.venv/bin/python -c '
import json, sys
events = json.load(open(sys.argv[1]))["events"]
print(next((e["detail"].split()[1] for e in events if e["kind"] == "notification_received"), ""))
' ".slostack/$ENV/drill-bad-release.json")
if [ -n "$INCIDENT" ]; then
  $SLOSTACK incident show "$INCIDENT" --env "$ENV"
fi
echo
echo "The stack keeps running. Try: $SLOSTACK drill crash --env $ENV   (or latency, error, memory)"
echo "Timeline as JSON: .slostack/$ENV/drill-bad-release.json"
echo "Stop everything with: $SLOSTACK down --env $ENV"
