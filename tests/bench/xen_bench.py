#!/usr/bin/env python3
"""The Xen part of `make bench`: in one harness run, our p9test guest (PVH, lib9p over Xen
9pfs) and a Linux PV domU (Debian 6.1, trans_xen, msize 512 KiB) do the same 9P work against
the same QEMU xen-9pfs backend. Writes build/bench/xen.json with both and the ratios.

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
linux = xenbox.Guest("linux-peer", None, share=seed, expect_summary=True, timeout=180,
                     memory=256, linux=True)
ok, message = xenbox.run([ours, linux], build_dir=build, quiet=True)


def bench_line(g):
    lines = [l for l in g.console if l.startswith("# bench ")]
    return json.loads(lines[-1][len("# bench "):]) if lines else None


result = {"harness": message, "xenos_pvh": bench_line(ours), "linux_pv": bench_line(linux),
          "xenos_create_to_shutdown_s": round(ours.times.get("end", 0) - ours.times.get("create", 0), 1),
          "linux_create_to_shutdown_s": round(linux.times.get("end", 0) - linux.times.get("create", 0), 1)}
if result["xenos_pvh"] and result["linux_pv"]:
    a, b = result["xenos_pvh"], result["linux_pv"]
    result["ratio_xenos_over_linux"] = {
        "write_16MiB": round(a["write_16MiB_1MiB_mib_s"] / b["write_16MiB_1MiB_mib_s"], 2),
        "read_16MiB": round(a["read_16MiB_1MiB_mib_s"] / b["read_16MiB_1MiB_mib_s"], 2),
        "write_4KiB_latency": round(b["write_4KiB_ms_per_op"] / a["write_4KiB_ms_per_op"], 2),
        "read_4KiB_latency": round(b["read_4KiB_ms_per_op"] / a["read_4KiB_ms_per_op"], 2),
    }
os.makedirs(os.path.join(build, "bench"), exist_ok=True)
with open(os.path.join(build, "bench", "xen.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
sys.exit(0 if ok and result.get("ratio_xenos_over_linux") else 1)
