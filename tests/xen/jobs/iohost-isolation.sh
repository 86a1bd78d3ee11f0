#!/bin/busybox sh
# dom0 job: one iohost, guests running at once, and a share that appears after boot.
#  1. A guest (cat, PV) is created with no 9pfs device at all and xenos.mounts=share. Only once it
#     says it is waiting is iohost started: iohost attaches to the running domain, the guest's
#     frontend sees the device appear, mounts it and prints the file.
#  2. p9test runs in full as "bystander" (first 8 s of write/read/verify: "soak 8"; both created
#     paused until iohost has attached, as p9test opens its shares at once) while "victim"
#     (p9test hostile) breaks the ring protocol
#     four ways, one per device (tests/xen/... p9test's hostile mode), then opens files until its
#     budget of host descriptors (--client-descriptors 256) says EMFILE. iohost must close each of
#     the victim's devices with a log line naming the fault, the victim's requests must fail
#     instead of hanging, and the bystander's suite must pass untouched. No zombie afterwards.
dir=$1
. "$dir/lib.sh"
for d in late bystander victim; do
  mkdir -p "/srv/iso/$d" && echo "seeded by the host" > "/srv/iso/$d/from-host.txt"
done

# ---- 1. a share that appears after boot ----
guest_cfg late cat.elf 32 "xenos.mounts=share from-host.txt"
xl create /tmp/late.cfg > /tmp/late.create 2>&1 || bad "xl create late: $(cat /tmp/late.create)"
if wait_for 30 console_has late "waiting up to"; then
  ok "a guest whose share is not there yet waits for it (no device when it booted)"
else
  bad "the late guest never said it waits for its share"; show late
fi
start_iohost /run/iso.ready /run/iso.log --export late=/srv/iso/late --export by=/srv/iso/bystander \
  --export v=/srv/iso/victim --client-descriptors 256 --xen-guest late=share:late --xen-guest bystander=share:by,share-u:by \
  --xen-guest victim=index:v,huge:v,tiny:v,endless:v
wait_for 30 not_running late || { bad "the late guest did not finish in 30 s"; xl destroy late; }
console_done late
if console_has late "seeded by the host"; then
  ok "iohost attached to the running domain; the guest mounted the share and read it"
else
  bad "the late guest did not print its share's file"; show late
fi

# ---- 2. a hostile guest next to a well-behaved one ----
guest_cfg bystander p9test.elf 128 "xenos.mounts=none soak 8"  # 8 s of I/O first: the victim runs meanwhile
guest_cfg victim p9test.elf 64 "xenos.mounts=none hostile"
create_attached bystander  # p9test opens its shares at once: they must be there
wait_for 60 console_has bystander "# rings" || bad "the bystander never connected its share"
create_attached victim
wait_for 90 not_running victim || { bad "the victim did not finish in 90 s"; xl destroy victim; }
if running bystander; then
  ok "the two guests ran at once (the bystander was still running when the victim ended)"
else
  bad "the bystander ended before the victim: the test did not overlap them"
fi
wait_for 240 not_running bystander || { bad "the bystander did not finish in 240 s"; xl destroy bystander; }
console_done victim
console_done bystander
show victim
if console_has victim "6 passed, 0 failed"; then
  ok "the victim's four ring abuses each closed its device, its requests failed instead of hanging, it reconnected, and past its budget of host descriptors it got EMFILE while the bystander went on"
else
  bad "the victim's hostile suite did not pass"
fi
closed=$(grep -c "guest victim (domain [0-9]*) share [a-z]*: closed: " /run/iso.log)
for reason in "claim more than the ring holds" "larger than the ring" "below a 9P header" "above msize"; do
  grep "guest victim" /run/iso.log | grep -q "closed: .*$reason" || bad "iohost's log lacks a close for: $reason"
done
[ "$closed" = 4 ] && ok "iohost logged each of the four closes with its reason" \
  || bad "iohost logged $closed closes of the victim's devices, not 4"
if console_has bystander "passed, 0 failed" && ! grep -q "guest bystander.*closed" /run/iso.log; then
  ok "the bystander's full p9test (and 8 s of I/O around the abuses) passed: $(console bystander | grep -o '[0-9]* passed, 0 failed')"
else
  bad "the bystander was disturbed"; show bystander
fi
sleep 1
left=$(zombies)
[ -z "$left" ] && ok "no zombie domain: every grant of the three guests unmapped" || bad "domains left: $left"
kill $iohost_pid
wait $iohost_pid 2>/dev/null
sed 's/^/# iohost: /' /run/iso.log
exit $failed
