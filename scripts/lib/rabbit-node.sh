# A RabbitMQ node of our own beside the system one (sourced by scripts/cluster.sh and
# scripts/tls-broker.sh): its own node name, ports, config, plugins, data and log folders and
# Erlang cookie under a base folder, never reading the system node's config. Functions only;
# the caller sets `set -euo pipefail` and defines die().
RMQ=/usr/lib/rabbitmq/bin

# rabbitmqctl against NODE with the cookie under BASE: rn_ctl BASE NODE args…
rn_ctl() {
  local base=$1 node=$2; shift 2
  HOME=$base RABBITMQ_CONF_ENV_FILE=/dev/null timeout 60 "$RMQ/rabbitmqctl" -q -n "$node" "$@"
}

# Does 127.0.0.1:PORT accept a TCP connection?
rn_answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# The pid of the Erlang VM of NODE (3.10 names the node at run time: it is in the VM's
# environment, not on its command line); empty when it does not run.
rn_pid() {
  local p
  for p in $(pgrep -x beam.smp); do
    { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "RABBITMQ_NODENAME=$1" &&
      { echo "$p"; return 0; }
  done
  return 0
}

# A cookie for the nodes under BASE (kept if there is one already).
rn_cookie() {
  command -v "$RMQ/rabbitmq-server" >/dev/null ||
    die "rabbitmq-server is not installed (scripts/services.sh installs it)"
  mkdir -p "$1"
  if [ ! -s "$1/.erlang.cookie" ]; then
    (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$1/.erlang.cookie")
  fi
  chmod 400 "$1/.erlang.cookie"
}

# Starts NODE in the background unless it runs: rn_launch BASE NODE DIR AMQP_PORT DIST_PORT.
# DIR holds the node's rabbitmq.conf, enabled_plugins and (if any) advanced.config, written by
# the caller; its data and logs go under DIR too.
rn_launch() {
  local base=$1 node=$2 dir=$3 amqp=$4 dist=$5
  [ -n "$(rn_pid "$node")" ] && return 0
  mkdir -p "$dir/db" "$dir/log"
  HOME=$base RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_NODENAME="$node" \
    RABBITMQ_NODE_PORT="$amqp" RABBITMQ_DIST_PORT="$dist" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/db" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
    nohup "$RMQ/rabbitmq-server" >"$dir/log/console.out" 2>&1 </dev/null &
  disown || true
}

# Waits until NODE serves on every PORT and has started: rn_await BASE NODE DIR PORT…
rn_await() {
  local base=$1 node=$2 dir=$3; shift 3
  local port ok
  for _ in $(seq 1 300); do
    ok=1
    for port in "$@"; do rn_answers "$port" || { ok=; break; }; done
    if [ -n "$ok" ] && rn_ctl "$base" "$node" await_startup >/dev/null 2>&1; then return 0; fi
    [ -n "$(rn_pid "$node")" ] || { sleep 0.5; [ -n "$(rn_pid "$node")" ] || break; }
    sleep 0.2
  done
  tail -n 20 "$dir/log/console.out" >&2 || true
  die "node $node did not start (its log: $dir/log)"
}

# Stops NODE (rabbitmqctl stop, else kill -9) and waits until its VM is gone: rn_stop BASE NODE.
rn_stop() {
  local pid; pid=$(rn_pid "$2")
  [ -n "$pid" ] || return 0
  rn_ctl "$1" "$2" stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -z "$(rn_pid "$2")" ] && return 0; sleep 0.1; done
  pid=$(rn_pid "$2")
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
}
