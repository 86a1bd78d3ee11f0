#!/usr/bin/env python3
"""The Xen stage of `make test`: our images as PVH and PV guests on Xen 4.17 in the harness, all
in one Xen boot. Their 9pfs devices are served by iohost (the harness's default backend); p9test
runs once more on QEMU's xen-9pfs backend (an xl p9= entry) so both backends stay proven.
Each check prints "ok - ..." or "not ok - ...", and the stage ends with
"xen: N passed, N failed".

    tests/xen/xen_test.py [BUILD_DIR]
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xenbox  # noqa: E402
import programs  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(xenbox.ROOT, "build"))
image = lambda app: os.path.join(build, "apps", app, app + ".elf")
results = []


def check(name, problems):
    results.append(not problems)
    print(("ok - %s" % name) if not problems else ("not ok - %s: %s" % (name, "; ".join(problems))))


# Programs from Debian's sources (tests/programs/build.sh), built with the SDK before the boot.
programs_built, programs_log = programs.build(build)
for line in programs_log.splitlines():
    print("# " + line)
lua = programs.Lua(build)

seed = xenbox.seeded_share("xenbox-seed-", files=[("sub/deep.bin", bytes(range(256)) * 64)])

hello = xenbox.Guest("hello", image("hello"), cmdline="one 'two words'", share=seed,
                     must_print=["Hello from xenos on xen-pvh!", 'argv[0] = "hello"',
                                 'argv[1] = "one"', 'argv[2] = "two words"',
                                 "shutdown: poweroff (exit status 0)"])
crash = xenbox.Guest("faulty-crash", image("faulty"), cmdline="page-fault", expect="crash",
                     must_print=["*** exception 14 (page fault)", "write_to_unmapped_memory",
                                 "backtrace:", "shutdown: crash (exit status 127)"])
status = xenbox.Guest("faulty-exit3", image("faulty"), cmdline="exit3", expect="crash",
                      must_print=["shutdown: crash (exit status 3)"])
hang = xenbox.Guest("faulty-hang", image("faulty"), cmdline="hang", timeout=15)
reboot = xenbox.Guest("faulty-reboot", image("faulty"), cmdline="reboot", expect="reboot",
                      must_print=["shutdown: reboot"])
selftest = xenbox.Guest("selftest", image("selftest"), expect_summary=True, timeout=90)
p9seed = xenbox.seeded_share("xenbox-p9-")
p9test = xenbox.Guest("p9test", image("p9test"), share=p9seed, extra_tags=["share-u"],
                      cmdline="xenos.mounts=none", expect_summary=True, timeout=120, memory=128, net=True)
fsseed = xenbox.seeded_share("xenbox-fs-", folders=["u2"])
fstest = xenbox.Guest("fstest", image("fstest"), share=fsseed, extra_tags=["second:u2"],
                      expect_summary=True, timeout=120, memory=128)
appseed = xenbox.seeded_share("xenbox-apps-", files=[("sub/deeper/data.bin", b"x" * 12345)])
cat = xenbox.Guest("cat", image("cat"), cmdline="from-host.txt /mnt/share/sub/deeper/../../from-host.txt",
                   share=appseed, must_print=["seeded by the host\nseeded by the host"])
ls = xenbox.Guest("ls", image("ls"), cmdline="/fs", share=appseed,
                  must_print=["/fs/sub/", "12345 /fs/sub/deeper/data.bin", "19 /fs/from-host.txt"])
cp = xenbox.Guest("cp", image("cp"), cmdline="sub/deeper/data.bin copied.bin", share=appseed,
                  must_print=["cp: 12345 bytes sub/deeper/data.bin -> copied.bin"])
wcseed = tempfile.mkdtemp(prefix="xenbox-wc-")
with open(os.path.join(wcseed, "input.txt"), "w") as f:
    f.write("the quick brown fox jumps over the lazy dog\nThe dog barks; the fox runs.\n")
wordcount = xenbox.Guest("wordcount", image("wordcount"), share=wcseed,
                         must_print=["wordcount: 10 distinct words in input.txt"])
wc_missing = xenbox.Guest("wordcount-missing", image("wordcount"), cmdline="missing.txt", share=wcseed,
                          expect="crash", must_print=["wordcount: cannot open missing.txt"])
# The same suites as PV guests: one image boots both ways.
selftest_pv = xenbox.Guest("selftest-pv", image("selftest"), type="pv", expect_summary=True, timeout=90)
p9test_pv = xenbox.Guest("p9test-pv", image("p9test"), type="pv", share=p9seed, extra_tags=["share-u"],
                         cmdline="xenos.mounts=none", expect_summary=True, timeout=120, memory=128, net=True)
fstest_pv = xenbox.Guest("fstest-pv", image("fstest"), type="pv", share=fsseed, extra_tags=["second:u2"],
                         expect_summary=True, timeout=120, memory=128)
hello_pv = xenbox.Guest("hello-pv", image("hello"), type="pv", must_print=["Hello from xenos on xen-pv!"])
crash_pv = xenbox.Guest("faulty-crash-pv", image("faulty"), type="pv", cmdline="page-fault", expect="crash",
                        must_print=["*** exception 14 (page fault)", "cr2) 0x1000000000", "write_to_unmapped_memory",
                                    "shutdown: crash (exit status 127)"])
# QEMU's xen-9pfs backend (plain `xl p9=[...]` configs) stays proven by one p9test.
p9test_qemu = xenbox.Guest("p9test-qemu", image("p9test"), share=p9seed, extra_tags=["share-u"],
                           cmdline="xenos.mounts=none", expect_summary=True, timeout=120, memory=128,
                           backend="qemu")
# BSD sockets over iohost's /net (the guest's device "net", mounted at /net), PVH and PV.
nettest = xenbox.Guest("nettest", image("nettest"), net=True, expect_summary=True, timeout=180, memory=128)
nettest_pv = xenbox.Guest("nettest-pv", image("nettest"), type="pv", net=True, expect_summary=True, timeout=180,
                          memory=128)
guests = [selftest, p9test, fstest, cat, ls, cp, wordcount, wc_missing, hello, crash, status, reboot,
          selftest_pv, p9test_pv, fstest_pv, hello_pv, crash_pv, p9test_qemu, nettest, nettest_pv, hang]
guests += [p.guest for p in (lua,) if p.guest]

# dom0 itself: Linux's v9fs against iohost (tests/xen/jobs/v9fs-iohost.sh), before the guests.
v9fs = xenbox.Dom0Job("v9fs-iohost", os.path.join(xenbox.HERE, "jobs", "v9fs-iohost.sh"),
                      programs=[os.path.join(build, "bin", "iohost"), "/usr/bin/fio", "/usr/bin/stress-ng"],
                      timeout=400)

# Guest after guest served by one iohost: no zombie, memory flat (12 here; make bench runs 50).
cycles_file = os.path.join(tempfile.mkdtemp(prefix="xenbox-cycles-"), "cycles")
with open(cycles_file, "w") as f:
    f.write("12\n")
cycles = xenbox.Dom0Job("iohost-cycles", os.path.join(xenbox.HERE, "jobs", "iohost-cycles.sh"),
                        programs=[os.path.join(build, "bin", "iohost")], files=[image("hello"), cycles_file],
                        timeout=300)

# Guests at once on one iohost: a share that appears after boot, and a guest breaking its ring
# four ways next to one running p9test in full (tests/xen/jobs/iohost-isolation.sh).
isolation = xenbox.Dom0Job("iohost-isolation", os.path.join(xenbox.HERE, "jobs", "iohost-isolation.sh"),
                           programs=[os.path.join(build, "bin", "iohost")], files=[image("p9test"), image("cat")],
                           timeout=420)

# HTTP over iohost's /net: apps/httpd in a guest served to dom0's wget and nc; apps/fetch in a
# guest downloading from busybox httpd in dom0 (tests/xen/jobs/http.sh).
http = xenbox.Dom0Job("http", os.path.join(xenbox.HERE, "jobs", "http.sh"),
                      programs=[os.path.join(build, "bin", "iohost")], files=[image("httpd"), image("fetch")],
                      timeout=300)

# Failure and recovery: apps/faulttest (PV and PVH) while iohost is killed, restarted, stopped and
# continued when the guest asks, then the leak cycles (tests/xen/jobs/faulttest.sh). make test
# runs the leak with fewer cycles than the 10,000/1,000 (make bench runs those:
# tests/bench/xen_leak.py).
leak_file = os.path.join(tempfile.mkdtemp(prefix="xenbox-leak-"), "leak")
with open(leak_file, "w") as f:
    f.write(os.environ.get("FAULTTEST_LEAK", "1000 50") + "\n")
faults = xenbox.Dom0Job("faulttest", os.path.join(xenbox.HERE, "jobs", "faulttest.sh"),
                        programs=[os.path.join(build, "bin", "iohost")], files=[image("faulttest"), leak_file],
                        timeout=600)

ok, message = xenbox.run(guests, build_dir=build, quiet=True, jobs=[v9fs, cycles, isolation, http, faults])

# PVH guests under QEMU's software emulation of nested virtualisation occasionally die or stall
# (../shared/facts/xen-in-qemu.md). A guest that failed where it should have passed gets one
# more try in a second Xen boot; the retry and the first failure are printed, never hidden.
retried = {}
for g in guests:  # XEN_TEST_FORCE_RETRY=name: exercise this path without waiting for a flake
    if g.name in os.environ.get("XEN_TEST_FORCE_RETRY", "").split(","):
        g.problem = "forced by XEN_TEST_FORCE_RETRY"
failed_first = [g for g in guests if g is not hang and g.verdict()]
if failed_first and len(failed_first) <= 3:
    again = []
    for g in failed_first:
        retried[g.name] = "; ".join(g.verdict())
        print("xen: RETRY %s (first attempt: %s)" % (g.name, retried[g.name]))
        fresh = xenbox.Guest(g.name, g.image, cmdline=g.cmdline, share=g.share, expect=g.expect,
                             expect_summary=g.expect_summary, timeout=g.timeout, memory=g.memory,
                             must_print=g.must_print, type=g.type, extra_tags=g.extra_tags,
                             backend=g.backend, net=g.net)
        again.append(fresh)
    ok2, message2 = xenbox.run(again, build_dir=build, quiet=True)
    for original, fresh in zip(failed_first, again):
        original.__dict__.update(fresh.__dict__)  # the checks below judge the retry
    print("xen: retry run: %s" % message2)
check("Xen 4.17 and dom0 boot, run every guest and power off (%s)" % message, [] if ok else [message])
check("no zombie domain after the guests (iohost unmapped every grant): xl list shows %s"
      % (" ".join(xenbox.domains_left) or "nothing"),
      [] if xenbox.domains_left == ["Domain-0"] else ["domains left: %s" % xenbox.domains_left])
for name, problems in v9fs.results():
    check("dom0, Linux v9fs against iohost: " + name, problems)
for name, problems in cycles.results():
    check("dom0, iohost as the backend of guest after guest: " + name, problems)
for name, problems in isolation.results():
    check("dom0, guests at once on one iohost: " + name, problems)
for name, problems in http.results():
    check("dom0, HTTP with guest apps over /net: " + name, problems)
for name, problems in faults.results():
    check("dom0, iohost killed and restarted under guests: " + name, problems)
check("hello runs as a PVH guest, prints its greeting and argv through Xen, powers off",
      hello.verdict())
check("a page fault is reported (exception, backtrace) and the domain crashes", crash.verdict())
check("a non-zero exit status shuts the domain down as crashed", status.verdict())
check("xenos_reboot() shuts the domain down with reason reboot", reboot.verdict())
check("selftest (Xen core services, in the guest) passes: %s" % (
      "%d passed, %d failed" % selftest.summary if selftest.summary else "no summary"),
      selftest.verdict())
ring_log = os.path.join(os.path.dirname(selftest.share_out or ""), "console-ring.log")
ring_text = open(ring_log, errors="replace").read() if os.path.isfile(ring_log) else ""
check("p9test (lib9p over Xen 9pfs to iohost) passes: %s" % (
      "%d passed, %d failed" % p9test.summary if p9test.summary else "no summary"), p9test.verdict())
for g in (p9test, p9test_pv):
    check("%s: iohost's /net over the guest's rings: tcp through dom0's loopback, a parked listen flushed"
          % g.name, [] if any("iohost's /net" in l and l.startswith("ok ") for l in g.console)
          else ["no passing /net test on the console"])


def p9_pattern(n):
    return bytes(((i * 131 + (i >> 12)) & 0xff) for i in range(n))


out = p9test.share_out or ""
written = os.path.join(out, "from-guest.txt")
big = os.path.join(out, "big-from-guest.bin")
problems = []
if not os.path.isfile(written) or open(written).read() != "written by the xenos guest over 9pfs\n":
    problems.append("from-guest.txt missing or wrong")
if not os.path.isfile(big) or os.path.getsize(big) != 3 * 1024 * 1024 + 12345:
    problems.append("big-from-guest.bin missing or of the wrong size")
elif open(big, "rb").read() != p9_pattern(3 * 1024 * 1024 + 12345):
    problems.append("big-from-guest.bin has the wrong bytes")
if os.path.exists(os.path.join(out, "threads")) or os.path.exists(os.path.join(out, "many")):
    problems.append("the suite's scratch folders were not removed")
check("on the host: the files the guest wrote over 9pfs are there with the right bytes", problems)
bench = [l for l in p9test.console if l.startswith("# bench ")]
if bench:
    print("# p9test %s" % bench[-1][2:])

check("fstest (namespace and libc file calls over 9pfs) passes: %s" % (
      "%d passed, %d failed" % fstest.summary if fstest.summary else "no summary"), fstest.verdict())
fsout = fstest.share_out or ""
problems = []
out_txt = os.path.join(fsout, "fstest-out.txt")
if (open(out_txt).read() if os.path.isfile(out_txt) else "") != \
        "line 1 from fstest\nline 2 from fstest\nline 3 from fstest\n":
    problems.append("fstest-out.txt missing or wrong")
if not os.path.isfile(os.path.join(fsout, "renamed.txt")) or open(os.path.join(fsout, "renamed.txt")).read() != "renamed":
    problems.append("renamed.txt missing or wrong")
if not os.path.isfile(os.path.join(fsout, "u2", "only-in-second.txt")):
    problems.append("u2/only-in-second.txt (written through the second share) missing")
for gone in ("a.txt", "b.txt", "to-rename.txt", "dir", "created-in-union.txt"):
    if os.path.exists(os.path.join(fsout, gone)):
        problems.append(gone + " should have been removed")
check("on the host: what fstest wrote, renamed and removed through the namespace", problems)

check("cat, ls and cp run on the namespace: %s" % ", ".join(g.name for g in (cat, ls, cp)),
      cat.verdict() + ls.verdict() + cp.verdict())
copied = os.path.join(cp.share_out or "", "copied.bin")
check("on the host: cp's copy is there, byte for byte",
      [] if os.path.isfile(copied) and open(copied, "rb").read() == b"x" * 12345 else ["copied.bin missing or wrong"])

for g in (selftest_pv, p9test_pv, fstest_pv):
    check("%s as PV passes: %s" % (g.name.replace("-pv", ""), "%d passed, %d failed" % g.summary
                                   if g.summary else "no summary"), g.verdict())
check("hello boots as PV; a PV page fault is reported with its address and crashes the domain",
      hello_pv.verdict() + crash_pv.verdict())
pv_big = os.path.join(p9test_pv.share_out or "", "big-from-guest.bin")
check("on the host: the PV guest's 9pfs writes are there with the right bytes",
      [] if os.path.isfile(pv_big) and open(pv_big, "rb").read() == p9_pattern(3 * 1024 * 1024 + 12345)
      else ["big-from-guest.bin from p9test-pv missing or wrong"])
pv_bench = [l for l in p9test_pv.console if l.startswith("# bench ")]
if pv_bench:
    print("# p9test-pv %s" % pv_bench[-1][2:])

check("p9test on QEMU's xen-9pfs backend passes: %s" % (
      "%d passed, %d failed" % p9test_qemu.summary if p9test_qemu.summary else "no summary"), p9test_qemu.verdict())
qemu_big = os.path.join(p9test_qemu.share_out or "", "big-from-guest.bin")
check("on the host: what p9test wrote through QEMU's backend is there with the right bytes",
      [] if os.path.isfile(qemu_big) and open(qemu_big, "rb").read() == p9_pattern(3 * 1024 * 1024 + 12345)
      else ["big-from-guest.bin from p9test-qemu missing or wrong"])
qemu_bench = [l for l in p9test_qemu.console if l.startswith("# bench ")]
if qemu_bench:
    print("# p9test-qemu %s" % qemu_bench[-1][2:])

for g in (nettest, nettest_pv):
    check("%s (BSD sockets over iohost's /net: tcp, udp, getaddrinfo via cs, 50 connections) passes: %s"
          % (g.name, "%d passed, %d failed" % g.summary if g.summary else "no summary"),
          g.verdict() + ([] if g.summary and g.summary[0] >= 11 else ["fewer than 11 tests ran"]))
    net_bench = [l for l in g.console if l.startswith("# bench ")]
    if net_bench:
        print("# %s %s" % (g.name, net_bench[-1][2:]))

report = os.path.join(wordcount.share_out or "", "wordcount.txt")
report_text = open(report).read() if os.path.isfile(report) else ""
check("wordcount (C++: iostream, fstream, std::map) writes its report through the namespace",
      wordcount.verdict() + ([] if report_text.startswith("words: 15\ndistinct: 10\n4 the\n")
                             else ["report is %r" % report_text[:80]]))
check("a C++ exception thrown in an app is caught by the app (wordcount of a missing file)",
      wc_missing.verdict())

check("the PV console ring carries the app's output (xenconsoled's log of selftest)",
      [] if "passed, 0 failed" in ring_text and "ok 1 - " in ring_text
      else ["%s lacks the suite's lines" % ring_log])

hang_problems = hang.verdict()
check("a hung guest is stopped at its timeout and the failure names the phase",
      [] if any("hung" in p and "guest run" in p for p in hang_problems)
      else ["expected a 'hung ... guest run' failure, got %s" % hang_problems])

hello.expect_summary = True  # the harness's judgement of a suite that never printed its summary
check("a guest without the 'N passed, N failed' line fails when a summary is expected",
      [] if any("no 'N passed, N failed' line" in p for p in hello.verdict())
      else ["verdict was %s" % hello.verdict()])

copied = os.path.join(hello.share_out or "", "sub", "deep.bin")
same = os.path.isfile(copied) and open(copied, "rb").read() == bytes(range(256)) * 64
check("the guest's share travels host -> dom0 /srv -> host and comes back byte for byte",
      [] if same else ["%s missing or different" % copied])

check("programs from Debian's source packages build with the SDK (tests/programs/build.sh)",
      [] if programs_built else [programs_log.splitlines()[-1] if programs_log else "it failed"])
for p in (lua,):
    if p.skip:
        print("skip - %s: %s" % (p.name, p.skip))
    for name, problems in p.checks():
        check(name, problems)

for name, first in retried.items():
    print("# retried %s once; its first attempt failed: %s" % (name, first))
passed = sum(results)
print("xen: %d passed, %d failed%s" % (passed, len(results) - passed,
                                      " (%d guest(s) retried once, see above)" % len(retried) if retried else ""))
sys.exit(0 if passed == len(results) else 1)
