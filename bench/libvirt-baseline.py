"""Baseline for bench/libvirt.ts: the same measurements with Debian's python3-libvirt (the
official C library), run with /usr/bin/python3. Prints one JSON object.

usage: libvirt-baseline.py calls URI DOMAIN_NAME SECONDS THREADS   (1 = one at a time, else threads)
       libvirt-baseline.py inventory URI                          (10k-domain host)

"calls" prints calls/s and the CPU time (user + sys, all threads of this process) per call,
measured over the timed loop only: less sensitive than calls/s to other load on the machine.
With LIBVIRTD_PID set, also libvirtd's CPU time per call over the same loop.
"""
import os
import json
import resource
import sys
import threading
import time

import libvirt


def daemon_cpu_seconds():
    """libvirtd's user + sys CPU time (all its threads), or None without LIBVIRTD_PID."""
    pid = os.environ.get("LIBVIRTD_PID")
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def machine_counters():
    """Idle and total CPU ticks (/proc/stat) and rescheduling IPIs (/proc/interrupts, RES),
    machine-wide; as bench/libvirt.ts reads them."""
    try:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        ipis = None
        with open("/proc/interrupts") as f:
            for line in f:
                if line.lstrip().startswith("RES:"):
                    ipis = sum(int(x) for x in line.split()[1:] if x.isdigit())
        return cpu[3] + cpu[4], sum(cpu[:8]), ipis
    except (OSError, ValueError, IndexError):
        return None


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def seq_calls(conn, dom, seconds):
    n = 0
    end = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        dom.info()
        n += 1
    return n, time.perf_counter() - start


def par_calls(conn, dom, seconds, threads):
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def work(i):
        c = 0
        while time.perf_counter() < stop:
            dom.info()
            c += 1
        counts[i] = c

    start = time.perf_counter()
    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts), time.perf_counter() - start


def main():
    if sys.argv[1] == "calls":
        uri, name, seconds, threads = sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
        conn = libvirt.open(uri)
        dom = conn.lookupByName(name)
        for _ in range(200):  # warm-up
            dom.info()
        cpu = cpu_seconds()
        daemon = daemon_cpu_seconds()
        machine = machine_counters()
        if threads == 1:
            n, elapsed = seq_calls(conn, dom, seconds)
        else:
            n, elapsed = par_calls(conn, dom, seconds, threads)
        cpu = cpu_seconds() - cpu
        out = {"calls_s": n / elapsed, "cpu_us_per_call": cpu / n * 1e6}
        daemon_after = daemon_cpu_seconds()
        machine_after = machine_counters()
        if machine and machine_after:
            out["idle_pct"] = (machine_after[0] - machine[0]) / (machine_after[1] - machine[1]) * 100
            if machine[2] is not None and machine_after[2] is not None:
                out["ipis_per_call"] = (machine_after[2] - machine[2]) / n
        if daemon is not None and daemon_after is not None:
            out["daemon_cpu_us_per_call"] = (daemon_after - daemon) / n * 1e6
        out["version"] = libvirt.getVersion()
        conn.close()
    else:
        big = libvirt.open(sys.argv[2])
        inventory, per_domain = [], []
        for _ in range(3):
            t = time.perf_counter()
            doms = big.listAllDomains(0)
            stats = big.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE, 0)
            inventory.append((time.perf_counter() - t) * 1000)
            assert len(doms) == len(stats)
            t = time.perf_counter()
            for d in big.listAllDomains(0):
                d.info()
            per_domain.append((time.perf_counter() - t) * 1000)
        out = {
            "inventory10k_ms": sorted(inventory)[1],
            "per_domain10k_ms": sorted(per_domain)[1],
            "records": len(stats),
        }
        big.close()
    print(json.dumps(out))


main()
