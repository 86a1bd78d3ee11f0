#!/usr/bin/env python3
"""The Xen part of `make bench`: in one harness run, our p9test guest (as PVH and as PV, lib9p
over Xen 9pfs) and a Linux PV domU (Debian 6.1, trans_xen, msize 512 KiB) do the same 9P work
against QEMU's xen-9pfs backend and against iohost's, alternating; hello as PVH and PV on both
gives the time from xl create to shutdown. Writes build/bench/xen.json with all of it and the
ratios (> 1: the first named is better).

    tests/bench/xen_bench.py BUILD_DIR
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xen"))
import xenbox  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
seed = tempfile.mkdtemp(prefix="xen-bench-")
with open(os.path.join(seed, "from-host.txt"), "w") as f:
    f.write("seeded by the host\n")
p9test = os.path.join(build, "apps", "p9test", "p9test.elf")
hello_elf = os.path.join(build, "apps", "hello", "hello.elf")
guests, by = [], {}
# The same work on QEMU's xen-9pfs backend and on iohost's, alternating, in one Xen boot.
for backend in ("qemu", "iohost"):
    for kind in ("pvh", "pv"):
        g = xenbox.Guest("p9test-%s-%s" % (kind, backend), p9test, type=kind, share=seed, extra_tags=["share-u"],
                         cmdline="xenos.mounts=none", expect_summary=True, timeout=120, memory=128, backend=backend)
        by["xenos_%s_%s" % (kind, backend)] = g
    by["linux_pv_%s" % backend] = xenbox.Guest("linux-%s" % backend, None, share=seed, expect_summary=True,
                                                timeout=180, memory=256, linux=True, backend=backend)
    by["hello_pvh_%s" % backend] = xenbox.Guest("hello-%s" % backend, hello_elf, backend=backend)
    by["hello_pv_%s" % backend] = xenbox.Guest("hello-pv-%s" % backend, hello_elf, type="pv", backend=backend)
bare = xenbox.Guest("hello-nomount", hello_elf, cmdline="xenos.mounts=none")
order = ["xenos_pvh_qemu", "xenos_pvh_iohost", "xenos_pv_qemu", "xenos_pv_iohost", "linux_pv_qemu",
         "linux_pv_iohost", "hello_pvh_qemu", "hello_pvh_iohost", "hello_pv_qemu", "hello_pv_iohost"]
# iohost's memory over 50 guests created and destroyed one after the other (tests/xen/jobs).
cycles_file = os.path.join(tempfile.mkdtemp(prefix="xen-bench-cycles-"), "cycles")
with open(cycles_file, "w") as f:
    f.write("50\n")
cycles = xenbox.Dom0Job("iohost-cycles", os.path.join(xenbox.HERE, "jobs", "iohost-cycles.sh"),
                        programs=[os.path.join(build, "bin", "iohost")], files=[hello_elf, cycles_file],
                        timeout=900)
ok, message = xenbox.run([by[k] for k in order] + [bare], build_dir=build, quiet=True, jobs=[cycles],
                         total_timeout=1800)


def bench_line(g):
    lines = [l for l in g.console if l.startswith("# bench ")]
    return json.loads(lines[-1][len("# bench "):]) if lines else None


def entry_to_main_us(g):
    import re
    for line in g.console:
        m = re.search(r"starting \S+ \((\d+) us after entry\)", line)
        if m:
            return int(m.group(1))
    return None


def span(g):
    return round(g.times.get("end", 0) - g.times.get("create", 0), 1)


def ratio(a, b):
    """a over b for throughput, b over a for latency (so > 1 means a is better)."""
    if not a or not b:
        return None
    return {"write_16MiB": round(a["write_16MiB_1MiB_mib_s"] / b["write_16MiB_1MiB_mib_s"], 2),
            "read_16MiB": round(a["read_16MiB_1MiB_mib_s"] / b["read_16MiB_1MiB_mib_s"], 2),
            "write_4KiB_latency": round(b["write_4KiB_ms_per_op"] / a["write_4KiB_ms_per_op"], 2),
            "read_4KiB_latency": round(b["read_4KiB_ms_per_op"] / a["read_4KiB_ms_per_op"], 2)}


result = {"harness": message}
for k in order[:6]:
    result[k] = bench_line(by[k])
for k in order[6:]:
    result[k + "_xl_create_to_shutdown_s"] = span(by[k])
    result[k + "_entry_to_main_us"] = entry_to_main_us(by[k])
result["hello_pvh_no_share_entry_to_main_us"] = entry_to_main_us(bare)
result["linux_pv_qemu_xl_create_to_shutdown_s"] = span(by["linux_pv_qemu"])
result["linux_pv_iohost_xl_create_to_shutdown_s"] = span(by["linux_pv_iohost"])
result["iohost_50_cycles"] = {
    "lines": [l for l in cycles.lines if l.startswith(("# cycle", "ok - ", "not ok - "))],
    "rss_kib_by_cycle": {int(m.group(1)): int(m.group(2)) for m in
                         (re.match(r"# cycle (\d+): iohost RSS (\d+) KiB", l) for l in cycles.lines) if m}}
result["ratios"] = {
    "xenos_pvh_iohost_over_qemu": ratio(result["xenos_pvh_iohost"], result["xenos_pvh_qemu"]),
    "xenos_pv_iohost_over_qemu": ratio(result["xenos_pv_iohost"], result["xenos_pv_qemu"]),
    "linux_pv_iohost_over_qemu": ratio(result["linux_pv_iohost"], result["linux_pv_qemu"]),
    "xenos_pvh_over_linux_pv_on_qemu": ratio(result["xenos_pvh_qemu"], result["linux_pv_qemu"]),
    "xenos_pvh_over_linux_pv_on_iohost": ratio(result["xenos_pvh_iohost"], result["linux_pv_iohost"]),
}
os.makedirs(os.path.join(build, "bench"), exist_ok=True)
with open(os.path.join(build, "bench", "xen.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
sys.exit(0 if ok and all(result[k] for k in order[:6]) else 1)
