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
NODE=lvqtls@localhost
AMQP_PORT=5690
TLS_PORT=5691
DIST_PORT=25690
log() { printf '[tls-broker] %s\n' "$*" >&2; }
die() { printf '[tls-broker] error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib/rabbit-node.sh
. "$(dirname "$0")/lib/rabbit-node.sh"
ctl() { rn_ctl "$B" "$NODE" "$@"; }
pid_of() { rn_pid "$NODE"; }

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
  mkdir -p "$B"
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
  rn_launch "$B" "$NODE" "$B" "$AMQP_PORT" "$DIST_PORT"
}

await_node() { rn_await "$B" "$NODE" "$B" "$AMQP_PORT" "$TLS_PORT"; }

up() {
  rn_cookie "$B"
  make_certs
  start_node
  await_node
  status
}

down() {
  rn_stop "$B" "$NODE"
  rm -rf "$B"
}

status() {
  local pid state; pid=$(pid_of)
  if [ -z "$pid" ]; then state=stopped
  elif rn_answers "$TLS_PORT"; then state=running
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
