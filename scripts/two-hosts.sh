#!/usr/bin/env bash
# A second libvirt "host" on this machine, for real migration tests (shared/design/TWO-HOSTS.md).
#
#   scripts/two-hosts.sh up       start it (idempotent: an answering second host is left alone)
#   scripts/two-hosts.sh down     stop the guests it runs, then its libvirtd and virtlogd
#   scripts/two-hosts.sh status   print "up <uri>" or "down"; exit 0 when up
#   scripts/two-hosts.sh uri      print its libvirt URI (TCP, as the first host reaches it)
#   scripts/two-hosts.sh socket   print its unix socket (for a local client such as an agent)
#   scripts/two-hosts.sh stop-daemon / start-daemon
#                                 stop or start only its libvirtd (guests and virtlogd stay), to
#                                 test clients across a daemon restart
#
# The second libvirtd runs in a private mount namespace in which folders of ours are bind-mounted
# over /run/libvirt, /var/lib/libvirt, /etc/libvirt (a copy, edited), /var/log/libvirt and
# /var/cache/libvirt, so it shares no state with the machine's own libvirtd. It has its own
# host_uuid (libvirt refuses to migrate to "the same host"), listens on 127.0.0.1 TCP without
# auth, takes incoming migrations on its own port range, and writes its own pid files. `down`
# only ever signals the pids in those pid files, and only when they still are our libvirtd /
# virtlogd; nothing else on the machine is touched.
#
# Environment:
#   LVQ_HOST2_DIR         state folder (default /var/tmp/lvq-host2)
#   LVQ_HOST2_PORT        libvirtd TCP port on 127.0.0.1 (default 16510)
#   LVQ_HOST2_MIG_MIN/MAX incoming migration ports (default 49300..49400)
set -euo pipefail

DIR=${LVQ_HOST2_DIR:-/var/tmp/lvq-host2}
PORT=${LVQ_HOST2_PORT:-16510}
MIG_MIN=${LVQ_HOST2_MIG_MIN:-49300}
MIG_MAX=${LVQ_HOST2_MIG_MAX:-49400}
URI="qemu+tcp://127.0.0.1:${PORT}/system"

log() { printf '[two-hosts] %s\n' "$*" >&2; }
die() { printf '[two-hosts] error: %s\n' "$*" >&2; exit 1; }

tcp_answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; }

# A pid from one of our pid files, if that process is alive and still runs the named program.
our_pid() { # pidfile program
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  # A zombie (exited, not yet reaped: this machine's init does not always reap) is gone.
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
  # it must also be the one that wrote this very pid file (we always start with -p FILE)
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$1" || return 1
  echo "$pid"
}

libvirtd_answers() { virsh -q -c "$URI" uri >/dev/null 2>&1; }

# While waiting: give up at once if the daemon died (e.g. a configuration it refused).
started_or_failed() {
  libvirtd_answers && return 0
  if [ -s "$DIR/libvirtd.pid" ] && ! our_pid "$DIR/libvirtd.pid" libvirtd >/dev/null; then
    tail -n 3 "$DIR/log/libvirtd.log" >&2 || true
    die "the second libvirtd exited during start-up"
  fi
  return 1
}

wait_for() { # what seconds command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  die "$what did not come up within ${secs}s (see $DIR/log/libvirtd.log)"
}

set_conf() { # file key value   (replace or append `key = value`)
  local f=$1 k=$2 v=$3
  if grep -qE "^[# ]*${k}[ ]*=" "$f"; then
    sed -i -E "s|^[# ]*${k}[ ]*=.*|${k} = ${v}|" "$f"
  else
    printf '%s = %s\n' "$k" "$v" >>"$f"
  fi
}

prepare_dirs() {
  mkdir -p "$DIR"/{run,lib,log,cache}
  [ -s "$DIR/host_uuid" ] || cat /proc/sys/kernel/random/uuid >"$DIR/host_uuid"
  # A fresh copy of the machine's configuration every time, minus what would make the second
  # host start life with the first host's guests, networks (a second dnsmasq on virbr0) or pools.
  rm -rf "$DIR/etc"
  cp -a /etc/libvirt "$DIR/etc"
  rm -f "$DIR"/etc/qemu/*.xml "$DIR"/etc/qemu/autostart/*.xml
  rm -rf "$DIR"/etc/qemu/networks "$DIR"/etc/storage "$DIR"/etc/secrets
  mkdir -p "$DIR/etc/qemu/networks/autostart" "$DIR/etc/storage/autostart"
  local conf="$DIR/etc/libvirtd.conf"
  set_conf "$conf" listen_tls 0
  set_conf "$conf" listen_tcp 1
  set_conf "$conf" listen_addr '"127.0.0.1"'
  set_conf "$conf" tcp_port "\"$PORT\""
  set_conf "$conf" auth_tcp '"none"'
  set_conf "$conf" host_uuid "\"$(cat "$DIR/host_uuid")\""
  set_conf "$conf" log_outputs "\"1:file:/var/log/libvirt/libvirtd.log\""
  set_conf "$conf" log_filters '"1:qemu.qemu_migration 3:*"'
  local qconf="$DIR/etc/qemu.conf"
  set_conf "$qconf" migration_port_min "$MIG_MIN"
  set_conf "$qconf" migration_port_max "$MIG_MAX"
  # migration_host / migration_address stay unset: libvirt refuses loopback addresses there,
  # and the destination announces its host name, which resolves to 127.0.0.1 on these machines.
  # The QEMU capabilities cache takes seconds to rebuild; start from the first host's.
  [ -d "$DIR/cache/qemu" ] || { [ -d /var/cache/libvirt ] && cp -a /var/cache/libvirt/. "$DIR/cache/" || true; }
}

up() {
  [ "$(id -u)" -eq 0 ] || die "needs root (mount namespace, libvirtd)"
  if our_pid "$DIR/libvirtd.pid" libvirtd >/dev/null && libvirtd_answers; then
    log "already up: $URI"
    echo "$URI"
    return 0
  fi
  if tcp_answers; then
    die "127.0.0.1:$PORT answers but is not our second libvirtd (pid file $DIR/libvirtd.pid); not touching it"
  fi
  # Half-started leftovers of ours (e.g. virtlogd alone): stop them first.
  down_daemons
  prepare_dirs
  log "starting the second libvirtd in a private mount namespace ($DIR)"
  in_namespace 'virtlogd -d -p "$D/virtlogd.pid"
    for _ in $(seq 1 50); do [ -S /run/libvirt/virtlogd-sock ] && break; sleep 0.1; done
    libvirtd -d --listen -p "$D/libvirtd.pid"'
  wait_for "second libvirtd" 60 started_or_failed
  log "up: $URI (host_uuid $(cat "$DIR/host_uuid"))"
  echo "$URI"
}

# Runs a shell snippet in a new private mount namespace with the second host's folders
# mounted (a restarted daemon gets a new namespace over the same folders).
in_namespace() {
  unshare --mount --propagation private bash -euc '
    D=$1
    mount --bind "$D/run" /run/libvirt
    mount --bind "$D/lib" /var/lib/libvirt
    mount --bind "$D/etc" /etc/libvirt
    mount --bind "$D/log" /var/log/libvirt
    mkdir -p /var/cache/libvirt
    mount --bind "$D/cache" /var/cache/libvirt
    eval "$2"
  ' _ "$DIR" "$1"
}

stop_daemon() {
  local pid
  pid=$(our_pid "$DIR/libvirtd.pid" libvirtd) || die "the second libvirtd is not running"
  kill -TERM "$pid"
  for _ in $(seq 1 100); do our_pid "$DIR/libvirtd.pid" libvirtd >/dev/null || break; sleep 0.1; done
  our_pid "$DIR/libvirtd.pid" libvirtd >/dev/null && die "the second libvirtd ($pid) did not stop"
  rm -f "$DIR/libvirtd.pid"
  log "second libvirtd stopped (its guests and virtlogd keep running)"
}

start_daemon() {
  if our_pid "$DIR/libvirtd.pid" libvirtd >/dev/null; then log "second libvirtd already running"; return 0; fi
  our_pid "$DIR/virtlogd.pid" virtlogd >/dev/null || die "the second host is down (run: $0 up)"
  in_namespace 'libvirtd -d --listen -p "$D/libvirtd.pid"'
  wait_for "second libvirtd" 60 started_or_failed
  log "second libvirtd started again"
}

down_daemons() {
  local pid
  for d in libvirtd virtlogd; do
    if pid=$(our_pid "$DIR/$d.pid" "$d"); then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do our_pid "$DIR/$d.pid" "$d" >/dev/null || break; sleep 0.1; done
      if our_pid "$DIR/$d.pid" "$d" >/dev/null; then log "$d ($pid) ignores TERM; sending KILL"; kill -KILL "$pid"; fi
    fi
    rm -f "$DIR/$d.pid"
  done
}

down() {
  if our_pid "$DIR/libvirtd.pid" libvirtd >/dev/null && libvirtd_answers; then
    # QEMU guests outlive their libvirtd: stop the ones the second host runs, then forget them.
    local dom
    while IFS= read -r dom; do
      [ -n "$dom" ] || continue
      virsh -q -c "$URI" destroy "$dom" >/dev/null 2>&1 || true
    done < <(virsh -q -c "$URI" list --name 2>/dev/null)
    while IFS= read -r dom; do
      [ -n "$dom" ] || continue
      virsh -q -c "$URI" undefine --managed-save "$dom" >/dev/null 2>&1 || true
    done < <(virsh -q -c "$URI" list --all --name 2>/dev/null)
  fi
  down_daemons
  log "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status)
    if our_pid "$DIR/libvirtd.pid" libvirtd >/dev/null && libvirtd_answers; then echo "up $URI"; else echo down; exit 1; fi
    ;;
  uri) echo "$URI" ;;
  socket) echo "$DIR/run/libvirt-sock" ;;
  stop-daemon) stop_daemon ;;
  start-daemon) start_daemon ;;
  *) die "usage: $0 up|down|status|uri|socket|stop-daemon|start-daemon" ;;
esac
