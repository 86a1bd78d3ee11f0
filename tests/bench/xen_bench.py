#!/usr/bin/env python3
"""The Xen part of `make bench`: in one harness run, our p9test guest (as PVH and as PV, lib9p
over Xen 9pfs) and a Linux PV domU (Debian 6.1, trans_xen, msize 512 KiB) do the same 9P work
against QEMU's xen-9pfs backend and against iohost's, alternating over XEN_BENCH_ROUNDS rounds
(default 3); hello as PVH and PV on both gives the time from xl create to shutdown. p9test also
measures the in-guest memcpy bandwidth, the ceiling for ring copies under this emulator.
apps/iobench makes the file calls an application makes (read/write by call size, fread of 1 KiB,
stat, open+read+close, ls -l of 1,000 files), counting 9P round trips per call; the same source,
built for Linux, runs in the Linux domU. A dom0 job measures the limits in the same run: dom0's
own dd on the filesystem the shares live on; the floor round trip is the cheapest call that
crosses (fstat of an open file: one Tgetattr). Writes build/bench/xen.json: per figure the
median, min, max and every run; the ratios (> 1: the first named is better) are of the medians.

    tests/bench/xen_bench.py BUILD_DIR
"""
import json
import os
import re
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xen"))
import xenbox  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
seed = xenbox.seeded_share("xen-bench-")
# The Linux domU runs apps/iobench built for Linux from its share (tests/xen/linux-domu-init).
shutil.copy2(os.path.join(build, "host-release", "iobench-linux"), os.path.join(seed, "iobench-linux"))
iobench = os.path.join(build, "apps", "iobench", "iobench.elf")
p9test = os.path.join(build, "apps", "p9test", "p9test.elf")
hello_elf = os.path.join(build, "apps", "hello", "hello.elf")
# The same work on QEMU's xen-9pfs backend and on iohost's, alternating (A B A B ...) over
# ROUNDS rounds in one Xen boot; each figure is reported as the median with its min and max.
ROUNDS = int(os.environ.get("XEN_BENCH_ROUNDS", "3"))
runs = {}  # key -> [Guest, one per round]


def add(key, guest):
    runs.setdefault(key, []).append(guest)
    return guest


plan = []
for r in range(1, ROUNDS + 1):
    for kind in ("pvh", "pv"):
        for backend in ("qemu", "iohost"):
            plan.append(add("xenos_%s_%s" % (kind, backend), xenbox.Guest(
                "p9test-%s-%s-%d" % (kind, backend, r), p9test, type=kind, share=seed, extra_tags=["share-u"],
                cmdline="xenos.mounts=none", expect_summary=True, timeout=120, memory=128, backend=backend)))
    for kind in ("pvh", "pv"):
        for backend in ("qemu", "iohost"):
            plan.append(add("xenos_%s_%s" % (kind, backend), xenbox.Guest(
                "iobench-%s-%s-%d" % (kind, backend, r), iobench, type=kind, share=seed, expect_summary=True,
                timeout=300, memory=128, backend=backend)))
    for backend in ("qemu", "iohost"):
        plan.append(add("linux_pv_%s" % backend, xenbox.Guest(
            "linux-%s-%d" % (backend, r), None, share=seed, expect_summary=True, timeout=180, memory=256,
            linux=True, backend=backend)))
    for kind in ("pvh", "pv"):
        for backend in ("qemu", "iohost"):
            plan.append(add("hello_%s_%s" % (kind, backend), xenbox.Guest(
                "hello-%s-%s-%d" % (kind, backend, r), hello_elf, type=kind, backend=backend)))
bare = xenbox.Guest("hello-nomount", hello_elf, cmdline="xenos.mounts=none")
throughput_keys = ["xenos_pvh_qemu", "xenos_pvh_iohost", "xenos_pv_qemu", "xenos_pv_iohost", "linux_pv_qemu",
                   "linux_pv_iohost"]
hello_keys = ["hello_pvh_qemu", "hello_pvh_iohost", "hello_pv_qemu", "hello_pv_iohost"]
# iohost's memory over 50 guests created and destroyed one after the other (tests/xen/jobs).
cycles_file = os.path.join(tempfile.mkdtemp(prefix="xen-bench-cycles-"), "cycles")
with open(cycles_file, "w") as f:
    f.write("50\n")
cycles = xenbox.Dom0Job("iohost-cycles", os.path.join(xenbox.HERE, "jobs", "iohost-cycles.sh"),
                        programs=[os.path.join(build, "bin", "iohost")], files=[hello_elf, cycles_file],
                        timeout=900)
dd_limits = xenbox.Dom0Job("dd-limits", os.path.join(xenbox.HERE, "jobs", "dd-limits.sh"), timeout=300)
# TCP over iohost's /net against dom0's own loopback (the ceiling), alternating: there is no vif
# for the Linux domU in the harness, so dom0's loopback stands in as the peer to compare with.
net_bench = xenbox.Dom0Job("net-bench", os.path.join(xenbox.HERE, "jobs", "net-bench.sh"),
                           programs=[os.path.join(build, "bin", "iohost")],
                           files=[os.path.join(build, "apps", "nettest", "nettest.elf"),
                                  os.path.join(build, "apps", "fetch", "fetch.elf")], timeout=900)
ok, message = xenbox.run(plan + [bare], build_dir=build, quiet=True, jobs=[dd_limits, cycles, net_bench], total_timeout=3600)


def bench_line(g):
    """Every "# bench {...}" line the guest printed, as one dict (the Linux domU prints two)."""
    out = {}
    for line in g.console:
        if line.startswith("# bench "):
            out.update(json.loads(line[len("# bench "):]))
    return out or None


def entry_to_main_us(g):
    for line in g.console:
        m = re.search(r"starting \S+ \((\d+) us after entry\)", line)
        if m:
            return int(m.group(1))
    return None


def span(g):
    return round(g.times.get("end", 0) - g.times.get("create", 0), 1) if "end" in g.times else None


def spread(values):
    """median, min, max and every value, of the rounds that produced one."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def summarize(guests):
    lines = [bench_line(g) for g in guests]
    lines = [l for l in lines if l]
    if not lines:
        return None
    # p9test's and iobench's lines are different guests under one key: every field of either.
    keys = list(dict.fromkeys(k for l in lines for k in l))
    numbers = [k for k in keys if any(isinstance(l.get(k), float) for l in lines)]
    out = {k: spread([l.get(k) for l in lines]) for k in numbers}
    out.update({k: next(l[k] for l in lines if k in l) for k in keys if k not in numbers})
    ceiling = out.get("memcpy_16MiB_1MiB_mib_s")
    if ceiling:  # how close to the in-guest copy ceiling the transfers come
        for k in ("write_16MiB_1MiB_mib_s", "read_16MiB_1MiB_mib_s"):
            out[k.replace("_mib_s", "_fraction_of_memcpy")] = round(out[k]["median"] / ceiling["median"], 3)
    return out


def median(entry, key):
    return entry[key]["median"] if entry and entry.get(key) else None


def ratio(a, b):
    """a over b for throughput, b over a for latency (so > 1 means a is better), of the medians."""
    if not a or not b:
        return None
    pairs = {"write_16MiB": ("write_16MiB_1MiB_mib_s", False), "read_16MiB": ("read_16MiB_1MiB_mib_s", False),
             "write_4KiB_latency": ("write_4KiB_ms_per_op", True), "read_4KiB_latency": ("read_4KiB_ms_per_op", True),
             # apps/iobench's POSIX calls (the same source on Linux)
             "posix_read_16MiB": ("posix_read_16MiB_1MiB_mib_s", False),
             "posix_write_16MiB": ("posix_write_16MiB_1MiB_mib_s", False),
             "fread_1KiB": ("fread_1KiB_16MiB_mib_s", False), "stat": ("stat_per_s", False),
             "open_read4k_close": ("open_read4k_close_per_s", False), "ls_l_1000": ("ls_l_1000_s", True)}
    out = {}
    for name, (key, latency) in pairs.items():
        x, y = median(a, key), median(b, key)
        out[name] = round((y / x) if latency else (x / y), 2) if x and y else None
    return out


result = {"harness": message, "rounds": ROUNDS}
for k in throughput_keys:
    result[k] = summarize(runs[k])
for k in hello_keys:
    result[k + "_xl_create_to_shutdown_s"] = spread([span(g) for g in runs[k]])
    result[k + "_entry_to_main_us"] = spread([entry_to_main_us(g) for g in runs[k]])
result["hello_pvh_no_share_entry_to_main_us"] = entry_to_main_us(bare)
for backend in ("qemu", "iohost"):
    result["linux_pv_%s_xl_create_to_shutdown_s" % backend] = spread([span(g) for g in runs["linux_pv_" + backend]])
result["iohost_50_cycles"] = {
    "lines": [l for l in cycles.lines if l.startswith(("# cycle", "ok - ", "not ok - "))],
    "rss_kib_by_cycle": {int(m.group(1)): int(m.group(2)) for m in
                         (re.match(r"# cycle (\d+): iohost RSS (\d+) KiB", l) for l in cycles.lines) if m}}
# The net bench: the guest's lines are JSON; dom0's ceiling lines say "N bytes in S seconds".
guest_tcp, guest_conns, ceiling, guest_fetch = [], [], [], []
for line in net_bench.lines:
    m = re.match(r"# bench round \d+: (\{.*\})$", line)
    if m:
        b = json.loads(m.group(1))
        guest_tcp.append(b.get("tcp_guest_to_dom0_64MiB_1MiB_writes_mib_s"))
        guest_conns.append(b.get("tcp_connections_per_s"))
    m = re.match(r"# fetch round \d+: fetch: .* bytes in [\d.]+ s \(([\d.]+) MiB/s\)", line)
    if m:
        guest_fetch.append(float(m.group(1)))
    m = re.match(r"# ceiling round \d+: (\d+) bytes in ([\d.]+) seconds", line)
    if m and float(m.group(2)) > 0:
        ceiling.append(round(int(m.group(1)) / (1 << 20) / float(m.group(2)), 1))
result["net"] = {
    "http_64MiB_guest_fetch_from_dom0_mib_s": spread(guest_fetch),
    "http_64MiB_dom0_wget_over_loopback_mib_s": spread(ceiling),
    "tcp_guest_to_dom0_64MiB_1MiB_writes_mib_s": spread(guest_tcp),
    "tcp_connections_per_s_guest_to_guest_via_dom0": spread(guest_conns),
    "lines": [l for l in net_bench.lines if l.startswith(("#", "ok", "not ok"))],
}
if result["net"]["http_64MiB_guest_fetch_from_dom0_mib_s"] and result["net"]["http_64MiB_dom0_wget_over_loopback_mib_s"]:
    result["net"]["guest_fetch_fraction_of_dom0_wget"] = round(
        result["net"]["http_64MiB_guest_fetch_from_dom0_mib_s"]["median"] /
        result["net"]["http_64MiB_dom0_wget_over_loopback_mib_s"]["median"], 3)
# The limits, measured in this run: dom0's own dd of 16 MiB on the filesystem the shares live on,
# the floor round trip (fstat of an open file: one Tgetattr, our cheapest call that crosses; the
# lowest median of our guests on iohost), and dom0's own loopback TCP (the net bench's ceiling).
dd = {"write": [], "read": []}
for line in dd_limits.lines:
    m = re.match(r"# dd round \d+: (write|read) (\d+) bytes in ([\d.]+) seconds", line)
    if m and float(m.group(3)) > 0:
        dd[m.group(1)].append(round(int(m.group(2)) / (1 << 20) / float(m.group(3)), 1))
floors = [median(result[k], "fstat_ms_per_op") for k in ("xenos_pvh_iohost", "xenos_pv_iohost")]
floors = [f for f in floors if f]
result["limits"] = {
    "dom0_dd_write_16MiB_mib_s": statistics.median(dd["write"]) if dd["write"] else None,
    "dom0_dd_read_16MiB_mib_s": statistics.median(dd["read"]) if dd["read"] else None,
    "dom0_dd_runs_mib_s": dd,
    "floor_round_trip_ms": min(floors) if floors else None,
    "dom0_tcp_download_mib_s": median(result["net"], "http_64MiB_dom0_wget_over_loopback_mib_s"),
    "dom0_tcp_upload_mib_s": None,  # not measured yet: the net bench has no dom0-to-dom0 upload
}


def of_limit(entry, key, limit_key):
    v, lim = median(entry, key), result["limits"].get(limit_key)
    return round(v / lim, 3) if v and lim else None


# How far each guest is from the ceilings (1.0: at the limit).
for k in throughput_keys:
    e = result[k]
    if not e:
        continue
    e["posix_read_16MiB_fraction_of_dom0_dd"] = of_limit(e, "posix_read_16MiB_1MiB_mib_s", "dom0_dd_read_16MiB_mib_s")
    e["posix_write_16MiB_fraction_of_dom0_dd"] = of_limit(e, "posix_write_16MiB_1MiB_mib_s",
                                                          "dom0_dd_write_16MiB_mib_s")
    floor = result["limits"]["floor_round_trip_ms"]
    for op in ("posix_read_4KiB_ms_per_op", "posix_write_4KiB_ms_per_op"):
        if median(e, op) and floor:
            e[op.replace("_ms_per_op", "_over_floor")] = round(median(e, op) / floor, 2)
    if median(e, "fread_1KiB_16MiB_mib_s") and median(e, "posix_read_16MiB_1MiB_mib_s"):
        e["fread_1KiB_over_read_1MiB"] = round(median(e, "fread_1KiB_16MiB_mib_s") /
                                               median(e, "posix_read_16MiB_1MiB_mib_s"), 3)
result["ratios"] = {
    "xenos_pvh_iohost_over_qemu": ratio(result["xenos_pvh_iohost"], result["xenos_pvh_qemu"]),
    "xenos_pv_iohost_over_qemu": ratio(result["xenos_pv_iohost"], result["xenos_pv_qemu"]),
    "linux_pv_iohost_over_qemu": ratio(result["linux_pv_iohost"], result["linux_pv_qemu"]),
    "xenos_pvh_over_linux_pv_on_qemu": ratio(result["xenos_pvh_qemu"], result["linux_pv_qemu"]),
    "xenos_pvh_over_linux_pv_on_iohost": ratio(result["xenos_pvh_iohost"], result["linux_pv_iohost"]),
    "xenos_pv_over_linux_pv_on_iohost": ratio(result["xenos_pv_iohost"], result["linux_pv_iohost"]),
    "xenos_pvh_over_pv_on_iohost": ratio(result["xenos_pvh_iohost"], result["xenos_pv_iohost"]),
}
os.makedirs(os.path.join(build, "bench"), exist_ok=True)
with open(os.path.join(build, "bench", "xen.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
sys.exit(0 if ok and all(result[k] for k in throughput_keys) else 1)
