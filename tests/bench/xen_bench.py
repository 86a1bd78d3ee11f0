#!/usr/bin/env python3
"""The Xen part of `make bench`: in one harness run, our p9test guest (as PVH and as PV, lib9p
over Xen 9pfs) and a Linux PV domU (Debian 6.1, trans_xen, msize 512 KiB) do the same 9P work
against the same QEMU xen-9pfs backend; hello as PVH and PV gives the time from xl create to
shutdown. Writes build/bench/xen.json with all of it and the ratios.

    tests/bench/xen_bench.py BUILD_DIR
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xen"))
import xenbox  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
seed = tempfile.mkdtemp(prefix="xen-bench-")
with open(os.path.join(seed, "from-host.txt"), "w") as f:
    f.write("seeded by the host\n")
ours = xenbox.Guest("p9test", os.path.join(build, "apps", "p9test", "p9test.elf"), share=seed,
                    extra_tags=["share-u"], cmdline="xenos.mounts=none", expect_summary=True,
                    timeout=120, memory=128)
ours_pv = xenbox.Guest("p9test-pv", os.path.join(build, "apps", "p9test", "p9test.elf"), type="pv",
                       share=seed, extra_tags=["share-u"], cmdline="xenos.mounts=none",
                       expect_summary=True, timeout=120, memory=128)
hello = xenbox.Guest("hello", os.path.join(build, "apps", "hello", "hello.elf"))
hello_pv = xenbox.Guest("hello-pv", os.path.join(build, "apps", "hello", "hello.elf"), type="pv")
bare = xenbox.Guest("hello-nomount", os.path.join(build, "apps", "hello", "hello.elf"),
                    cmdline="xenos.mounts=none")
linux = xenbox.Guest("linux-peer", None, share=seed, expect_summary=True, timeout=180,
                     memory=256, linux=True)
ok, message = xenbox.run([ours, ours_pv, hello, hello_pv, bare, linux], build_dir=build, quiet=True)


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


result = {"harness": message, "xenos_pvh": bench_line(ours), "xenos_pv": bench_line(ours_pv),
          "linux_pv": bench_line(linux),
          "hello_pvh_xl_create_to_shutdown_s": span(hello),
          "hello_pv_xl_create_to_shutdown_s": span(hello_pv),
          # entry to main: Xen services, the namespace and (unless mounts=none) the 9p share
          "hello_pvh_entry_to_main_us": entry_to_main_us(hello),
          "hello_pv_entry_to_main_us": entry_to_main_us(hello_pv),
          "hello_pvh_no_share_entry_to_main_us": entry_to_main_us(bare),
          "linux_xl_create_to_shutdown_s": span(linux)}
if result["xenos_pvh"] and result["linux_pv"]:
    a, b = result["xenos_pvh"], result["linux_pv"]
    result["ratio_xenos_over_linux"] = {
        "write_16MiB": round(a["write_16MiB_1MiB_mib_s"] / b["write_16MiB_1MiB_mib_s"], 2),
        "read_16MiB": round(a["read_16MiB_1MiB_mib_s"] / b["read_16MiB_1MiB_mib_s"], 2),
        "write_4KiB_latency": round(b["write_4KiB_ms_per_op"] / a["write_4KiB_ms_per_op"], 2),
        "read_4KiB_latency": round(b["read_4KiB_ms_per_op"] / a["read_4KiB_ms_per_op"], 2),
    }
if result["xenos_pv"] and result["linux_pv"]:
    a, b = result["xenos_pv"], result["linux_pv"]
    result["ratio_xenos_pv_over_linux_pv"] = {
        "write_16MiB": round(a["write_16MiB_1MiB_mib_s"] / b["write_16MiB_1MiB_mib_s"], 2),
        "read_16MiB": round(a["read_16MiB_1MiB_mib_s"] / b["read_16MiB_1MiB_mib_s"], 2),
    }
os.makedirs(os.path.join(build, "bench"), exist_ok=True)
with open(os.path.join(build, "bench", "xen.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
sys.exit(0 if ok and result.get("ratio_xenos_over_linux") else 1)
