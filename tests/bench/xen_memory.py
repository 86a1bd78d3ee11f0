#!/usr/bin/env python3
"""make bench, memory: the smallest `memory=` (MiB) with which hello and p9test still pass on
Xen 4.17, as PVH and as PV, their shares served by iohost. One harness boot runs every size of a
ladder; a run passes when the guest powers off normally (and, for p9test, its suite reports no
failure). Writes build/bench/memory.json: per app and type the smallest passing size and what
every size did (a size below the smallest passing one that passed too would show as such).
The goals (issue 16): hello in 8 MiB, p9test in 16 MiB.

    tests/bench/xen_memory.py BUILD_DIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xen"))
import xenbox  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
seed = xenbox.seeded_share("xen-memory-")
# 4 MiB is the least tools/mkimage writes a config for.
LADDER = {"hello": [4, 5, 6, 8, 12, 16], "p9test": [8, 12, 16, 24, 32]}
plan = []
for app, sizes in LADDER.items():
    image = os.path.join(build, "apps", app, app + ".elf")
    for kind in ("pvh", "pv"):
        for mib in sizes:
            if app == "hello":
                g = xenbox.Guest("hello-%s-%dm" % (kind, mib), image, type=kind, memory=mib, timeout=60,
                                 must_print=["Hello from xenos"])
            else:
                g = xenbox.Guest("p9test-%s-%dm" % (kind, mib), image, type=kind, share=seed,
                                 extra_tags=["share-u"], cmdline="xenos.mounts=none", expect_summary=True,
                                 timeout=150, memory=mib)
            g.app, g.kind, g.mib = app, kind, mib
            plan.append(g)
ok, message = xenbox.run(plan, build_dir=build, quiet=True, total_timeout=3000)

result = {"harness": message, "goals_mib": {"hello": 8, "p9test": 16}}
for app in LADDER:
    for kind in ("pvh", "pv"):
        runs = [g for g in plan if g.app == app and g.kind == kind]
        verdicts = {g.mib: ("pass" if not g.verdict() else "; ".join(g.verdict())) for g in runs}
        passing = [m for m, v in verdicts.items() if v == "pass"]
        result["%s_%s" % (app, kind)] = {"smallest_passing_mib": min(passing) if passing else None,
                                         "smallest_tried_mib": min(LADDER[app]), "by_mib": verdicts}
os.makedirs(os.path.join(build, "bench"), exist_ok=True)
with open(os.path.join(build, "bench", "memory.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
sys.exit(0 if ok or any(result[k]["smallest_passing_mib"] for k in result if k.endswith(("pvh", "pv"))) else 1)
