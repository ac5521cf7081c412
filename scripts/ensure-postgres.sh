#!/usr/bin/env bash
# The test suite starts a throwaway PostgreSQL 15 server on loopback: make sure Debian's server
# binaries are installed. Safe to run again.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  exit 0
fi
if [ -n "${HUIKUAN_TEST_POSTGRES_URL:-}" ]; then
  exit 0
fi
echo "Installing PostgreSQL 15 server binaries (Debian postgresql-15)…"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 >/dev/null
