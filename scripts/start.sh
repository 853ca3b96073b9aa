#!/usr/bin/env bash
# The README's first command: bring up libvirtd + RabbitMQ and run the main job on libvirt's
# built-in test:///default hypervisor.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
[ -d dist ] || npm run build
exec node dist/cli/main.js inventory --uri test:///default "$@"
