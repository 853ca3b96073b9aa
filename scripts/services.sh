#!/usr/bin/env bash
# Brings up what libvirt-qmf needs on this machine, and nothing more: libvirt (libvirtd +
# virtlogd) and RabbitMQ. Idempotent: a service whose socket already answers is left alone,
# and nothing this script did not start is ever stopped or reconfigured.
#
#   scripts/services.sh            install what is missing, start what is not running
#
# Environment: LVQ_SKIP_INSTALL=1 never calls apt-get (fail instead, naming what is missing).
set -euo pipefail

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

LIBVIRT_SOCK=/var/run/libvirt/libvirt-sock
VIRTLOGD_SOCK=/var/run/libvirt/virtlogd-sock
AMQP_HOST=127.0.0.1
AMQP_PORT=5672

# package -> a file it installs, so we can tell what is missing without dpkg queries per run
declare -A NEEDS=(
  [libvirt-daemon-system]=/usr/sbin/libvirtd
  [libvirt-clients]=/usr/bin/virsh
  [qemu-system-x86]=/usr/bin/qemu-system-x86_64
  [rabbitmq-server]=/usr/sbin/rabbitmq-server
)

missing=()
for pkg in "${!NEEDS[@]}"; do
  [ -e "${NEEDS[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || [ "${LVQ_SKIP_INSTALL:-0}" = 1 ]; then
    die "missing Debian packages: ${missing[*]} — install them as root: apt-get install -y ${missing[*]}"
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d-free install: the packages' own service starts may fail without systemd,
  # which is fine — we start the daemons ourselves below.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Does a unix socket accept a connection? bash has no unix-socket redirection; node is there
# (npm needs it), python may not be on a minimal Debian.
sock_answers() {
  [ -S "$1" ] || return 1
  node -e 'const s = require("node:net").connect(process.argv[1]);
    s.on("connect", () => process.exit(0)).on("error", () => process.exit(1));
    setTimeout(() => process.exit(1), 2000).unref();' "$1" 2>/dev/null
}
tcp_answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

wait_for() { # what, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  die "$what did not come up within ${secs}s"
}

# --- libvirt -----------------------------------------------------------------------------
mkdir -p /var/log/libvirt /var/run/libvirt
# Without udev (containers), /dev/kvm keeps its bare 0600 root mode instead of Debian's
# 0660 root:kvm. libvirtd then finds its cached QEMU capabilities invalid and re-probes QEMU
# (15–48 s) on every define, start and restore. Give the node the mode udev would.
if [ -c /dev/kvm ] && [ "$(id -u)" -eq 0 ] && getent group kvm >/dev/null &&
  [ "$(stat -c %a:%G /dev/kvm)" != "660:kvm" ]; then
  log "giving /dev/kvm Debian's udev mode (0660 root:kvm)"
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi
if ! sock_answers "$VIRTLOGD_SOCK"; then
  [ "$(id -u)" -eq 0 ] || die "virtlogd is not running and only root can start it (run: virtlogd -d)"
  log "starting virtlogd"
  virtlogd -d
  wait_for virtlogd 10 sock_answers "$VIRTLOGD_SOCK"
fi
if ! sock_answers "$LIBVIRT_SOCK"; then
  [ "$(id -u)" -eq 0 ] || die "libvirtd is not running and only root can start it (run: libvirtd -d)"
  log "starting libvirtd"
  libvirtd -d
  wait_for libvirtd 30 sock_answers "$LIBVIRT_SOCK"
fi

# --- RabbitMQ ----------------------------------------------------------------------------
if ! tcp_answers "$AMQP_HOST" "$AMQP_PORT"; then
  [ "$(id -u)" -eq 0 ] || die "RabbitMQ is not answering on $AMQP_HOST:$AMQP_PORT and only root can start it (run: rabbitmq-server -detached)"
  log "starting rabbitmq-server"
  rabbitmq-server -detached
  wait_for RabbitMQ 90 tcp_answers "$AMQP_HOST" "$AMQP_PORT"
fi
# The port opens before the broker accepts AMQP; wait until the app itself is running.
if [ "$(id -u)" -eq 0 ]; then
  wait_for "RabbitMQ application" 90 rabbitmqctl -q await_startup
fi
log "libvirtd, virtlogd and RabbitMQ are up"
