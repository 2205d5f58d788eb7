#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright's own browser download does not work here).
# Installs it when missing and we may (root + apt-get); otherwise says how, and fails.
set -u
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && { echo "Chromium: $CHROMIUM"; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: installing Debian's package"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -x "$CHROMIUM" ] || { echo "FAIL: Chromium not found at $CHROMIUM (apt-get install chromium)" >&2; exit 1; }
echo "Chromium: $CHROMIUM"
