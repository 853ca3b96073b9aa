#!/usr/bin/env bash
# The README's test command: bring up the real services, build, lint, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
[ -d node_modules ] || npm ci
npm run build
npx biome check .
exec bash scripts/run-tests.sh "$@"
