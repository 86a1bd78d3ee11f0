#!/usr/bin/env python3
"""make bench, leaks: apps/faulttest's leak mode at the issue's full size (10,000 open/close and
1,000 unmount/mount cycles of a boot share served by iohost, on Xen 4.17 in the harness), alone
(make test runs the same cycles after the fault suites; this keeps their numbers as JSON). The
guest prints its grants, event channels, iohost's fids for its share (from iohost's status
report), free memory and heap at the start, after each half of each kind of cycle, and at the
end; the verdict is the guest's (all back to the start, nothing more taken in the second
halves). Writes build/bench/leak.json.

    tests/bench/xen_leak.py BUILD_DIR   (XEN_LEAK="OPENS MOUNTS" for another size)
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xen"))
import xenbox  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
opens, mounts = (int(x) for x in os.environ.get("XEN_LEAK", "10000 1000").split())
settings = tempfile.mkdtemp(prefix="xen-leak-")
with open(os.path.join(settings, "leak"), "w") as f:
    f.write("%d %d\n" % (opens, mounts))
with open(os.path.join(settings, "kinds"), "w") as f:
    f.write("\n")  # no PV/PVH fault suites: the leak cycles alone
job = xenbox.Dom0Job("faulttest", os.path.join(xenbox.ROOT, "tests", "xen", "jobs", "faulttest.sh"),
                     programs=[os.path.join(build, "bin", "iohost")],
                     files=[os.path.join(build, "apps", "faulttest", "faulttest.elf"),
                            os.path.join(settings, "leak"), os.path.join(settings, "kinds")],
                     timeout=2400)
ok, message = xenbox.run([], build_dir=build, quiet=True, jobs=[job], total_timeout=2700)

COUNTS = re.compile(r"# faulttest: ([a-z ]+): (\d+) grants, (\d+) event channels, (-?\d+) fids on iohost, "
                    r"(\d+) KiB free, heap (\d+) KiB \((\d+) bytes in use\)")
TIMES = re.compile(r"# faulttest leak: \d+ opens in (\d+) ms, \d+ mounts in (\d+) ms, (\d+) failed")
result = {"harness": message, "opens": opens, "mounts": mounts, "counts": {}, "verdict": None}
for line in job.lines:
    m = COUNTS.search(line)
    if m:
        result["counts"][m.group(1)] = {"grants": int(m.group(2)), "event_channels": int(m.group(3)),
                                        "iohost_fids": int(m.group(4)), "free_kib": int(m.group(5)),
                                        "heap_kib": int(m.group(6)), "heap_bytes_in_use": int(m.group(7))}
    m = TIMES.search(line)
    if m:
        result.update(opens_ms=int(m.group(1)), mounts_ms=int(m.group(2)), cycles_failed=int(m.group(3)))
    if line.startswith("ok - faulttest leak"):
        result["verdict"] = "pass"
    elif line.startswith("not ok - faulttest leak"):
        result["verdict"] = line
os.makedirs(os.path.join(build, "bench"), exist_ok=True)
with open(os.path.join(build, "bench", "leak.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
sys.exit(0 if result["verdict"] == "pass" else 1)
