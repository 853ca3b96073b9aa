#!/usr/bin/env bash
# The README's first command: bring up libvirtd + RabbitMQ, then run an agent publishing
# libvirt's built-in test:///default hypervisor, show what a console sees of it, start the web
# dashboard (`lvq web`, on 127.0.0.1:8080 or $LVQ_WEB_LISTEN) and print its URL, and keep both
# running in the foreground (Ctrl-C stops them cleanly).
#
# Extra arguments go to `lvq agent` (e.g. --uri qemu:///system, --broker amqp://…).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
[ -f dist/cli/main.js ] || npm run build

lvq() { node dist/cli/main.js "$@"; }

lvq agent --uri test:///default --heartbeat-interval 5 "$@" &
agent=$!
web=
# Stop the agent (and the web server) with us, whichever way we end.
trap 'kill -TERM $agent $web 2>/dev/null; wait $agent $web 2>/dev/null' EXIT
trap 'exit 130' INT TERM

# Wait (bounded) until a console can see the agent and its Node object.
for _ in $(seq 1 60); do
  kill -0 "$agent" 2>/dev/null || { echo "the agent exited; see its log above" >&2; exit 1; }
  if lvq --timeout 2 list Node >/dev/null 2>&1; then break; fi
  sleep 0.5
done

cat <<'MSG'

== The agent is up. This is what any console on the broker sees: ==

$ lvq agents
MSG
lvq agents
printf '\n$ lvq list Domain\n'
lvq list Domain
printf '\n$ lvq pools\n'
lvq pools
# The dashboard: its first line on stdout is "lvq web: serving <url> (…)".
web_log=$(mktemp)
node dist/cli/main.js web --listen "${LVQ_WEB_LISTEN:-127.0.0.1:8080}" >"$web_log" &
web=$!
url=
for _ in $(seq 1 60); do
  url=$(sed -n 's/^lvq web: serving \([^ ]*\).*/\1/p' "$web_log")
  [ -n "$url" ] && break
  kill -0 "$web" 2>/dev/null || break
  sleep 0.5
done
rm -f "$web_log"
if [ -n "$url" ]; then
  printf '\n== The web dashboard: %s  (Prometheus: %smetrics) ==\n' "$url" "$url"
else
  echo "lvq web did not start (is the port taken? set LVQ_WEB_LISTEN=127.0.0.1:8081)" >&2
fi

cat <<'MSG'

Try, from another terminal in this folder (npx lvq … or node dist/cli/main.js …):
  npx lvq show test                 every property of the domain "test", with its DomainInfo
  npx lvq suspend test && npx lvq list Domain
  npx lvq watch                     live changes and events
  npx lvq --help

The agent and the dashboard keep running here (JSON logs below); Ctrl-C stops them.
MSG
wait "$agent"
