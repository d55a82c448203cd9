#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/report.py RAWDIR OUT.md CHART.dat

Turns one bench/run's raw data (runs.tsv, ping.*.txt, meta.env,
log-problems.txt) into the Markdown report and the gnuplot data file.
Every ratio compares medians taken in this same run.
"""
import os
import re
import statistics
import sys


def load_meta(path):
    meta = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                meta[k] = v
    return meta


def load_runs(path):
    runs = {}  # (setup, streams) -> list of (gbps, bytes, cpu_s)
    fails = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            c = line.rstrip("\n").split("\t")
            setup, streams, status = c[0], int(c[1]), c[3]
            if status == "ok":
                runs.setdefault((setup, streams), []).append(
                    (float(c[4]), int(c[5]), float(c[6])))
            else:
                fails.setdefault((setup, streams), []).append(c[-1])
    return runs, fails


def load_rtts(raw, setup):
    rtts = []
    for name in sorted(os.listdir(raw)):
        if name.startswith("ping.%s." % setup) and name.endswith(".txt"):
            with open(os.path.join(raw, name), encoding="utf-8", errors="replace") as f:
                rtts += [float(m) for m in re.findall(r"time=([0-9.]+) ms", f.read())]
    return rtts


def fmt_gbps(v):
    if v >= 10:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    return "%.3f" % v


def main():
    raw, out_md, out_dat = sys.argv[1:4]
    meta = load_meta(os.path.join(raw, "meta.env"))
    runs, fails = load_runs(os.path.join(raw, "runs.tsv"))
    setups = meta["setups"].split()
    streams = [int(s) for s in meta["streams"].split()]
    label = {s: meta.get("label." + s, s) for s in setups}
    status = {s: meta.get("status." + s, "?") for s in setups}
    note = {s: meta.get("note." + s, "") for s in setups}

    med = {}  # (setup, n) -> (median, min, max, reps)
    cpu = {}  # (setup, n) -> median CPU s/GB
    for (s, n), v in runs.items():
        g = [x[0] for x in v]
        med[(s, n)] = (statistics.median(g), min(g), max(g), len(g))
        if s != "veth":
            per_gb = [x[2] / (x[1] / 1e9) for x in v if x[1] > 0]
            if per_gb:
                cpu[(s, n)] = statistics.median(per_gb)
    lat = {s: load_rtts(raw, s) for s in setups}

    L = []
    quick = meta.get("quick") == "1"
    L.append("# tunlane benchmark%s" % (" (quick run)" if quick else ""))
    L.append("")
    L.append("- **Date:** %s (run `%s`)" % (meta["date"], meta["runid"]))
    L.append("- **Machine:** %s cores (`nproc`), %s, kernel %s"
             % (meta["cores"], meta["cpu"], meta["kernel"]))
    L.append("- **Software:** tunlane %s, %s, %s, %s, %s"
             % (meta["tunlane"], meta["wireguard_go"],
                meta.get("wireguard_go_deb", "Debian's wireguard-go: unknown"),
                meta["openvpn"], meta["iperf3"]))
    L.append("- **tunlaned binary:** %s; load average %s"
             % (meta.get("tunlaned_bin", "?"), meta.get("load", "?")))
    L.append("- **Method:** two network namespaces joined by veth; iperf3 TCP from A to B "
             "through each tunnel, %s s per run, %s repetitions per setup and stream count, "
             "taken round-robin over the setups; inner MTU %s everywhere; iperf3 pinning: %s; "
             "lane CPUs: %s."
             % (meta["time"], meta["reps"], meta["mtu"], meta["pin"],
                "lane i of end A on CPU i, of end B on CPU i+1 (--lane-cpus split)"
                if meta.get("lane_cpus") == "split" else "the daemons' own pinning"))
    L.append("")

    def cell_tp(s, n):
        if (s, n) in med:
            m, lo, hi, k = med[(s, n)]
            t = "**%s** [%s–%s]" % (fmt_gbps(m), fmt_gbps(lo), fmt_gbps(hi))
            nf = len(fails.get((s, n), []))
            if nf:
                t += " (%d failed)" % nf
            return t
        if (s, n) in fails:
            return "failed"
        return "–"

    def cell_cpu(s, n):
        return "%.2f" % cpu[(s, n)] if (s, n) in cpu else "–"

    def cell_lat(s):
        r = lat.get(s)
        if not r:
            return "–"
        return "%.3f" % statistics.median(r)

    hdr = ["setup"]
    hdr += ["%d stream%s, Gbit/s median [min–max]" % (n, "" if n == 1 else "s") for n in streams]
    hdr += ["CPU s/GB, %d stream%s" % (n, "" if n == 1 else "s") for n in streams]
    hdr += ["latency, ms (median RTT, idle)"]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for s in setups:
        if status[s] in ("skipped", "failed") and not any((s, n) in med for n in streams):
            row = [label[s]] + [note[s] if status[s] == "skipped" else "failed: " + note[s]]
            row += [""] * (len(hdr) - 2)
        else:
            row = [label[s]] + [cell_tp(s, n) for n in streams]
            row += [cell_cpu(s, n) for n in streams] + [cell_lat(s)]
        L.append("| " + " | ".join(row) + " |")
    L.append("")

    # Ratios of medians from this run.
    refs = [("veth", "vs bare veth", True),
            ("wggo", "vs " + label.get("wggo", "wireguard-go"), False),
            ("wggodeb", "vs " + label.get("wggodeb", "Debian's wireguard-go"), False),
            ("ovpn", "vs OpenVPN ×1", False)]
    refs = [r for r in refs if r[0] in setups]
    hdr = ["setup"]
    for n in streams:
        for _, name, _ in refs:
            hdr.append("%d stream%s %s" % (n, "" if n == 1 else "s", name))
    L.append("Throughput ratios (medians of this run; vs bare veth as a share, "
             "the others as a factor):")
    L.append("")
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for s in setups:
        if not any((s, n) in med for n in streams):
            continue
        row = [label[s]]
        for n in streams:
            for ref, _, pct in refs:
                if (s, n) in med and (ref, n) in med and ref != s:
                    r = med[(s, n)][0] / med[(ref, n)][0]
                    row.append("%.1f%%" % (100 * r) if pct else "%.2f×" % r)
                else:
                    row.append("–")
        L.append("| " + " | ".join(row) + " |")
    L.append("")

    # CPU cost against the wireguard-go to beat, from the same run.
    if any(("wggo", n) in cpu for n in streams):
        hdr = ["setup"] + ["CPU s/GB, %d stream%s, vs %s" % (n, "" if n == 1 else "s",
                                                           label["wggo"]) for n in streams]
        L.append("CPU seconds per GB as a share of %s's (same run; lower is better):"
                 % label["wggo"])
        L.append("")
        L.append("| " + " | ".join(hdr) + " |")
        L.append("|" + "---|" * len(hdr))
        for s in setups:
            if s in ("veth", "wggo") or not any((s, n) in cpu for n in streams):
                continue
            row = [label[s]]
            for n in streams:
                if (s, n) in cpu and ("wggo", n) in cpu and cpu[("wggo", n)] > 0:
                    row.append("%.0f%%" % (100 * cpu[(s, n)] / cpu[("wggo", n)]))
                else:
                    row.append("–")
            L.append("| " + " | ".join(row) + " |")
        L.append("")

    L.append("Notes:")
    L.append("")
    L.append("- Gbit/s is iperf3's receiver-side rate (`sum_received`); CPU s/GB is the "
             "user+system CPU time of the tunnel processes of *both* ends (all threads, "
             "lane child processes, tunshare's OpenVPN children; from /proc/PID/stat "
             "before and after each run) divided by the GB the receiver counted. Kernel "
             "work done in softirq context (veth, GRO, part of the UDP stack) is not "
             "charged to any process and is missing from it; iperf3's own CPU is not "
             "counted. Latency: `ping -c 20 -i 0.05` through the idle tunnel, once per "
             "repetition, median of all replies.")
    for s in setups:
        if note[s] and status[s] != "skipped":
            L.append("- %s: %s" % (label[s], note[s]))
        elif status[s] == "skipped":
            L.append("- %s: %s" % (label[s], note[s]))
    for (s, n), v in sorted(fails.items()):
        L.append("- %s, %d streams: %d failed run(s): %s"
                 % (label.get(s, s), n, len(v), "; ".join(sorted(set(v)))[:300]))
    if quick:
        L.append("- Quick run: 8 streams only for tunlane and upstream wireguard-go, latency from the first "
                 "round only; fewer and shorter repetitions than the full run, so "
                 "the ranges are wider.")
    probs = os.path.join(raw, "log-problems.txt")
    if os.path.exists(probs) and os.path.getsize(probs):
        counts = {}
        with open(probs, encoding="utf-8", errors="replace") as f:
            for line in f:
                counts[line.split(":", 1)[0]] = counts.get(line.split(":", 1)[0], 0) + 1
        L.append("- Daemon logs with error/warning-like lines (raw/%s/log-problems.txt): %s"
                 % (meta["runid"], ", ".join("%s: %d" % kv for kv in sorted(counts.items()))))
    else:
        L.append("- Daemon logs: no error/warning-like lines.")
    L.append("")
    with open(out_md, "w", encoding="utf-8") as f:
        f.write("\n".join(L))

    # Gnuplot data: label, then median/min/max per stream count, then CPU s/GB.
    def num(v):
        return "NaN" if v is None else "%.4f" % v

    with open(out_dat, "w", encoding="utf-8") as f:
        f.write("# label " + " ".join("med%d min%d max%d" % (n, n, n) for n in (1, 8))
                + " cpu1 cpu8\n")
        for s in setups:
            if not any((s, n) in med for n in streams):
                continue
            cols = ['"%s"' % label[s].replace('"', "'")]
            for n in (1, 8):
                m = med.get((s, n))
                cols += [num(m[0]), num(m[1]), num(m[2])] if m else ["NaN"] * 3
            cols += [num(cpu.get((s, 1))), num(cpu.get((s, 8)))]
            f.write(" ".join(cols) + "\n")


if __name__ == "__main__":
    main()
