"""Programs nobody here wrote, as guests of the Xen stage (issue 17): tests/programs/build.sh
builds them from Debian's source packages with the SDK; each Program here is its guest and the
checks of what it left on the host. Where the sources could not be had, the program is a
"skip" line with the reason, never a pass."""
import os
import subprocess

import xenbox

PROGRAMS = os.path.join(xenbox.ROOT, "tests", "programs")


def build(build_dir):
    """Runs tests/programs/build.sh; returns (ok, its output)."""
    r = subprocess.run([os.path.join(PROGRAMS, "build.sh"), build_dir], capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


class Lua:
    """The stock Lua 5.4 interpreter runs tests/programs/lua-test.lua from its share (/fs):
    strings, tables, coroutines, io and os through the namespace."""
    name = "Lua 5.4 (Debian's lua5.4 source, its own Makefile with CC=xenos-cc)"

    def __init__(self, build_dir):
        here = os.path.join(build_dir, "programs", "lua")
        image, skip = os.path.join(here, "lua.elf"), os.path.join(here, "skip")
        self.skip = open(skip).read().strip() if os.path.isfile(skip) else None
        self.missing = not self.skip and not os.path.isfile(image)
        self.guest = None
        if not self.skip and not self.missing:
            with open(os.path.join(PROGRAMS, "lua-test.lua"), "rb") as f:
                share = xenbox.seeded_share("xenbox-lua-", files=[("lua-test.lua", f.read())])
            self.guest = xenbox.Guest("lua", image, cmdline="/fs/lua-test.lua", share=share, type="pv",
                                      memory=64, timeout=120, must_print=["lua-test: done"])

    def checks(self):
        """(name, problems) pairs; a skip gives none (the caller prints it)."""
        if self.missing:
            return [(self.name, ["tests/programs/build.sh left neither lua.elf nor a skip reason"])]
        if not self.guest:
            return []
        out = self.guest.share_out or ""
        result = os.path.join(out, "lua-result.txt")
        got = open(result).read() if os.path.isfile(result) else None
        want = open(os.path.join(PROGRAMS, "lua-expected.txt")).read()
        problems = []
        if got is None:
            problems.append("no lua-result.txt on the host")
        elif got != want:
            differ = [w for g, w in zip(got.splitlines(), want.splitlines()) if g != w]
            problems.append("lua-result.txt differs from lua-expected.txt: want %s; got %d lines"
                            % ("; ".join(differ[:3]) or "the same lines", len(got.splitlines())))
        lines = os.path.join(out, "lua-lines.txt")
        if not os.path.isfile(lines) or os.path.getsize(lines) != 730000:
            problems.append("lua-lines.txt is not the 730,000 bytes the script wrote")
        if not os.path.isfile(os.path.join(out, "lua-renamed.txt")) or os.path.exists(os.path.join(out, "lua-tmp.txt")):
            problems.append("os.rename did not reach the host")
        return [(self.name + " runs a script from /fs as a PV guest: string, table, coroutine, io, os",
                 self.guest.verdict()),
                ("on the host: what the Lua guest wrote is what the host's own lua5.4 writes for the "
                 "same script (lua-expected.txt), and its files are there", problems)]
