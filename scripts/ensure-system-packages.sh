#!/usr/bin/env bash
# Debian packages the letters (PDF) feature needs: WeasyPrint's native libraries and a CJK font
# that covers every character a Chinese letter uses. Installs only what is missing, runs
# `apt-get update` at most once and only when something must be installed, and prints nothing
# when all is well. Safe to run again.
#
#   fonts-wqy-microhei     WenQuanYi Micro Hei: the letters' CSS font family; embeds and extracts
#   libpango-1.0-0 …       WeasyPrint's text layout (Debian 12 ships pango 1.50)
#   libharfbuzz-subset0    font subsetting; without it WeasyPrint warns at import, and the test
#                          suite turns warnings into errors
#   poppler-utils          a test aid only: `pdftoppm` renders a page to PNG for a visual check
set -euo pipefail

PACKAGES=(
  fonts-wqy-microhei
  fontconfig
  libpango-1.0-0
  libpangoft2-1.0-0
  libharfbuzz0b
  libharfbuzz-subset0
  libfontconfig1
  poppler-utils
)

missing=()
for package in "${PACKAGES[@]}"; do
  # `dpkg -s` also lists removed-but-configured packages; only "install ok installed" counts.
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "Missing Debian packages: ${missing[*]}; run this script as root or install sudo." >&2
    exit 1
  fi
  SUDO="sudo"
fi

# Other provisioning (another script, unattended upgrades) may hold the dpkg lock: wait for it
# rather than fail.
APT=(apt-get -o DPkg::Lock::Timeout=600 -qq)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $SUDO "${APT[@]}" update &&
  $SUDO env DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends \
    "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "Could not install: ${missing[*]}" >&2
  exit 1
fi
# A newly installed font is found by fontconfig only after its cache knows it.
if command -v fc-cache >/dev/null 2>&1; then
  fc-cache -s >/dev/null 2>&1 || fc-cache >/dev/null 2>&1 || true
fi
