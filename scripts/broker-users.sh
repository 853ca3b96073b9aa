#!/usr/bin/env bash
# Least-privilege RabbitMQ users for a libvirt-qmf fleet: one per agent, pinned to its agent
# name, and console users (lvq, the SDK) that cannot speak for any agent.
#
#   scripts/broker-users.sh [-n NODE] [-p VHOST] agent USER AGENT_NAME [--password-file FILE]
#   scripts/broker-users.sh [-n NODE] [-p VHOST] console USER [--password-file FILE]
#   scripts/broker-users.sh [-n NODE] delete USER
#
# AGENT_NAME is the agent's QMF name, vendor:product:instance (`lvq agents` shows it; a
# libvirt-qmf agent is libvirt-qmf:libvirt:<instance, by default the host UUID>).
# The password is read from FILE (never from the command line, which `ps` shows); without
# one a new user has none and can log in only with a client certificate whose CN is USER
# (EXTERNAL, see the README). Running it again updates the permissions (and the password, if a
# file is given). -n picks the node (default: rabbitmqctl's); LVQ_RABBITMQCTL replaces the
# rabbitmqctl command itself (e.g. "scripts/tls-broker.sh ctl" for the TLS test node).
#
# What each user may do, on the two QMF exchanges (QMF.md):
# - Both declare the exchanges qmf.default.direct and qmf.default.topic, publish to them, and
#   bind their own queue: a console its server-named amq.gen-… queue; an agent the queue
#   qmf-agent.AGENT_NAME (exclusive, so a second holder of the name is refused) and, for its
#   own console (migration), an amq.gen-… queue.
# - Topic permissions on qmf.default.topic decide which routing keys each may publish, and which
#   it may bind. Everything an agent broadcasts ends with its name as three words (heartbeats
#   agent.ind.heartbeat.V.P.I, data agent.ind.data.PKG.CLASS.V.P.I, events
#   agent.ind.event.PKG.EVENT.SEVERITY.V.P.I): an agent user may publish those of its own name
#   only, a console user none of agent.ind.#. Consoles drop an indication whose key does not
#   name the agent it claims to come from, so no user can pass for another agent there.
# - The direct exchange has no routing-key permissions in RabbitMQ: any user may send a reply
#   there. RabbitMQ checks every message's user_id against the sender's login, and a console
#   takes answers for an agent only from that agent's user (learnt from its heartbeat).
# - An agent may also publish to the default exchange (amq.default), for requests whose
#   reply_to is a bare queue name.
set -euo pipefail

die() { printf 'broker-users: error: %s\n' "$*" >&2; exit 2; }
usage() { sed -n '4,6p' "$0" | sed 's/^# *//' >&2; exit 2; }

read -r -a CTL <<<"${LVQ_RABBITMQCTL:-rabbitmqctl}"
NODE=()
VHOST=/
while [ $# -gt 0 ]; do
  case "$1" in
    -n) [ $# -ge 2 ] || usage; NODE=(-n "$2"); shift 2 ;;
    -p) [ $# -ge 2 ] || usage; VHOST=$2; shift 2 ;;
    *) break ;;
  esac
done
ctl() { "${CTL[@]}" "${NODE[@]}" -q "$@"; }

# A regular expression matching exactly the text $1.
literal() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }
# An agent name part as a routing-key word (a dot, # or * becomes _, as the agents do).
word() { literal "$(printf '%s' "$1" | tr '.#*' '___')"; }

user_exists() { ctl list_users | cut -f1 | grep -qxF -- "$1"; }

# Creates USER (or updates its password) from the password file, if any.
ensure_user() {
  local user=$1 password_file=${2:-}
  if [ -n "$password_file" ]; then
    [ -r "$password_file" ] || die "cannot read the password file $password_file"
    if user_exists "$user"; then
      ctl change_password "$user" <"$password_file" >/dev/null
    else
      ctl add_user "$user" <"$password_file" >/dev/null
    fi
  elif ! user_exists "$user"; then
    # A random password at once cleared: the user logs in by certificate (EXTERNAL) only.
    od -An -N24 -tx1 /dev/urandom | tr -d ' \n' | ctl add_user "$user" >/dev/null
    ctl clear_password "$user" >/dev/null
  fi
}

password_option() { # --password-file FILE → FILE
  case "${1:-}" in
    "") echo "" ;;
    --password-file) [ -n "${2:-}" ] || usage; echo "$2" ;;
    *) usage ;;
  esac
}

EXCHANGES='qmf\.default\.direct|qmf\.default\.topic'

agent() {
  local user=$1 name=$2 password_file
  password_file=$(password_option "${@:3}")
  IFS=: read -r vendor product instance extra <<<"$name"
  [ -n "$vendor" ] && [ -n "$product" ] && [ -n "$instance" ] && [ -z "${extra:-}" ] ||
    die "agent name \"$name\" is not vendor:product:instance"
  local queue own_keys
  queue="qmf-agent\\.$(literal "$name")"
  own_keys="agent\\.ind\\.(heartbeat|data\\.[^.]+\\.[^.]+|event\\.[^.]+\\.[^.]+\\.[0-7])\\.$(word "$vendor")\\.$(word "$product")\\.$(word "$instance")"
  ensure_user "$user" "$password_file"
  ctl set_permissions -p "$VHOST" "$user" \
    "^($EXCHANGES|$queue|amq\\.gen-.*)\$" \
    "^($EXCHANGES|amq\\.default|$queue|amq\\.gen-.*)\$" \
    "^($EXCHANGES|$queue|amq\\.gen-.*)\$" >/dev/null
  # write: its own indications, and console.* (its own console's locate); read (bindings):
  # console.# for requests, agent.ind.# for its own console.
  ctl set_topic_permissions -p "$VHOST" "$user" qmf.default.topic \
    "^($own_keys|console\\..*)\$" "^(console|agent\\.ind)\\..*\$" >/dev/null
  echo "agent user $user: may speak only as $name (vhost $VHOST)"
}

console_user() {
  local user=$1 password_file
  password_file=$(password_option "${@:2}")
  ensure_user "$user" "$password_file"
  ctl set_permissions -p "$VHOST" "$user" \
    "^($EXCHANGES|amq\\.gen-.*)\$" "^($EXCHANGES|amq\\.gen-.*)\$" "^($EXCHANGES|amq\\.gen-.*)\$" >/dev/null
  ctl set_topic_permissions -p "$VHOST" "$user" qmf.default.topic \
    '^console\..*$' '^agent\.ind\..*$' >/dev/null
  echo "console user $user: may read the fleet and call methods, never speak for an agent (vhost $VHOST)"
}

case "${1:-}" in
  agent) [ $# -ge 3 ] || usage; shift; agent "$@" ;;
  console) [ $# -ge 2 ] || usage; shift; console_user "$@" ;;
  delete) [ $# -eq 2 ] || usage; ctl delete_user "$2" >/dev/null; echo "deleted user $2" ;;
  *) usage ;;
esac
