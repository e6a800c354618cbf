#!/usr/bin/env bash
# Make sure the Debian packages `prometheus` and `prometheus-alertmanager` are present, and
# `chromium` (the incident report's HTML is checked in a real headless browser).
# As root they are installed with apt-get; otherwise the exact command to run is printed.
set -euo pipefail
missing=()
optional=()
[ -x /usr/bin/chromium ] || optional+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
if ! command -v prometheus-alertmanager >/dev/null 2>&1 && ! command -v alertmanager >/dev/null 2>&1; then
  missing+=(prometheus-alertmanager)
fi
if [ ${#missing[@]} -eq 0 ] && { [ ${#optional[@]} -eq 0 ] || [ "$(id -u)" -ne 0 ]; }; then
  [ ${#optional[@]} -eq 0 ] || echo "note: without ${optional[*]} the browser check of incident reports is skipped" \
    "(sudo apt-get install -y ${optional[*]})" >&2
  exit 0
fi
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" "${optional[@]}" | sed '/^$/d' | sort -u)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  # The Debian packages start system services where an init system runs; slostack starts its own
  # processes on ephemeral ports, so stop those to keep the default ports free.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl stop prometheus prometheus-alertmanager prometheus-node-exporter >/dev/null 2>&1 || true
  fi
else
  echo "slostack needs: ${pkgs[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
