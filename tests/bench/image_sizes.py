#!/usr/bin/env python3
"""make bench: each app's image as xenos-mkimage writes it (bytes), and what its loaded bytes
are made of, from the link map: the kernel, lib9p, the C library (newlib's libc and libm, GCC's
libgcc), the C++ runtime (libstdc++, libsupc++, libgcc_eh), the app's own objects and the
backtrace table (.ksyms). Writes BUILD/bench/images.json, so a regression shows by part.

    tests/bench/image_sizes.py BUILD_DIR
    tests/bench/image_sizes.py --parts IMAGE.elf.map    one image's parts, one line (the sdk stage)
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
mkimage = os.path.join(build, "sdk", "bin", "xenos-mkimage")
PARTS = [("kernel", ("libxenos.a",)), ("lib9p", ("lib9p.a",)), ("libc", ("libc.a", "libm.a", "libgcc.a")),
         ("c++ runtime", ("libstdc++.a", "libsupc++.a", "libgcc_eh.a"))]
LOADED = re.compile(r"\.(text|rodata|data|eh_frame|gcc_except_table|init_array|fini_array|ksyms|note)")


def parts_of(map_file):
    """Bytes per part of every input section that was kept in a loaded output section."""
    sizes = collections.Counter()
    lines = open(map_file).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    pending = None
    for line in lines[start:]:
        m = re.match(r"^ (\.\S+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)", line)
        if m:
            section, size, origin = m.group(1), int(m.group(2), 16), m.group(3)
        else:
            name_only = re.match(r"^ (\.\S+)$", line)
            if name_only:
                pending = name_only.group(1)
                continue
            rest = re.match(r"^\s{16,}0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)", line)
            if not (rest and pending):
                pending = None
                continue
            section, size, origin = pending, int(rest.group(1), 16), rest.group(2)
            pending = None
        if not LOADED.match(section):
            continue
        library = os.path.basename(origin.split("(")[0])
        if section.startswith(".ksyms"):
            part = "backtrace table"
        else:
            part = next((p for p, libs in PARTS if library in libs), "app")
        sizes[part] += size
    return dict(sizes)


def parts_line(parts):
    return ", ".join("%s %d" % kv for kv in sorted(parts.items(), key=lambda kv: -kv[1]))


def main():
    if sys.argv[1:2] == ["--parts"]:
        print(parts_line(parts_of(sys.argv[2])))
        return
    result = {}
    out = tempfile.mkdtemp(prefix="xenos-image-sizes-")
    for app in sorted(os.listdir(os.path.join(build, "apps"))):
        elf = os.path.join(build, "apps", app, app + ".elf")
        if not os.path.isfile(elf):
            continue
        subprocess.run([mkimage, elf, "--out", out], check=True, stdout=subprocess.DEVNULL)
        entry = {"image_bytes": os.path.getsize(os.path.join(out, app + ".elf")),
                 "debug_bytes": os.path.getsize(os.path.join(out, app + ".debug"))}
        if os.path.isfile(elf + ".map"):
            entry["parts_bytes"] = parts_of(elf + ".map")
        result[app] = entry
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)
    with open(os.path.join(build, "bench", "images.json"), "w") as f:
        json.dump(result, f, indent=2)
    for app, e in result.items():
        print("image %-10s %7d bytes (%s)" % (app, e["image_bytes"], parts_line(e.get("parts_bytes", {}))))


if __name__ == "__main__":
    main()
