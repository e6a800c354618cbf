#!/usr/bin/env bash
# `make demo`: the product's first impression. Validates and renders the checkout example, runs its
# generated alert tests with promtool, and shows how fast each alert detects a full outage.
set -euo pipefail
cd "$(dirname "$0")/.."
SLOSTACK=.venv/bin/slostack
SPEC=examples/checkout.slo.yaml
OUT=.slostack/demo/bundle

echo "==> validate $SPEC"
$SLOSTACK validate "$SPEC"
echo "==> render to $OUT"
$SLOSTACK render "$SPEC" --out "$OUT"
echo "==> promtool: generated alert tests (fire on outage, silent on health)"
$SLOSTACK test "$SPEC"
echo "==> detection time per alert tier"
$SLOSTACK explain "$SPEC"
