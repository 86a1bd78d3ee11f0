"""Programs nobody here wrote, as guests of the Xen stage (issue 17): tests/programs/build.sh
builds them from Debian's source packages with the SDK; each Program here is its guest and the
checks of what it left on the host. Where the sources could not be had, the program is a
"skip" line with the reason, never a pass."""
import os
import sqlite3
import subprocess
import tempfile

import xenbox

PROGRAMS = os.path.join(xenbox.ROOT, "tests", "programs")


def build(build_dir):
    """Runs tests/programs/build.sh; returns (ok, its output)."""
    r = subprocess.run([os.path.join(PROGRAMS, "build.sh"), build_dir], capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


class Program:
    """A program built by build.sh into BUILD/programs/DIR: its images, or why there are none."""

    def __init__(self, build_dir, directory, images):
        self.here = os.path.join(build_dir, "programs", directory)
        skip = os.path.join(self.here, "skip")
        self.skip = open(skip).read().strip() if os.path.isfile(skip) else None
        self.images = [os.path.join(self.here, i) for i in images]
        self.missing = not self.skip and not all(os.path.isfile(i) for i in self.images)
        self.runnable = not self.skip and not self.missing


class Lua:
    """The stock Lua 5.4 interpreter runs tests/programs/lua-test.lua from its share (/fs):
    strings, tables, coroutines, io and os through the namespace."""
    name = "Lua 5.4 (Debian's lua5.4 source, its own Makefile with CC=xenos-cc)"

    def __init__(self, build_dir):
        program = Program(build_dir, "lua", ["lua.elf"])
        self.skip, self.missing = program.skip, program.missing
        self.guest = None
        if program.runnable:
            image = program.images[0]
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


def shell_output(script):
    """What the host's own SQLite gives for the SQL of `script` (its dot-commands left out, up
    to ".output stdout"), printed as the sqlite3 shell's default list mode prints rows."""
    out, statement = [], ""
    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(os.path.join(d, "expected.db"), isolation_level=None)  # BEGIN/COMMIT as written
        for line in script.splitlines():
            if line.startswith("."):
                if line.startswith(".output stdout"):
                    break
                continue
            statement += line + "\n"
            if sqlite3.complete_statement(statement):
                for row in db.execute(statement):
                    out.append("|".join(str(v) for v in row))
                statement = ""
        db.close()
    return out


def database_problems(path, checks):
    """Opens a guest's database with the host's SQLite: integrity_check, then each (sql, want)."""
    if not os.path.isfile(path):
        return ["no %s on the host" % os.path.basename(path)]
    problems = []
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            problems.append("integrity_check says %s" % integrity[:3])
        for sql, want in checks:
            got = db.execute(sql).fetchall()
            if got != want:
                problems.append("%s gave %s, want %s" % (sql, got, want))
        db.close()
    except sqlite3.Error as e:
        problems.append("the host's SQLite cannot read it: %s" % e)
    return problems


class Sqlite:
    """Debian's stock sqlite3 shell runs tests/programs/sqlite-test.sql on /fs/test.db (100k
    rows inserted, indexed, queried, updated, deleted, a rollback); then two threads of our
    driver write one database at once through their own connections."""
    name = "SQLite (Debian's sqlite3 source, its amalgamation built by its own Makefile, xenos-cc)"

    def __init__(self, build_dir):
        self.program = Program(build_dir, "sqlite", ["sqlite3.elf", "sqlite-threads.elf"])
        self.skip, self.missing = self.program.skip, self.program.missing
        self.guests = []
        with open(os.path.join(PROGRAMS, "sqlite-test.sql")) as f:
            self.script = f.read()
        if self.program.runnable:
            shell, threads = self.program.images
            share = xenbox.seeded_share("xenbox-sqlite-", files=[("sqlite-test.sql", self.script.encode())])
            self.shell = xenbox.Guest("sqlite", shell, cmdline="-bail /fs/test.db '.read /fs/sqlite-test.sql'",
                                      share=share, type="pv", memory=128, timeout=300,
                                      must_print=["sqlite-test: done"])
            self.threads = xenbox.Guest("sqlite-threads", threads, share=xenbox.seeded_share("xenbox-sqlt-"),
                                        type="pvh", memory=128, timeout=300, must_print=["sqlite-threads: done"])
            self.guests = [self.shell, self.threads]

    def checks(self):
        if self.missing:
            return [(self.name, ["tests/programs/build.sh left neither both images nor a skip reason"])]
        if not self.guests:
            return []
        out = self.shell.share_out or ""
        result = os.path.join(out, "sqlite-result.txt")
        got = open(result).read().splitlines() if os.path.isfile(result) else None
        want = shell_output(self.script)
        same = []
        if got is None:
            same.append("no sqlite-result.txt on the host")
        elif got != want:
            differ = ["line %d: %r, want %r" % (i + 1, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
            same.append("sqlite-result.txt is not what the host's SQLite gives: %s (%d lines, want %d)"
                        % ("; ".join(differ[:3]) or "a different length", len(got), len(want)))
        database = database_problems(os.path.join(out, "test.db"), [
            ("SELECT count(*) FROM t", [(90000,)]),
            ("SELECT count(*) FROM t WHERE id % 10 = 0", [(0,)]),
            ("SELECT count(*) FROM t WHERE name LIKE '%-x'", [(9000,)]),
            ("SELECT count(*) FROM summary", [(9,)]),
            ("SELECT name FROM sqlite_master WHERE type = 'index'", [("t_k",)])])
        threads_out = self.threads.share_out or ""
        threads = database_problems(os.path.join(threads_out, "threads.db"), [
            ("SELECT thread, count(*), min(n), max(n) FROM w GROUP BY thread ORDER BY thread",
             [(1, 4000, 0, 3999), (2, 4000, 0, 3999)]),
            ("SELECT count(*) FROM w WHERE payload != 'thread ' || thread || ' row ' || n", [(0,)])])
        turns = [line for line in self.threads.console if "waited for the lock" in line]
        return [(self.name + ": the stock shell runs a 100k-row script on /fs as a PV guest", self.shell.verdict()),
                ("on the host: the shell's results are what the host's own SQLite gives for the same SQL", same),
                ("on the host: the guest's test.db passes integrity_check with the rows the script left", database),
                ("SQLite, two threads writing one database at once (PVH): %s"
                 % ("; ".join(t.split("sqlite-threads: ", 1)[-1] for t in turns) or "no report"),
                 self.threads.verdict()),
                ("on the host: threads.db passes integrity_check with all 4000 rows of each thread", threads)]
