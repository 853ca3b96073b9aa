#!/usr/bin/env bash
# A RabbitMQ node with a TLS listener, for the TLS and broker-user tests. Its own node name
# (lvqtls@localhost), its own ports (plain AMQP on 127.0.0.1:5690, AMQP over TLS on 5691,
# Erlang distribution on 25690), its own cookie, config, plugins, data and log folders under
# $LVQ_TLS_DIR (default /tmp/lvq-tls). It never reads the system node's config and never
# touches the default node on 5672 or the cluster's 5681-5683 (scripts/cluster.sh).
#
#   scripts/tls-broker.sh up          make the certificates (if missing) and start the node
#   scripts/tls-broker.sh down        stop the node and remove its folder (certificates too)
#   scripts/tls-broker.sh status      one line: name, ports, pid, running or not
#   scripts/tls-broker.sh ctl ARGS    rabbitmqctl against the node
#
# The certificates, made here with openssl under $LVQ_TLS_DIR/certs (each NAME.pem with its
# NAME.key):
#   ca          the test CA, which signs all of the below
#   server      the broker's: DNS:localhost, IP:127.0.0.1 (what every client is shown by default)
#   expired     the broker's for SNI name expired.lvq.test: valid 2020-01-01 to 2020-01-02 only
#   wrongname   the broker's for SNI name wrongname.lvq.test: it names other.lvq.test only
#   client      a client certificate, CN=lvq-tls-client (EXTERNAL login as that broker user)
#   other-ca    a second CA, unrelated to the first (a client trusting only it trusts nothing here)
# One node serves three certificates by the name the client asks for (SNI), so a test picks the
# failure it wants with the server name it verifies, without restarting the broker.
#
# Logins: PLAIN/AMQPLAIN with a password, and EXTERNAL with a client certificate (plugin
# rabbitmq_auth_mechanism_ssl; the user is the certificate's CN). A client certificate is
# checked when given, never required. guest may log in from 127.0.0.1.
# Idempotent: up on a running node and down on a stopped one do nothing.
set -euo pipefail

B=${LVQ_TLS_DIR:-/tmp/lvq-tls}
RMQ=/usr/lib/rabbitmq/bin
NODE=lvqtls@localhost
AMQP_PORT=5690
TLS_PORT=5691
DIST_PORT=25690
log() { printf '[tls-broker] %s\n' "$*" >&2; }
die() { printf '[tls-broker] error: %s\n' "$*" >&2; exit 1; }

ctl() { HOME=$B RABBITMQ_CONF_ENV_FILE=/dev/null timeout 60 "$RMQ/rabbitmqctl" -q -n "$NODE" "$@"; }
answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
pid_of() { # the Erlang VM started with our node name (in its environment, not its command line)
  local p
  for p in $(pgrep -x beam.smp); do
    { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "RABBITMQ_NODENAME=$NODE" &&
      { echo "$p"; return 0; }
  done
  return 0
}

need_openssl() {
  command -v openssl >/dev/null && return 0
  log "installing openssl"
  DEBIAN_FRONTEND=noninteractive apt-get install -y openssl >/dev/null ||
    die "openssl is missing and could not be installed"
}

# A P-256 key and a CSR for CN $2 into $1.key / $1.csr.
key_and_csr() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
}

# A self-signed CA: name, CN.
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}

# A leaf signed by ca, valid 30 days: name, CN, extensions.
make_leaf() {
  key_and_csr "$1" "$2"
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

# A leaf signed by ca whose validity ended long ago. `openssl x509` cannot date a certificate
# in the past; `openssl ca` can, with a throwaway database.
make_expired() {
  key_and_csr "$1" "$2"
  printf '%s\n' "$3" >"$1.ext"
  mkdir -p ca-db
  : >ca-db/index.txt
  openssl rand -hex 8 >ca-db/serial
  cat >ca-db/ca.cnf <<EOF
[ca]
default_ca = lvq
[lvq]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
EOF
  openssl ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -in "$1.csr" \
    -out "$1.pem" -startdate 20200101000000Z -enddate 20200102000000Z -extfile "$1.ext" \
    -notext 2>/dev/null
  rm -rf ca-db "$1.csr" "$1.ext"
}

make_certs() {
  local d=$B/certs
  [ -s "$d/client.pem" ] && return 0
  need_openssl
  rm -rf "$d"
  mkdir -p "$d"
  (
    cd "$d"
    local server='basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth'
    make_ca ca "lvq test CA"
    make_ca other-ca "lvq unrelated CA"
    make_leaf server localhost "$server
subjectAltName=DNS:localhost,IP:127.0.0.1"
    make_leaf wrongname other.lvq.test "$server
subjectAltName=DNS:other.lvq.test"
    make_expired expired expired.lvq.test "$server
subjectAltName=DNS:expired.lvq.test,IP:127.0.0.1"
    make_leaf client lvq-tls-client 'basicConstraints=CA:FALSE
extendedKeyUsage=clientAuth'
    rm -f ca.srl
    # The broker runs as this user; the keys are readable by it alone.
    chmod 600 ./*.key
  )
}

start_node() {
  [ -n "$(pid_of)" ] && return 0
  local c=$B/certs
  mkdir -p "$B/db" "$B/log"
  cat >"$B/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
loopback_users = none
EOF
  # TLS in the classic format: SNI (sni_hosts) has no rabbitmq.conf key.
  cat >"$B/advanced.config" <<EOF
[{rabbit, [
  {ssl_listeners, [{"127.0.0.1", $TLS_PORT}]},
  {ssl_options, [
    {cacertfile, "$c/ca.pem"}, {certfile, "$c/server.pem"}, {keyfile, "$c/server.key"},
    {verify, verify_peer}, {fail_if_no_peer_cert, false},
    {sni_hosts, [
      {"expired.lvq.test", [{certfile, "$c/expired.pem"}, {keyfile, "$c/expired.key"}]},
      {"wrongname.lvq.test", [{certfile, "$c/wrongname.pem"}, {keyfile, "$c/wrongname.key"}]}
    ]}
  ]},
  {auth_mechanisms, ['PLAIN', 'AMQPLAIN', 'EXTERNAL']},
  {ssl_cert_login_from, common_name}
]}].
EOF
  echo '[rabbitmq_auth_mechanism_ssl].' >"$B/enabled_plugins"
  HOME=$B RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_NODENAME="$NODE" \
    RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT="$DIST_PORT" \
    RABBITMQ_CONFIG_FILE="$B/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$B/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$B/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$B/db" RABBITMQ_LOG_BASE="$B/log" RABBITMQ_PID_FILE="$B/pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
    nohup "$RMQ/rabbitmq-server" >"$B/log/console.out" 2>&1 </dev/null &
  disown || true
}

await_node() {
  for _ in $(seq 1 300); do
    if answers $AMQP_PORT && answers $TLS_PORT && ctl await_startup >/dev/null 2>&1; then
      return 0
    fi
    [ -n "$(pid_of)" ] || { sleep 0.5; [ -n "$(pid_of)" ] || break; }
    sleep 0.2
  done
  tail -n 20 "$B/log/console.out" >&2 || true
  die "node $NODE did not start (its log: $B/log)"
}

up() {
  command -v "$RMQ/rabbitmq-server" >/dev/null || die "rabbitmq-server is not installed (scripts/services.sh installs it)"
  mkdir -p "$B"
  if [ ! -s "$B/.erlang.cookie" ]; then
    (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$B/.erlang.cookie")
  fi
  chmod 400 "$B/.erlang.cookie"
  make_certs
  start_node
  await_node
  status
}

down() {
  local pid; pid=$(pid_of)
  if [ -n "$pid" ]; then
    ctl stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do [ -z "$(pid_of)" ] && break; sleep 0.1; done
    pid=$(pid_of)
    [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$B"
}

status() {
  local pid state; pid=$(pid_of)
  if [ -z "$pid" ]; then state=stopped
  elif answers $TLS_PORT; then state=running
  else state=not-serving; fi
  printf '%s amqp://127.0.0.1:%s amqps://127.0.0.1:%s pid=%s %s\n' \
    "$NODE" "$AMQP_PORT" "$TLS_PORT" "${pid:--}" "$state"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  ctl) shift; ctl "$@" ;;
  *) die "usage: scripts/tls-broker.sh up|down|status|ctl ARGS" ;;
esac
