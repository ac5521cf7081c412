#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (never `playwright install`, which
# downloads a browser). Installs the Debian packages only when they are missing; quiet when all
# is already there. Safe to run again.
set -euo pipefail
missing=()
for package in chromium chromium-driver; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "Installing ${missing[*]} (Debian) for the browser tests…"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Refresh the package lists only when the candidate is unknown (a fresh container has none).
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  $SUDO apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
