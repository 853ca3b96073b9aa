#!/usr/bin/env bash
# Makes sure Debian's chromium is installed, for the browser tests of `lvq web` (test/web/):
# playwright-core drives it; no browser is ever downloaded by Playwright. Prints the path of
# the executable. Kept apart from services.sh (shared by every test) on purpose: only the web
# tests and bench:web need a browser.
set -euo pipefail
bin=${LVQ_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$bin" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "chromium.sh: $bin is missing; install Debian's chromium (apt-get install chromium) as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package lists do not know chromium yet.
  apt-cache show chromium >/dev/null 2>&1 || apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
fi
echo "$bin"
