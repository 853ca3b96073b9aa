#!/usr/bin/env bash
# A 3-node RabbitMQ cluster on this one machine, for the cluster tests and bench:fleet.
# The nodes are lvq1@localhost … lvq3@localhost, AMQP on 127.0.0.1:5681-5683, Erlang
# distribution on 25681-25683, each with its own config, plugins file, data and log folders
# under $LVQ_CLUSTER_DIR (default /tmp/lvq-cluster) and a cookie of their own. They never read
# the system node's config and never touch the default node on 5672.
#
#   scripts/cluster.sh up          start the three nodes (those not running) and join them
#   scripts/cluster.sh down        stop the three nodes and remove their folder
#   scripts/cluster.sh status      one line per node: name, port, pid, running or not
#   scripts/cluster.sh ctl N ARGS  rabbitmqctl against node N (1-3) with the cluster's cookie
#   scripts/cluster.sh start N     start node N again (after a kill or stop) and wait for it
#   scripts/cluster.sh pid N       the OS pid of node N's Erlang VM (for kill -9 / -STOP)
#   scripts/cluster.sh partition N / heal N
#                                  cut node N off from the other two / let it back (below)
#
# Partition handling is pause_minority: a node that sees fewer than half of the cluster stops
# serving clients until it sees the majority again. Of RabbitMQ's three strategies it is the
# one that never lets two halves accept work at once (autoheal and ignore let both sides go on
# and then throw one side's changes away), and with three nodes one lost node always leaves a
# majority that goes on. Our sessions hold only exclusive, auto-delete queues, so a paused node
# costs nothing but the reconnect to a node of the majority.
#
# A partition is made without a firewall: node N is given a wrong cookie for its two peers
# and disconnected from them, so their distribution handshakes fail both ways while every
# node stays up and reachable by rabbitmqctl (which uses the real cookie). heal N restores it.
# Idempotent: up on a running cluster and down on a stopped one do nothing.
set -euo pipefail

B=${LVQ_CLUSTER_DIR:-/tmp/lvq-cluster}
NODES=(1 2 3)
log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=lib/rabbit-node.sh
. "$(dirname "$0")/lib/rabbit-node.sh"

node_name() { echo "lvq$1@localhost"; }
amqp_port() { echo $((5680 + $1)); }
dist_port() { echo $((25680 + $1)); }
ctl() { local n=$1; shift; rn_ctl "$B" "$(node_name "$n")" "$@"; }
answers() { rn_answers "$(amqp_port "$1")"; }
pid_of() { rn_pid "$(node_name "$1")"; }

start_node() {
  local n=$1 d=$B/n$1
  [ -n "$(pid_of "$n")" ] && return 0
  mkdir -p "$d"
  cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(amqp_port "$n")
cluster_partition_handling = pause_minority
loopback_users = none
EOF
  echo '[].' >"$d/enabled_plugins"
  rn_launch "$B" "$(node_name "$n")" "$d" "$(amqp_port "$n")" "$(dist_port "$n")"
}

await_node() { rn_await "$B" "$(node_name "$1")" "$B/n$1" "$(amqp_port "$1")"; }

in_cluster() { # is node n a running member of node 1's cluster?
  ctl 1 eval "lists:member('$(node_name "$1")', rabbit_nodes:all_running())." 2>/dev/null | grep -q true
}

up() {
  rn_cookie "$B"
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do await_node "$n"; done
  for n in 2 3; do
    in_cluster "$n" && continue
    log "joining $(node_name "$n") to $(node_name 1)"
    ctl "$n" stop_app >/dev/null
    ctl "$n" reset >/dev/null
    ctl "$n" join_cluster "$(node_name 1)" >/dev/null 2>&1
    ctl "$n" start_app >/dev/null
    await_node "$n"
  done
  # The tests log in as guest from 127.0.0.1 (loopback_users = none above also lets a node's
  # own address in); every node shares the users through the cluster.
  status
}

down() {
  for n in "${NODES[@]}"; do rn_stop "$B" "$(node_name "$n")"; done
  rm -rf "$B"
}

status() {
  for n in "${NODES[@]}"; do
    local pid state; pid=$(pid_of "$n")
    if [ -z "$pid" ]; then state=stopped
    elif answers "$n"; then state=running
    else state=not-serving; fi
    printf '%s amqp://127.0.0.1:%s pid=%s %s\n' "$(node_name "$n")" "$(amqp_port "$n")" "${pid:--}" "$state"
  done
}

node_arg() { [[ ${1:-} =~ ^[123]$ ]] || die "name a node: 1, 2 or 3"; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  ctl) node_arg "${2:-}"; n=$2; shift 2; ctl "$n" "$@" ;;
  start) node_arg "${2:-}"; start_node "$2"; await_node "$2" ;;
  pid) node_arg "${2:-}"; pid_of "$2" ;;
  partition)
    node_arg "${2:-}"; n=$2
    peers=$(for p in "${NODES[@]}"; do [ "$p" = "$n" ] || printf "'%s'," "$(node_name "$p")"; done)
    ctl "$n" eval "[begin erlang:set_cookie(P, lvq_partitioned), erlang:disconnect_node(P) end || P <- [${peers%,}]], ok." >/dev/null
    ;;
  heal)
    node_arg "${2:-}"; n=$2
    cookie=$(cat "$B/.erlang.cookie")
    peers=$(for p in "${NODES[@]}"; do [ "$p" = "$n" ] || printf "'%s'," "$(node_name "$p")"; done)
    ctl "$n" eval "[begin erlang:set_cookie(P, '$cookie'), net_kernel:connect_node(P) end || P <- [${peers%,}]], ok." >/dev/null
    ;;
  *) die "usage: scripts/cluster.sh up|down|status|ctl N ARGS|start N|pid N|partition N|heal N" ;;
esac
