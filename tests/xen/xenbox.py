#!/usr/bin/env python3
"""xenbox: the Xen-in-QEMU harness. Boots real Xen 4.17 with a Debian Linux dom0 inside
qemu-system-x86_64 (TCG), runs each guest with `xl create`, and reports what each guest did.

    tests/xen/xenbox.py IMAGE [--cmdline ARGS] [--share DIR] [--expect crash] ...

As a library (tests/xen/xen_test.py): build Guest objects and call run(guests, options).

How it works: the run folder (build/xen/runs/<id>/) is exported to dom0 over virtio-9p; it
holds guests.list, one folder per guest with its image, its xl config (written by
tools/mkimage) and its share. dom0's /init (tests/xen/dom0-init) runs the guests one after
another and prints "xenbox: ..." lines that this script follows through the phases below, each
with its own timeout. Everything on the serial line is saved to serial.log; each guest's
console, early port-0xE9 lines ("(dN) ...", printed by Xen) and PV console ring lines
("[name] ...", streamed by dom0) alike, goes to guests/<name>/console.log.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MKIMAGE = os.path.join(ROOT, "tools", "mkimage", "mkimage")

DOM0_MIB = 1024
XEN_CMDLINE = ("console=com1 com1=115200,8n1 dom0_mem=%dM,max:%dM dom0_max_vcpus=2 "
               "loglvl=all guest_loglvl=all noreboot" % (DOM0_MIB, DOM0_MIB))
DOM0_CMDLINE = "console=hvc0 loglevel=4 panic=1"

IOHOST_BINARY = None  # build/bin/iohost of the build directory run() is given
domains_left = []     # what `xl list` showed after the last run's guests: Domain-0 alone, or zombies

SUMMARY = re.compile(r"\b(\d+) passed, (\d+) failed\b")


def seeded_share(prefix, files=(), folders=()):
    """A new folder to serve as a guest's share: from-host.txt ("seeded by the host\n"), which the
    suites and apps read, plus `files` ((relative path, bytes) pairs) and empty `folders`."""
    path = tempfile.mkdtemp(prefix=prefix)
    for name, data in [("from-host.txt", b"seeded by the host\n")] + list(files):
        os.makedirs(os.path.dirname(os.path.join(path, name)), exist_ok=True)
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    for folder in folders:
        os.makedirs(os.path.join(path, folder), exist_ok=True)
    return path


class Guest:
    def __init__(self, name, image, cmdline="", share=None, expect="poweroff",
                 expect_summary=False, timeout=120, memory=64, must_print=(), type="pvh",
                 extra_tags=(), linux=False, backend="iohost", net=False, share_model="none"):
        self.name, self.image, self.cmdline, self.share = name, image, cmdline, share
        # Who serves its 9pfs devices: iohost (the default), which attaches to the domain
        # created paused (tests/xen/dom0-init), or QEMU's xen-9pfs (an xl p9= entry).
        self.backend = backend
        self.net = net  # iohost also gives it a device "net": the host's network as Plan 9 /net
        # iohost's security model for its folders (none, passthrough, mapped). A mapped share is
        # served from the run folder itself (the host's disk, through dom0's /host): dom0's
        # tmpfs in Linux 6.1 keeps no user.* extended attributes, which mapped needs.
        self.share_model = share_model
        self.type = type
        self.extra_tags = list(extra_tags)  # more 9pfs devices: "tag" (same folder) or "tag:sub"
        self.linux = linux  # the Linux PV peer (build/xen/vmlinux + linux-domu.cpio.gz), not our image
        self.expect, self.expect_summary, self.timeout = expect, expect_summary, timeout
        self.memory, self.must_print = memory, list(must_print)
        # Filled in by the run:
        self.domid = None
        self.reason = None          # poweroff, crash, ... or None when it never shut down
        self.console = []           # the guest's console lines, prefixes removed
        self.summary = None         # (passed, failed) from "N passed, N failed"
        self.problem = None         # why the harness gave up on it (timeout, create failed)
        self.share_out = None       # folder with the share as the guest left it
        self.times = {}

    def verdict(self):
        """Returns a list of reasons this guest failed (empty when it passed)."""
        bad = []
        if self.problem:
            bad.append(self.problem)
        elif self.reason != self.expect:
            bad.append("shut down with reason %s, expected %s" % (self.reason, self.expect))
        text = "\n".join(self.console)
        for needle in self.must_print:
            if needle not in text:
                bad.append("console lacks %r" % needle)
        if self.expect_summary:
            if self.summary is None:
                bad.append("no 'N passed, N failed' line on the console")
            elif self.summary[1] != 0:
                bad.append("suite reports %d passed, %d failed" % self.summary)
        triple = [l for l in self.console if "Triple fault" in l]
        if triple and bad:
            bad.append("Xen reported a triple fault (PVH under TCG can do this; see "
                       "docs/testing.md, Xen in QEMU): %s" % triple[0])
        return bad


class Dom0Job:
    """A script dom0 runs before the guests (tests/xen/jobs/NAME.sh), for tests of what runs in
    dom0 itself (iohost under Linux's own 9P client). `programs` are host programs it needs,
    copied into the run folder with their shared libraries (dom0 reaches them over virtio-9p;
    the initramfs stays small). Its output comes back as "[job NAME] ..." lines."""
    def __init__(self, name, script, programs=(), timeout=300, files=()):
        self.name, self.script, self.programs, self.timeout = name, script, list(programs), timeout
        self.files = list(files)  # more files it reads, copied next to it (e.g. a guest image)
        self.lines = []             # what it printed
        self.rc = None              # its exit status, None when it never finished
        self.problem = None

    def results(self):
        """(name, problems) for each "ok - X" / "not ok - X: why" line, plus the job's own end."""
        out = []
        for line in self.lines:
            m = re.match(r"^(not )?ok - (.*)$", line)
            if m:
                out.append((m.group(2), [m.group(2)] if m.group(1) else []))
        if self.rc != 0:
            out.append(("dom0 job %s ran to its end" % self.name,
                        [self.problem or "exit status %s" % self.rc]))
        return out


def copy_program(path, bin_dir, lib_dir):
    """Copies a host program and the shared libraries ldd names for it."""
    os.makedirs(bin_dir, exist_ok=True)
    os.makedirs(lib_dir, exist_ok=True)
    shutil.copy(path, os.path.join(bin_dir, os.path.basename(path)))
    listing = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    for lib in re.findall(r"(/\S+\.so[\S]*)", listing):
        target = os.path.join(lib_dir, os.path.basename(lib))
        if not os.path.exists(target):
            shutil.copy(os.path.realpath(lib), target)


class Phase:
    """The current phase and when it must end; a hang fails naming it."""
    def __init__(self):
        self.name, self.started, self.deadline = None, None, None

    def enter(self, name, timeout):
        now = time.monotonic()
        self.name, self.started, self.deadline = name, now, now + timeout


def build_inputs(build_dir):
    out = os.path.join(build_dir, "xen")
    subprocess.run([os.path.join(HERE, "build-dom0.sh"), out], check=True)
    return out


def guest_shares(g):
    """(tag, tree name, folder in dom0) of each 9pfs device of guest g: "share" is its folder,
    an extra tag "tag" the same folder and "tag:sub" a subfolder."""
    out = []
    for i, extra in enumerate(["share"] + g.extra_tags):
        tag, _, sub = extra.partition(":")
        top = "/host/guests/%s/share" % g.name if g.share_model == "mapped" else "/srv/%s" % g.name
        out.append((tag, "%s-%d" % (g.name, i), top + ("/" + sub if sub else "")))
    if g.net and g.backend == "iohost":
        out.append(("net", "%s-net" % g.name, None))  # a net tree, not a folder
    return out


NET_PORTS = "20000-20099"  # what a guest with net=True may announce on (dom0's loopback)


def iohost_args(guests):
    """iohost's command line in dom0: an export of each iohost guest's folders, and which
    guest gets which tree."""
    args = []
    for g in guests:
        if g.backend != "iohost":
            continue
        shares = guest_shares(g)
        for tag, tree, folder in shares:
            if folder is None:
                args += ["--net", "%s,announce=%s" % (tree, NET_PORTS)]
            else:
                model = "" if g.share_model == "none" else ",security_model=" + g.share_model
                args += ["--export", "%s=%s%s" % (tree, folder, model)]
        args += ["--xen-guest", "%s=%s" % (g.name, ",".join("%s:%s" % (tag, tree) for tag, tree, _ in shares))]
    return args


def prepare_run(run_dir, guests, xen_dir, jobs=()):
    if os.path.exists(run_dir):
        shutil.rmtree(run_dir)
    os.makedirs(os.path.join(run_dir, "guests"))
    served = iohost_args(guests)
    if served:
        copy_program(os.path.join(ROOT, "build", "bin", "iohost") if not IOHOST_BINARY else IOHOST_BINARY,
                     os.path.join(run_dir, "iohost", "bin"), os.path.join(run_dir, "iohost", "lib"))
        with open(os.path.join(run_dir, "iohost.args"), "w") as f:
            f.write("\n".join(served) + "\n")
    if jobs:
        with open(os.path.join(run_dir, "dom0-jobs.list"), "w") as listing:
            for j in jobs:
                jdir = os.path.join(run_dir, "dom0-jobs", j.name)
                os.makedirs(jdir)
                shutil.copy(j.script, os.path.join(jdir, "job.sh"))
                shutil.copy(os.path.join(HERE, "jobs", "lib.sh"), os.path.join(jdir, "lib.sh"))  # the jobs' helpers
                for f in j.files:
                    shutil.copy(f, os.path.join(jdir, os.path.basename(f)))
                for program in j.programs:
                    copy_program(program, os.path.join(jdir, "bin"), os.path.join(jdir, "lib"))
                listing.write("%s %d\n" % (j.name, j.timeout))
    with open(os.path.join(run_dir, "guests.list"), "w") as listing:
        for g in guests:
            gdir = os.path.join(run_dir, "guests", g.name)
            share = os.path.join(gdir, "share")
            os.makedirs(share)
            if g.share:
                shutil.copytree(g.share, share, dirs_exist_ok=True)
            listing.write("%s %d %s\n" % (g.name, g.timeout, g.backend))
            g.share_out = os.path.join(gdir, "share" if g.share_model == "mapped" else "share-out")
            if g.linux:
                write_linux_config(gdir, g, xen_dir)
                continue
            cmd = [MKIMAGE, g.image, "--out", gdir, "--name", g.name, "--memory", str(g.memory),
                   "--type", g.type,
                   "--cpus", "1",  # pinned: PVH under TCG flakes less (docs/testing.md)
                   "--on-reboot", "destroy",  # a test run reports a reboot, it does not loop
                   "--kernel-path", "/host/guests/%s/%s.elf" % (g.name, g.name)]
            for tag, tree, folder in guest_shares(g):
                if g.backend == "qemu":
                    cmd += ["--p9", "tag=%s,path=%s" % (tag, folder)]
                elif "xenos.mounts=" not in g.cmdline:  # the guest mounts them, waiting for iohost
                    cmd += ["--iohost", "%s=%s" % (tag, tree)]
            if g.cmdline:
                cmd += ["--cmdline", g.cmdline]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            os.rename(os.path.join(gdir, g.name + ".cfg"), os.path.join(gdir, "guest.cfg"))


def write_linux_config(gdir, g, xen_dir):
    """The Linux PV peer: Debian's kernel with a busybox initramfs (tests/xen/linux-domu-init)."""
    for f in ("vmlinux", "linux-domu.cpio.gz"):
        try:
            os.link(os.path.join(xen_dir, f), os.path.join(gdir, f))
        except OSError:
            shutil.copyfile(os.path.join(xen_dir, f), os.path.join(gdir, f))
    host = "/host/guests/%s/" % g.name
    with open(os.path.join(gdir, "guest.cfg"), "w") as cfg:
        cfg.write('name = "%s"\ntype = "pv"\nkernel = "%svmlinux"\nramdisk = "%slinux-domu.cpio.gz"\n'
                  'extra = "console=hvc0 quiet loglevel=3 panic=1"\nmemory = %d\nvcpus = 1\ncpus = "1"\n'
                  'on_poweroff = "destroy"\non_reboot = "destroy"\non_crash = "destroy"\n'
                  % (g.name, host, host, max(g.memory, 256)))
        if g.backend == "qemu":  # iohost gives its devices itself
            cfg.write("p9 = [ 'tag=share,security_model=none,path=/srv/%s' ]\n" % g.name)


def machine_mib(guests):
    """QEMU's memory: dom0, then room for the largest guest (they run one at a time) and for
    Xen itself; 2 GiB at least, which every run had before a guest asked for more."""
    largest = max([g.memory for g in guests] + [0])
    return max(2048, DOM0_MIB + largest + 512)


def qemu_command(xen_dir, run_dir, interactive, memory_mib=2048):
    return [
        "qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", "qemu64,+npt",
        "-smp", "2", "-m", str(memory_mib), "-nodefaults", "-display", "none", "-no-reboot",
        "-serial", "mon:stdio" if interactive else "stdio",
        "-kernel", os.path.join(xen_dir, "xen"), "-append", XEN_CMDLINE,
        "-initrd", "%s %s,%s" % (os.path.join(xen_dir, "vmlinux"), DOM0_CMDLINE,
                                 os.path.join(xen_dir, "dom0.cpio")),
        "-virtfs", "local,path=%s,mount_tag=xenbox,security_model=none,id=xenbox" % run_dir,
    ]


class Session:
    """One Xen boot as the serial line tells it: routes each line to the guest, job or log it
    belongs to and moves through the phases on the harness's "xenbox: ..." events."""

    def __init__(self, run_dir, guests, jobs, quiet, log):
        self.guests = {g.name: g for g in guests}
        self.jobs = {j.name: j for j in jobs}
        self.by_domid = {}
        self.early_lines = {}  # domid -> "(dN)" lines that came before dom0 told us whose domain N is
        self.quiet, self.log = quiet, log
        self.consoles = {g.name: open(os.path.join(run_dir, "guests", g.name, "console.log"), "w")
                         for g in guests}
        self.serial = open(os.path.join(run_dir, "serial.log"), "w")
        self.iohost_log = open(os.path.join(run_dir, "iohost.log"), "w")  # iohost in dom0, if it runs
        self.started = time.monotonic()
        self.phase = Phase()
        self.phase.enter("Xen boot", 120)
        self.dom0_boot_limit = 180
        self.current = None  # the guest being created or run
        self.result = None   # (ok, message) once the run has failed or ended

    def stamp(self):
        return "%6.1f" % (time.monotonic() - self.started)

    def close(self):
        self.serial.close()
        self.iohost_log.close()
        for f in self.consoles.values():
            f.close()

    def guest_line(self, g, text):
        g.console.append(text)
        self.consoles[g.name].write(text + "\n")
        self.consoles[g.name].flush()
        m = SUMMARY.search(text)
        if m:
            g.summary = (int(m.group(1)), int(m.group(2)))
        self.log("%s [%s] %s" % (self.stamp(), g.name, text))

    def line(self, line):
        """One line of the serial console."""
        self.serial.write(line + "\n")
        m = re.match(r"^\(d(\d+)\) ?(.*)$", line)  # a guest's port 0xE9, printed by Xen
        if m and int(m.group(1)) != 0:
            domid = int(m.group(1))
            if domid in self.by_domid:
                self.guest_line(self.by_domid[domid], m.group(2))
            else:  # a fast guest can finish before xl has printed its domid
                self.early_lines.setdefault(domid, []).append(m.group(2))
            return
        if line.startswith("[iohost] "):
            self.iohost_log.write(line[len("[iohost] "):] + "\n")
            self.log("%s %s" % (self.stamp(), line))
            return
        m = re.match(r"^\[job ([\w.-]+)\] ?(.*)$", line)
        if m and m.group(1) in self.jobs:
            self.jobs[m.group(1)].lines.append(m.group(2))
            self.log("%s [job %s] %s" % (self.stamp(), m.group(1), m.group(2)))
            return
        m = re.match(r"^\[([\w.-]+)\] (.*)$", line)  # a guest's PV console ring, streamed by dom0
        if m and m.group(1) in self.guests:
            self.guest_line(self.guests[m.group(1)], m.group(2))
            return
        if line.startswith("(XEN)") and "Triple fault" in line and self.current:
            self.current.console.append(line)
        if not self.quiet or line.startswith("xenbox:") or "error" in line.lower():
            self.log("%s %s" % (self.stamp(), line))
        if "*** Serial input to DOM0" in line and self.phase.name == "Xen boot":
            self.phase.enter("dom0 boot", self.dom0_boot_limit)
        m = re.match(r"^xenbox: (.*)$", line)
        if m:
            self.event(m.group(1))

    def event(self, event):
        """A "xenbox: ..." line from dom0's init or the job runner."""
        if event == "dom0 up":
            self.phase.enter("dom0 services", 60)
        elif event.startswith("dom0 error"):
            self.result = (False, event)
        elif event == "all guests done":
            self.phase.enter("dom0 poweroff", 90)
        m = re.match(r"job (\S+) (start|end)\b ?(.*)$", event)
        if m and m.group(1) in self.jobs:
            self.job_event(self.jobs[m.group(1)], m.group(2), m.group(3))
        m = re.match(r"guest (\S+) (create|domid|end|timeout|failed|copied)\b ?(.*)$", event)
        if m and m.group(1) in self.guests:
            self.guest_event(self.guests[m.group(1)], m.group(2), m.group(3))
        m = re.match(r"domains left: ?(.*)$", event)
        if m:
            domains_left[:] = m.group(1).split()

    def job_event(self, j, what, rest):
        if what == "start":
            self.phase.enter("dom0 job %s" % j.name, j.timeout + 30)
            return
        j.rc = int(re.search(r"rc=(\d+)", rest).group(1))
        if j.rc in (124, 143):
            j.problem = "hung: not done within %d s (phase 'dom0 job')" % j.timeout
        self.phase.enter("dom0 services", 60)

    def guest_event(self, g, what, rest):
        g.times[what] = time.monotonic() - self.started
        if what == "create":
            self.current = g
            self.phase.enter("xl create %s" % g.name, 120)
        elif what == "domid":
            g.domid = int(rest)
            self.by_domid[g.domid] = g
            for text in self.early_lines.pop(g.domid, []):
                self.guest_line(g, text)
            self.phase.enter("guest run %s" % g.name, g.timeout + 30)
        elif what == "end":
            g.reason = re.search(r"reason=(\w+)", rest).group(1)
            self.phase.enter("copy share %s" % g.name, 60)
        elif what == "timeout":
            g.problem = "hung: no shutdown within %d s (phase 'guest run')" % g.timeout
        elif what == "failed":
            g.problem = "xl create failed: " + rest
        elif what == "copied":
            self.phase.enter("next guest", 60)

    def follow(self, qemu, total_timeout):
        """Reads QEMU's output to its end, or until a phase or the whole run times out."""
        os.set_blocking(qemu.stdout.fileno(), False)
        pending = b""
        while True:  # after a dom0 error too: what dom0 prints before it powers off is kept
            now = time.monotonic()
            if now > self.phase.deadline or now - self.started > total_timeout:
                self.result = (False, "timeout in phase '%s' after %.0f s"
                               % (self.phase.name, now - self.phase.started))
                return
            try:
                chunk = qemu.stdout.read(65536)
            except BlockingIOError:
                chunk = None
            if chunk is None:  # nothing yet
                if qemu.poll() is None:
                    time.sleep(0.05)
                    continue
                chunk = qemu.stdout.read() or b""
            if chunk == b"" and qemu.poll() is not None:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self.line(raw.decode("utf-8", "replace").rstrip("\r"))

    def verdict(self, qemu):
        if self.result is not None:
            return self.result
        if self.phase.name != "dom0 poweroff":
            return (False, "QEMU exited (status %d) during phase '%s'" % (qemu.returncode, self.phase.name))
        return (True, "QEMU exited after %.1f s" % (time.monotonic() - self.started))


def run_folder(build_dir, names):
    run_name = "-".join(names) or "empty"
    if len(run_name) > 120:  # a folder name has a limit; long runs are named by their first guest
        run_name = "%s-and-%d-more" % (names[0], len(names) - 1)
    return os.path.abspath(os.path.join(build_dir, "xen", "runs", run_name))


# A boot that never reached dom0's init (Xen or Linux stalled under TCG before any guest or job
# of ours ran) is booted once more; the first attempt's serial log is kept and its tail printed.
BOOT_PHASES = ("Xen boot", "dom0 boot")
boot_retries = []  # the first attempts' failures, for the caller's summary
# XENBOX_FORCE_BOOT_FAILURE=1: the first boot gets 1 s for dom0 (exercises the retry on purpose)
forced_boot_failures = int(os.environ.get("XENBOX_FORCE_BOOT_FAILURE", "0") or "0")


def run(guests, build_dir="build", quiet=False, shell=False, total_timeout=900, log=print, jobs=()):
    """Boots Xen, runs the dom0 jobs, then the guests, fills in their results. Returns (ok, message)."""
    names = [g.name for g in guests]
    if len(set(names)) != len(names):
        return False, "guest names must be unique: %s" % names
    global IOHOST_BINARY
    IOHOST_BINARY = os.path.join(os.path.abspath(build_dir), "bin", "iohost")
    xen_dir = build_inputs(build_dir)
    run_dir = run_folder(build_dir, names)
    for attempt in (1, 2):
        session, qemu = boot_once(xen_dir, run_dir, guests, jobs, quiet, shell, total_timeout, log)
        if shell:
            return True, "interactive session ended"
        ok, message = session.verdict(qemu)
        if ok or attempt == 2 or session.phase.name not in BOOT_PHASES:
            break
        kept = os.path.join(run_dir, "..", os.path.basename(run_dir) + "-failed-boot-serial.log")
        os.replace(os.path.join(run_dir, "serial.log"), kept)
        with open(kept, errors="replace") as f:
            tail = f.read().splitlines()[-15:]
        for line in tail:
            log("xenbox: failed boot: %s" % line)
        boot_retries.append(message)
        log("xenbox: RETRY the whole boot (first attempt: %s; its serial log: %s)" % (message, kept))
    if boot_retries and attempt == 2:
        message += " (booted twice: the first boot failed: %s)" % boot_retries[-1]
    return ok, message


def boot_once(xen_dir, run_dir, guests, jobs, quiet, shell, total_timeout, log):
    prepare_run(run_dir, guests, xen_dir, jobs)
    if shell:
        open(os.path.join(run_dir, "dom0-shell"), "w").close()
    del domains_left[:]
    session = Session(run_dir, guests, jobs, quiet, log)
    global forced_boot_failures
    if forced_boot_failures > 0:
        forced_boot_failures -= 1
        session.dom0_boot_limit = 1
    cmd = qemu_command(xen_dir, run_dir, shell, machine_mib(guests))
    log("xenbox: %s" % " ".join(cmd))
    qemu = subprocess.Popen(cmd, stdin=None if shell else subprocess.DEVNULL,
                            stdout=None if shell else subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    if shell:
        qemu.wait()
        session.close()
        return session, qemu
    try:
        session.follow(qemu, total_timeout)
        if session.result is None and qemu.poll() is None:
            session.result = (False, "QEMU did not exit (phase '%s')" % session.phase.name)
    finally:
        if qemu.poll() is None:
            os.killpg(qemu.pid, signal.SIGKILL)
        qemu.wait()
        session.close()
    log("xenbox: serial log %s" % os.path.join(run_dir, "serial.log"))
    return session, qemu


def main():
    p = argparse.ArgumentParser(description="Run one image as a guest on Xen 4.17 in QEMU.")
    p.add_argument("image")
    p.add_argument("--name")
    p.add_argument("--cmdline", default="")
    p.add_argument("--share", help="folder to seed the guest's 9p share (tag 'share') with")
    p.add_argument("--tag", action="append", default=[],
                   help="another 9pfs device (this tag) on the same share folder")
    p.add_argument("--memory", type=int, default=64)
    p.add_argument("--type", default="pvh", choices=["pvh", "pv"], help="guest type")
    p.add_argument("--backend", default="iohost", choices=["iohost", "qemu"],
                   help="who serves its 9pfs devices: iohost (default) or QEMU's xen-9pfs (xl p9=)")
    p.add_argument("--expect", default="poweroff", choices=["poweroff", "crash"])
    p.add_argument("--expect-summary", action="store_true",
                   help="fail unless the guest prints 'N passed, 0 failed'")
    p.add_argument("--timeout", type=int, default=120, help="seconds the guest may run")
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--quiet", action="store_true", help="show only guest and harness lines")
    p.add_argument("--shell", action="store_true",
                   help="interactive: after the guests, a shell in dom0 (Ctrl-a x quits QEMU)")
    a = p.parse_args()
    name = a.name or os.path.basename(a.image).split(".")[0]
    g = Guest(name, a.image, cmdline=a.cmdline, share=a.share, expect=a.expect,
              expect_summary=a.expect_summary, timeout=a.timeout, memory=a.memory, type=a.type,
              extra_tags=a.tag, backend=a.backend)
    ok, message = run([g], build_dir=a.build, quiet=a.quiet, shell=a.shell)
    if a.shell:
        return 0
    problems = ([] if ok else [message]) + g.verdict()
    print("xenbox: guest %s: domid %s, shutdown %s; share copied back to %s"
          % (g.name, g.domid, g.reason, g.share_out))
    if problems:
        print("xenbox: FAIL: " + "; ".join(problems))
        return 1
    print("xenbox: PASS (%s)" % message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
