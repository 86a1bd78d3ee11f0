#!/usr/bin/env python3
"""iohost's POSIX file semantics, judged by pjdfstest through Linux's own 9P client (v9fs), with
diod (the reference 9P2000.L server) as the baseline in the same run. One QEMU TCG VM (no Xen,
no KVM) boots the Debian kernel the Xen harness unpacks; its /init (tests/conformance/init)
serves a fresh folder of an ext4 scratch disk with each server and runs the tests in its mount.

  tests/conformance/run.py BUILD_DIR [--dirs chmod,chown/00.t,...] [--skip rename/09.t,...]
                           [--servers diod,passthrough,mapped,none] [--serial | --jobs N]

Servers: diod; iohost with --export data=DIR,security_model=passthrough|mapped; "none" is
iohost's plain --export data=DIR; "ext4" is no server (the scratch disk itself, a reference).
By default the servers run side by side, two test files at a time each (--serial: one server
after another, one file at a time; the same verdicts, about twice as slow).
Writes BUILD_DIR/conformance/<run>/results.json and serial.log, prints one line per server,
and ends with "N passed, M failed" over the checks (not the assertions):
  (a) each server's suite ran to the end: every file printed its plan, none timed out;
  (b) with diod and passthrough both run: passthrough fails no more assertions than diod;
  (c) mapped: every failure is allowed in tests/conformance/mapped-known.txt.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PJDFSTEST = os.path.join(HERE, "pjdfstest")
TESTS = os.path.join(PJDFSTEST, "tests")
# Our own files, run like pjdfstest's (TAP, one fresh folder of the mount each): fsx.t (file
# data checked byte for byte) and stress.t (stress-ng's file-system stressors: fsstress's job).
# In the VM they sit beside pjdfstest's folders, as tests/xenos/.
OWN = os.path.join(HERE, "xenos")
OWN_DIR = "xenos"
ALL_SERVERS = ["diod", "passthrough", "mapped", "none", "ext4"]  # ext4: no 9P, a reference
DEFAULT_SERVERS = ["diod", "passthrough", "mapped"]
KNOWN_MAPPED = os.path.join(HERE, "mapped-known.txt")

# What pjdfstest's configure.ac defines with glibc 2.36 (Debian 12): AC_USE_SYSTEM_EXTENSIONS,
# the *at functions, lchmod (a real function since glibc 2.32) and posix_fallocate, the
# nanosecond stat members. Not: bindat, connectat, the chflags family, lpathconf, ACLs
# (FreeBSD's). pjdfstest.c includes "config.h": an empty one stands in for configure's.
PJDFSTEST_DEFINES = [
    "_GNU_SOURCE", "HAVE_SYS_SYSMACROS_H",
    "HAVE_FACCESSAT", "HAVE_FCHMODAT", "HAVE_FCHOWNAT", "HAVE_FSTATAT", "HAVE_LCHMOD",
    "HAVE_LINKAT", "HAVE_MKDIRAT", "HAVE_MKFIFOAT", "HAVE_MKNODAT", "HAVE_OPENAT",
    "HAVE_POSIX_FALLOCATE", "HAVE_READLINKAT", "HAVE_RENAMEAT", "HAVE_SYMLINKAT",
    "HAVE_UTIMENSAT",
    "HAVE_STRUCT_STAT_ST_ATIM", "HAVE_STRUCT_STAT_ST_CTIM", "HAVE_STRUCT_STAT_ST_MTIM",
]

# The modules the VM loads; their dependencies are added from modules.dep. crc32c_generic is
# ext4's and jbd2's soft dependency (modules.softdep "pre: crypto-crc32c"): mkfs.ext4 turns on
# metadata_csum, and busybox insmod reads neither softdeps nor aliases.
MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "9p", "9pnet_fd"]

SCRATCH_MIB = 256
FAIL_LINES_PER_FILE = 40    # the VM prints at most this many failing assertions per file
KEEP_FAILURES = 2000        # and results.json keeps at most this many per server
STEP_TIMEOUT = 600          # any one host command (unpacking the kernel, building)


def log(message):
    print("conformance: " + message, flush=True)


def run(cmd, **kwargs):
    kwargs.setdefault("timeout", STEP_TIMEOUT)
    return subprocess.run(cmd, check=True, **kwargs)


# ---- what the VM boots ------------------------------------------------------------------------

def kernel_package():
    """The kernel package tests/xen/build-dom0.sh unpacks (it resolves it the same way)."""
    out = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True,
                         text=True, timeout=60).stdout
    m = re.search(r"Depends: (linux-image-[0-9]\S*)", out)
    if not m:
        sys.exit("conformance: cannot resolve linux-image-amd64 (apt-get update?)")
    return m.group(1)


def kernel_and_modules(build, work):
    """build/xen/vmlinux (made by the Xen harness's build-dom0.sh, cached there) and the modules
    the VM loads, with their dependencies in load order: WORK/modules-<ver>/{*.ko,order}.
    build-dom0.sh deletes its unpacked module tree, so they come from the same .deb here."""
    xen_dir = os.path.join(build, "xen")
    run([os.path.join(REPO, "tests", "xen", "build-dom0.sh"), xen_dir])
    vmlinux = os.path.join(xen_dir, "vmlinux")
    kpkg = kernel_package()
    kver = kpkg[len("linux-image-"):]
    debs = sorted(glob.glob(os.path.join(xen_dir, "debs", kpkg + "_*.deb")))
    if not debs:
        sys.exit("conformance: no %s .deb in %s/debs" % (kpkg, xen_dir))
    mods = os.path.join(work, "modules-" + kver)
    key = os.path.basename(debs[0]) + " " + " ".join(MODULES)
    key_file = os.path.join(mods, ".key")
    if os.path.exists(key_file) and open(key_file).read() == key:
        return vmlinux, mods
    log("unpacking the modules of %s" % os.path.basename(debs[0]))
    kroot = os.path.join(work, "kroot")
    shutil.rmtree(kroot, ignore_errors=True)
    shutil.rmtree(mods, ignore_errors=True)
    os.makedirs(kroot)
    os.makedirs(mods)
    deb_tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", debs[0]], stdout=subprocess.PIPE)
    run(["tar", "-x", "-C", kroot, "./lib/modules"], stdin=deb_tar.stdout)
    deb_tar.wait(timeout=STEP_TIMEOUT)
    run(["depmod", "-b", kroot, kver])  # the package ships no modules.dep; its postinst makes it
    copy_modules(os.path.join(kroot, "lib", "modules", kver), mods, MODULES)
    shutil.rmtree(kroot)
    with open(key_file, "w") as f:
        f.write(key)
    return vmlinux, mods


def copy_modules(moddir, dest, wanted):
    """build-dom0.sh's copy_modules(): each wanted module after what modules.dep says it needs;
    DEST/order lists them in load order for busybox insmod."""
    deps, by_name = {}, {}
    for line in open(os.path.join(moddir, "modules.dep")):
        path, _, rest = line.partition(":")
        deps[path] = rest.split()
        name = os.path.basename(path).split(".ko")[0]
        by_name[name] = by_name[name.replace("-", "_")] = path
    order = []

    def visit(path):
        for d in deps[path]:
            visit(d)
        if path not in order:
            order.append(path)
    for w in wanted:
        if w not in by_name:
            sys.exit("conformance: module %s not in %s" % (w, moddir))
        visit(by_name[w])
    with open(os.path.join(dest, "order"), "w") as f:
        for path in order:
            if not path.endswith(".ko"):
                sys.exit("conformance: compressed module %s: busybox insmod cannot load it" % path)
            shutil.copy(os.path.join(moddir, path), dest)
            f.write(os.path.basename(path) + "\n")


def build_pjdfstest(work):
    """The vendored pjdfstest.c, static (the VM has no libc of its own for it), with configure's
    Linux answers as -D flags instead of an autoconf run."""
    src = os.path.join(PJDFSTEST, "pjdfstest.c")
    binary = os.path.join(work, "pjdfstest")
    if os.path.exists(binary) and os.path.getmtime(binary) > max(os.path.getmtime(src),
                                                                 os.path.getmtime(__file__)):
        return binary
    include = os.path.join(work, "pjdfstest-include")
    os.makedirs(include, exist_ok=True)
    open(os.path.join(include, "config.h"), "w").close()
    run(["gcc", "-O2", "-static", "-Wall", "-I", include]
        + ["-D" + d for d in PJDFSTEST_DEFINES] + ["-o", binary + ".tmp", src], timeout=120)
    os.replace(binary + ".tmp", binary)
    return binary


def build_fsx(work):
    """xenos/fsx.c, static, like pjdfstest."""
    src = os.path.join(OWN, "fsx.c")
    binary = os.path.join(work, "fsx")
    if os.path.exists(binary) and os.path.getmtime(binary) > os.path.getmtime(src):
        return binary
    run(["gcc", "-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o", binary + ".tmp", src], timeout=120)
    os.replace(binary + ".tmp", binary)
    return binary


def copy_with_libs(path, root, dest=None):
    """build-dom0.sh's copy_with_libs(): the program and every library ldd names, at the same
    paths inside ROOT, so the loader finds them without LD_LIBRARY_PATH."""
    dest = dest or path
    os.makedirs(os.path.dirname(root + dest), exist_ok=True)
    shutil.copy(path, root + dest)
    out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=60).stdout
    for lib in re.findall(r"(/\S+)", out):
        if not os.path.exists(root + lib):
            os.makedirs(os.path.dirname(root + lib), exist_ok=True)
            shutil.copy(lib, root + lib)  # follows symlinks, as cp -L


def build_initramfs(build, out, pjdfstest, fsx, mods, upstream_expect, conf, files):
    """OUT/initramfs.cpio (newc, uncompressed: gzip would cost the TCG guest more than it
    saves). Made for each run, in the run's folder (it holds the run's file list, iohost
    changes often, and two runs at once must not share it); it takes about a second."""
    iohost = os.path.join(build, "bin", "iohost")
    if not os.path.exists(iohost):
        sys.exit("conformance: no %s (make %s)" % (iohost, iohost))
    root = os.path.join(out, "initramfs-root")
    shutil.rmtree(root, ignore_errors=True)
    for d in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "run", "tmp",
              "mnt", "scratch"]:
        os.makedirs(os.path.join(root, d))
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
    shutil.copy(os.path.join(HERE, "init"), os.path.join(root, "init"))
    shutil.copy(os.path.join(HERE, "openssl"), os.path.join(root, "usr", "bin", "openssl"))
    shutil.copytree(mods, os.path.join(root, "mods"), ignore=shutil.ignore_patterns(".key"))
    # pjdfstest's misc.sh finds the binary by walking up from the .t file: /pjdfstest/pjdfstest.
    shutil.copytree(TESTS, os.path.join(root, "pjdfstest", "tests"))
    shutil.copytree(OWN, os.path.join(root, "pjdfstest", "tests", OWN_DIR),
                    ignore=shutil.ignore_patterns("*.c"))
    shutil.copy(fsx, os.path.join(root, "usr", "bin", "fsx"))
    copy_with_libs("/usr/bin/stress-ng", root)
    if not upstream_expect:  # expect.sh says why
        shutil.copy(os.path.join(HERE, "expect.sh"), os.path.join(root, "pjdfstest", "expect.sh"))
        with open(os.path.join(root, "pjdfstest", "tests", "misc.sh"), "a") as f:
            f.write("\n# Added by tests/conformance/run.py: one process per assertion.\n"
                    ". /pjdfstest/expect.sh\n")
    shutil.copy(pjdfstest, os.path.join(root, "pjdfstest", "pjdfstest"))
    copy_with_libs("/usr/sbin/diod", root)
    copy_with_libs(iohost, root, "/usr/bin/iohost")
    # Without its 25 MiB of debug information, which the VM need not load.
    run(["strip", "--strip-debug", "-o", os.path.join(root, "usr", "bin", "iohost"), iohost],
        timeout=120)
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    # diod looks up its client's name (getnameinfo) and drops the connection if that fails.
    with open(os.path.join(root, "etc", "hosts"), "w") as f:
        f.write("127.0.0.1\tlocalhost\n")
    with open(os.path.join(root, "etc", "nsswitch.conf"), "w") as f:
        f.write("passwd: files\ngroup: files\nhosts: files\n")
    # What the VM's /init runs: shell variables, and the files in the order to take them.
    os.makedirs(os.path.join(root, "conformance"))
    with open(os.path.join(root, "conformance", "conf"), "w") as f:
        f.write("".join("%s=%s\n" % (k, shlex.quote(str(v))) for k, v in conf.items()))
    with open(os.path.join(root, "conformance", "files"), "w") as f:
        f.write("".join(name + "\n" for name in files))
    for p in ["init", "bin/busybox", "usr/bin/openssl", "pjdfstest/pjdfstest", "usr/bin/fsx"]:
        os.chmod(os.path.join(root, p), 0o755)
    cpio = os.path.join(out, "initramfs.cpio")
    listing = subprocess.run("find . | LC_ALL=C sort", shell=True, cwd=root,
                             capture_output=True, timeout=60, check=True).stdout
    with open(cpio + ".tmp", "wb") as archive:
        run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=listing, stdout=archive)
    os.replace(cpio + ".tmp", cpio)
    shutil.rmtree(root)
    return cpio


def make_scratch_disk(path):
    """A fresh ext4 image for the VM's scratch folders. ext4, not tmpfs: Linux 6.1's tmpfs has
    no user.* xattrs, and iohost's mapped model keeps owners and modes in them."""
    if os.path.exists(path):
        os.remove(path)
    with open(path, "wb") as f:
        f.truncate(SCRATCH_MIB << 20)  # sparse
    # 4 KiB blocks: mke2fs makes a disk under 512 MiB "small" (1 KiB blocks), and ext4 keeps a
    # symlink target within one block, so a PATH_MAX-1 target (symlink/03.t) would fail on every server.
    run(["mkfs.ext4", "-F", "-q", "-b", "4096", path], timeout=60)


# ---- the run ---------------------------------------------------------------------------------

def test_path(entry):
    """Where a test file or folder named as in the VM (pjdfstest's, or xenos/...) is here."""
    if entry == OWN_DIR or entry.startswith(OWN_DIR + "/"):
        return os.path.join(HERE, entry)
    return os.path.join(TESTS, entry)


def selected_files(entries):
    """Each entry is a folder of pjdfstest's tests/ (all its .t files), xenos (ours), or one file."""
    files = []
    for entry in entries:
        if entry.endswith(".t"):
            if not os.path.isfile(test_path(entry)):
                sys.exit("conformance: no test %s in %s or %s" % (entry, TESTS, HERE))
            files.append(entry)
            continue
        found = sorted(glob.glob(os.path.join(test_path(entry), "*.t")))
        if not found:
            sys.exit("conformance: no test folder %s in %s or %s" % (entry, TESTS, HERE))
        files += [entry + "/" + os.path.basename(f) for f in found]
    return files


# Files that take 10 s or more alone (measured: TCG, one server), longest first. A lane that
# starts them first does not leave one long file running alone at the end.
LONGEST = ["chown/00.t", "xenos/stress.t", "xenos/fsx.t", "rename/10.t", "rename/09.t", "link/00.t", "unlink/00.t", "mknod/03.t",
           "rename/02.t", "chmod/00.t", "chown/03.t", "chown/07.t", "ftruncate/03.t",
           "mkdir/03.t", "chmod/03.t", "rename/00.t", "link/03.t", "open/03.t", "unlink/11.t",
           "chmod/11.t", "open/06.t"]


def longest_first(files):
    known = [f for f in LONGEST if f in files]
    return known + [f for f in files if f not in known]


def all_dirs():
    return sorted(d for d in os.listdir(TESTS) if os.path.isdir(os.path.join(TESTS, d))) + [OWN_DIR]


class Serial:
    """The VM's serial line, as run.py follows it: the "cf: " lines into results, every line
    into serial.log, and the deadlines of boot, of each test file and of the whole run."""

    LINE = re.compile(r"cf: (\w+) ?(.*)$")

    def __init__(self, log_path, servers, boot_timeout, file_timeout):
        self.log = open(log_path, "w")
        self.tests_in_vm = None  # how many files the VM found to run
        self.started = time.monotonic()
        self.boot_timeout, self.file_timeout = boot_timeout, file_timeout
        self.deadline = self.started + boot_timeout  # moves on with each sign of progress
        self.booted_at = None
        self.ended = False
        self.errors = []
        self.results = {s: {"started": False, "done": False, "passed": 0, "failed": 0, "todo": 0,
                            "seconds": None, "files": {}, "failures": [], "notes": [],
                            "log": [], "errors": [], "start_uptime": None}
                        for s in servers}

    def progress(self):
        # A file gets file_timeout in the VM (its own watchdog); a minute more covers the
        # server's start and stop, the unmount and the lines themselves.
        self.deadline = time.monotonic() + self.file_timeout + 60

    def line(self, text):
        self.log.write("%7.1f %s\n" % (time.monotonic() - self.started, text))
        m = self.LINE.search(text)
        if not m:
            return
        kind, rest = m.group(1), m.group(2)
        words = rest.split(" ")
        if kind == "up":
            self.booted_at = time.monotonic()
            m = re.search(r"tests=(\d+)", rest)
            self.tests_in_vm = int(m.group(1)) if m else None
            self.progress()
        elif kind == "end":
            self.ended = True
        elif kind == "error":
            self.errors.append(rest)
        elif kind == "server" and len(words) >= 3 and words[0] in self.results:
            r = self.results[words[0]]
            if words[1] == "start":
                r["started"], r["start_uptime"] = True, float(words[2])
            elif words[1] == "done":
                r["done"] = True
                r["seconds"] = round(float(words[2]) - (r["start_uptime"] or 0), 1)
            self.progress()
        elif kind in ("result", "fail", "note", "log") and len(words) >= 2 \
                and words[0] in self.results:
            r = self.results[words[0]]
            if kind == "result":
                self.result(r, words[1], dict(w.split("=", 1) for w in words[2:] if "=" in w))
                self.progress()
            elif kind == "fail" and len(words) >= 3:
                text = " ".join(words[2:])
                n = re.match(r"not ok (\d+)", text)
                if len(r["failures"]) < KEEP_FAILURES:
                    r["failures"].append({"file": words[1], "assertion": n.group(1) if n else "?",
                                          "text": text})
            elif kind == "note":
                r["notes"].append(" ".join(words[1:]))
            elif kind == "log":
                r["log"].append(" ".join(words[1:]))

    def result(self, r, name, kv):
        def number(key):
            try:
                return int(kv.get(key, ""))
            except ValueError:
                return None
        passed, failed, todo = number("passed") or 0, number("failed") or 0, number("todo") or 0
        plan, timed_out = number("plan"), kv.get("timeout") == "1"
        ran = passed + failed + todo
        missing = max(0, plan - ran) if plan is not None else 0
        f = {"passed": passed, "failed": failed + missing, "not_ok": failed, "todo": todo,
             "plan": plan, "timeout": timed_out, "status": kv.get("status"),
             "seconds": round(float(kv.get("end", 0)) - float(kv.get("start", 0)), 1)}
        # A file cut short still counts each assertion it did not reach, as prove would.
        if missing or timed_out or plan is None:
            why = "timed out after %d s" % self.file_timeout if timed_out else "ended early"
            if plan is None:
                why += ", no plan line"
            else:
                why += ", ran %d of %d" % (ran, plan)
            if not missing:
                f["failed"] += 1
            r["failures"].append({"file": name, "text": why,
                                  "assertion": "timeout" if timed_out else "incomplete"})
        r["files"][name] = f
        r["passed"] += f["passed"]
        r["failed"] += f["failed"]
        r["todo"] += f["todo"]

    def follow(self, qemu, total_timeout):
        """Reads the serial line until QEMU exits; kills it past a deadline. Returns None or
        what went wrong."""
        sel = selectors.DefaultSelector()
        sel.register(qemu.stdout, selectors.EVENT_READ)
        os.set_blocking(qemu.stdout.fileno(), False)
        give_up = self.started + total_timeout
        pending = b""
        problem = None
        while True:
            now = time.monotonic()
            if now > give_up or now > self.deadline:
                if now > give_up:
                    problem = "the run took more than %d s" % total_timeout
                elif self.booted_at is None:
                    problem = "the VM did not boot in %d s" % self.boot_timeout
                else:
                    problem = "no progress for %d s" % (self.file_timeout + 60)
                qemu.kill()
                break
            for _ in sel.select(timeout=1.0):
                chunk = qemu.stdout.read(65536) or b""
                if not chunk and qemu.poll() is not None:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    self.line(raw.decode("utf-8", "replace").rstrip("\r"))
            if qemu.poll() is not None:
                rest = qemu.stdout.read() or b""
                for raw in (pending + rest).split(b"\n"):
                    if raw:
                        self.line(raw.decode("utf-8", "replace").rstrip("\r"))
                break
        qemu.wait(timeout=30)
        sel.close()
        self.log.close()
        if problem is None and not self.ended:
            problem = "the VM stopped (QEMU status %s) before it said it ended" % qemu.returncode
        return problem


def qemu_command(vmlinux, initramfs, disk, cmdline, smp, memory, cpu):
    return [
        "qemu-system-x86_64", "-accel", "tcg,thread=%s" % ("multi" if smp > 1 else "single"),
        "-cpu", cpu, "-smp", str(smp), "-m", str(memory),
        "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
        "-kernel", vmlinux, "-initrd", initramfs, "-append", cmdline,
        "-drive", "file=%s,if=none,id=scratch,format=raw,cache=unsafe" % disk,
        "-device", "virtio-blk-pci,drive=scratch",
    ]


# ---- the verdict -----------------------------------------------------------------------------

def read_known(path):
    """mapped-known.txt: "FILE ASSERTION REASON..." a line, # comments."""
    known = set()
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            parts = line.split(None, 2)
            if len(parts) < 3:
                sys.exit("conformance: %s: want FILE ASSERTION REASON: %r" % (path, line))
            known.add((parts[0], parts[1]))
    return known


def judge(results, servers, files, vm_problem):
    checks = []

    def check(name, ok, detail):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})
    check("the VM booted, ran every server and powered off within its deadlines",
          vm_problem is None, vm_problem or "")
    for s in servers:
        r = results[s]
        absent = [f for f in files if f not in r["files"]]
        short = [f for f, v in r["files"].items() if v["timeout"] or v["plan"] is None]
        if not r["started"] or r["errors"]:
            detail = "; ".join(r["errors"]) or "the server never started"
        else:
            detail = ""
        if absent:
            detail += ("; " if detail else "") + "%d of %d files gave no result (first: %s)" % (
                len(absent), len(files), absent[0])
        if short:
            detail += ("; " if detail else "") + "cut short: " + ", ".join(short[:10])
        check("%s: the suite ran to the end" % s, not detail, detail)
    if "diod" in servers and "passthrough" in servers:
        d, p = results["diod"]["failed"], results["passthrough"]["failed"]
        check("passthrough fails no more assertions than diod", p <= d,
              "passthrough %d failed, diod %d failed" % (p, d))
    own = [f for f in files if f.startswith(OWN_DIR + "/")]
    # On iohost's exports (diod is the baseline: what it fails is reported, not judged).
    for s in [s for s in servers if own and s in ("passthrough", "mapped", "none")]:
        failed = ["%s %s" % (f["file"], f["assertion"]) for f in results[s]["failures"]
                  if f["file"] in own]
        check("%s: fsx and stress-ng pass (%s)" % (s, ", ".join(own)), not failed,
              "failed: " + ", ".join(failed[:10]) if failed else "")
    if "mapped" in servers:
        known = read_known(KNOWN_MAPPED)
        r = results["mapped"]
        unknown = [f for f in r["failures"] if (f["file"], f["assertion"]) not in known]
        # The VM prints FAIL_LINES_PER_FILE failures a file: the rest cannot be checked.
        for name, v in r["files"].items():
            shown = sum(1 for f in r["failures"] if f["file"] == name and f["assertion"].isdigit())
            if v["not_ok"] > shown:
                unknown.append({"file": name, "assertion": "+%d" % (v["not_ok"] - shown),
                                "text": "failures past the %d shown" % shown})
        check("mapped: every failure is in mapped-known.txt", not unknown,
              "%d not listed, first: %s" % (len(unknown), " ".join(
                  "%s %s" % (u["file"], u["assertion"]) for u in unknown[:10])) if unknown else "")
    return checks


def server_line(name, r):
    worst = sorted(((v["failed"], f) for f, v in r["files"].items() if v["failed"]), reverse=True)
    where = ", ".join("%s: %d" % (f, n) for n, f in worst[:6])
    if len(worst) > 6:
        where += ", ... %d files" % len(worst)
    seconds = "%.0f s" % r["seconds"] if r["seconds"] is not None else "unfinished"
    # "assertions passed": this line must not look like the checks' "N passed, M failed".
    return "%s: %d assertions passed, %d failed, %d todo, %d files, %s%s" % (
        name, r["passed"], r["failed"], r["todo"], len(r["files"]), seconds,
        " (%s)" % where if where else "")


class Stopped(Exception):
    pass


def on_sigterm(*_):
    # Once: `timeout` signals run.py and then its whole process group (QEMU too) again.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stopped()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--dirs", help="comma-separated folders of pjdfstest's tests/ or single files "
                    "(chmod,chown/00.t); default: all")
    ap.add_argument("--skip", default="", help="comma-separated files left out (rename/09.t)")
    ap.add_argument("--servers", default=",".join(DEFAULT_SERVERS),
                    help="comma-separated, of %s (default %%(default)s)" % ",".join(ALL_SERVERS))
    ap.add_argument("--smp", type=int, default=2, help="VM vCPUs (default %(default)s)")
    ap.add_argument("--memory", type=int, default=512, help="VM MiB (default %(default)s)")
    ap.add_argument("--serial", action="store_true",
                    help="one server after another, one file at a time")
    ap.add_argument("--jobs", type=int, default=2,
                    help="test files at once per server, each in a folder of its own (default "
                    "%(default)s; with --serial 1)")
    ap.add_argument("--file-timeout", type=int,
                    help="seconds one .t file may take (default 240, times the files run at "
                    "once per vCPU)")
    ap.add_argument("--boot-timeout", type=int, default=120, help="default %(default)s")
    ap.add_argument("--timeout", type=int, default=7200,
                    help="seconds for the whole VM run (default %(default)s)")
    ap.add_argument("--cpu", default="max", help="QEMU -cpu (default %(default)s)")
    ap.add_argument("--append", default="", help="more kernel command line")
    ap.add_argument("--upstream-expect", action="store_true",
                    help="pjdfstest's own expect() (five processes an assertion, 3x slower); "
                    "by default tests/conformance/expect.sh's, with the same verdicts")
    ap.add_argument("--keep", action="store_true",
                    help="keep the run's scratch ext4 image and initramfs")
    args = ap.parse_args()

    servers = [s for s in args.servers.split(",") if s]
    for s in servers:
        if s not in ALL_SERVERS or servers.count(s) > 1:
            sys.exit("conformance: --servers: %s: each of %s at most once" % (
                s, ",".join(ALL_SERVERS)))
    entries = [e.strip("/") for e in args.dirs.split(",") if e] if args.dirs else all_dirs()
    skip = [e.strip("/") for e in args.skip.split(",") if e]
    files = selected_files(entries)
    for f in skip:
        if f not in files:
            sys.exit("conformance: --skip %s: not among the selected files" % f)
    files = [f for f in files if f not in skip]
    select = ",".join(entries)
    parallel, jobs = (False, 1) if args.serial else (True, max(1, args.jobs))
    at_once = jobs * (len(servers) if parallel else 1)
    # chown/00.t, the longest file, takes about 120 s alone (mostly its 84 `sleep 1`s), and
    # over 180 s when the host is busy; files that share a vCPU take longer again. The
    # deadline is for hangs, not for slowness.
    file_timeout = args.file_timeout or 240 * max(1, -(-at_once // args.smp))
    # mitigations=off: no page table isolation, whose TLB flushes at every system call cost
    # TCG most.
    cmdline = "console=ttyS0 quiet panic=-1 mitigations=off"
    cmdline += (" " + args.append) if args.append else ""
    conf = {"servers": " ".join(servers), "file_timeout": file_timeout,
            "fail_lines": FAIL_LINES_PER_FILE, "parallel": int(parallel), "jobs": jobs}

    build = os.path.abspath(args.build_dir)
    work = os.path.join(build, "conformance")
    os.makedirs(work, exist_ok=True)
    run_name = "+".join(servers) + "." + ("all" if not args.dirs else
                                          select.replace("/", "_").replace(",", "+"))
    if skip:
        run_name += ".skip-" + "+".join(skip).replace("/", "_")
    if len(run_name) > 80:  # a folder name has a limit
        run_name = run_name[:64] + "." + hashlib.sha256(run_name.encode()).hexdigest()[:12]
    run_dir = os.path.join(work, run_name)
    os.makedirs(run_dir, exist_ok=True)

    t0 = time.monotonic()
    vmlinux, mods = kernel_and_modules(build, work)
    pjdfstest = build_pjdfstest(work)
    fsx = build_fsx(work)
    initramfs = build_initramfs(build, run_dir, pjdfstest, fsx, mods, args.upstream_expect, conf,
                                longest_first(files))
    disk = os.path.join(run_dir, "scratch.ext4")
    make_scratch_disk(disk)
    prepared = time.monotonic() - t0

    cmd = qemu_command(vmlinux, initramfs, disk, cmdline, args.smp, args.memory, args.cpu)
    log("%d files x %d servers (%s%s), %d at once per server, -smp %d -m %d; serial log: %s" % (
        len(files), len(servers), ",".join(servers), ", side by side" if parallel else "",
        jobs, args.smp, args.memory, os.path.join(run_dir, "serial.log")))
    serial = Serial(os.path.join(run_dir, "serial.log"), servers, args.boot_timeout, file_timeout)
    # SIGTERM (a `timeout` around run.py, make's stage being stopped) must not leave QEMU
    # spinning: it becomes an exception, QEMU is killed, and what ran is still reported.
    signal.signal(signal.SIGTERM, on_sigterm)
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        vm_problem = serial.follow(qemu, args.timeout)
    except Stopped:
        vm_problem = "run.py was stopped by SIGTERM"
        serial.log.close()
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait(timeout=30)
        for scratch in ([] if args.keep else [disk, initramfs]):
            if os.path.exists(scratch):
                os.remove(scratch)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    total = time.monotonic() - serial.started
    if serial.errors:
        for e in serial.errors:
            log("VM: " + e)
        # An error outside any server (insmod, the scratch disk) is the harness's own.
        if vm_problem is None and any(e.split(" ")[0] not in servers for e in serial.errors):
            vm_problem = "the VM said: " + "; ".join(serial.errors[:3])
    if vm_problem is None and serial.tests_in_vm != len(files):
        vm_problem = "the VM found %s test files, not %d" % (serial.tests_in_vm, len(files))
    for s in servers:
        serial.results[s]["errors"] = [e for e in serial.errors if e.split(" ")[0] == s]
        serial.results[s].pop("start_uptime")

    checks = judge(serial.results, servers, files, vm_problem)
    boot = serial.booted_at - serial.started if serial.booted_at else None
    report = {
        "run": run_name, "servers": servers, "select": entries, "skip": skip, "files": files,
        "qemu": {"smp": args.smp, "memory_mib": args.memory, "command": cmd},
        "parallel": parallel, "jobs": jobs, "file_timeout": file_timeout,
        "upstream_expect": args.upstream_expect,
        "seconds": {"prepare": round(prepared, 1), "boot": boot and round(boot, 1),
                    "vm_total": round(total, 1)},
        "vm_problem": vm_problem, "results": serial.results, "checks": checks,
    }
    with open(os.path.join(run_dir, "results.json"), "w") as f:
        json.dump(report, f, indent=1)

    log("prepared in %.0f s, booted in %s, VM ran %.0f s" % (
        prepared, "%.1f s" % boot if boot else "(never)", total))
    for s in servers:
        print(server_line(s, serial.results[s]))
    for c in checks:
        print("%s - %s%s" % ("ok" if c["ok"] else "not ok", c["name"],
                             ": " + c["detail"] if c["detail"] else ""))
    passed = sum(c["ok"] for c in checks)
    print("results: %s" % os.path.join(run_dir, "results.json"))
    print("%d passed, %d failed" % (passed, len(checks) - passed))
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
