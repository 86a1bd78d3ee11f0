#!/bin/busybox sh
# dom0 job: Linux's own 9P client (the dom0 kernel's v9fs over 9pnet_fd) against iohost on a
# unix socket. A client nobody here wrote: where it and iohost disagree, Linux is right.
#  - an export mounted with version=9p2000.L: fio (random read/write, 2 jobs, crc32c verify),
#    stress-ng's filesystem class with --verify, and files checked from dom0's side;
#  - the dev tree mounted: random reads, time parses, cons lands in iohost's log.
#  - the net tree mounted: a shell dials dom0's echo service through clone, ctl and data.
# Prints "ok - ..." / "not ok - ..." lines; exits non-zero if any failed.
dir=$1
failed=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; failed=$((failed + 1)); }
export=/run/iohost-export
mkdir -p $export /mnt/v9 /mnt/v9dev
iohost --listen unix:/run/iohost.sock --export data=$export --dev dev --net net --ready-file /run/iohost.ready \
  2> /run/iohost.log &
pid=$!
i=0
while [ ! -f /run/iohost.ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -f /run/iohost.ready ] || { bad "iohost did not start: $(cat /run/iohost.log)"; exit 1; }

if mount -t 9p -o trans=unix,version=9p2000.L,aname=data,msize=262144 /run/iohost.sock /mnt/v9; then
  ok "Linux v9fs mounts an iohost export (trans=unix, 9p2000.L)"
else
  bad "mount of the export failed"; kill $pid; exit 1
fi

echo "written by Linux" > /mnt/v9/from-linux.txt
[ "$(cat $export/from-linux.txt)" = "written by Linux" ] && ok "a file Linux writes is in the export" \
  || bad "from-linux.txt is not in the export"
mkdir -p /mnt/v9/d/e && ln -s ../from-linux.txt /mnt/v9/d/link && mv /mnt/v9/from-linux.txt /mnt/v9/d/e/moved.txt
ln /mnt/v9/d/e/moved.txt /mnt/v9/d/hard
if [ "$(readlink $export/d/link)" = "../from-linux.txt" ] && [ -f $export/d/e/moved.txt ] && \
   [ "$(stat -c %h $export/d/hard)" = 2 ] && [ "$(ls /mnt/v9/d | tr '\n' ' ')" = "e hard link " ]; then
  ok "mkdir -p, symlink, hard link, rename and readdir through v9fs"
else
  bad "mkdir/symlink/rename/readdir: $(ls -la /mnt/v9/d $export/d 2>&1 | tr '\n' ' ')"
fi
rm -rf /mnt/v9/d
[ ! -e $export/d ] && ok "rm -rf through v9fs" || bad "rm -rf left $export/d"

if fio --name=v9fs --directory=/mnt/v9 --size=8m --bs=4k --rw=randrw --numjobs=2 --ioengine=psync \
     --verify=crc32c --do_verify=1 --verify_fatal=1 --group_reporting > /tmp/fio.log 2>&1; then
  ok "fio randrw, 2 jobs, crc32c verified: $(grep -oE '(READ|WRITE): bw=[^ ]+' /tmp/fio.log | tr '\n' ' ')"
else
  bad "fio: $(tail -5 /tmp/fio.log | tr '\n' ' ')"
fi
rm -f /mnt/v9/v9fs.*

# stress-ng's filesystem class, each stressor on its own (1 instance, 1 s, --verify), so a
# failure names its stressor. Exit 3 is "skipped: unsupported here" (listed); 2 is a failure.
# Left out, measured here under TCG: link (109 s) and symlink (143 s) make 8192 links per
# round whatever the time limit (both passed; hard and symbolic links are checked above), and
# bind-mount, which stress-ng itself disables as pathological; fsize, which expects EFBIG from
# fallocate past RLIMIT_FSIZE: that limit is the client kernel's to enforce, and 6.1's v9fs
# passes such a fallocate on (seen in 1 of 3 runs, depending on how far the 1 s run gets).
STRESS_SKIP=${STRESS_SKIP-"link symlink bind-mount fsize"}
mkdir -p /mnt/v9/stress
stressors=$(stress-ng --class 'filesystem?' 2>&1 | sed 's/.*stressors: //')
passed_s="" skipped_s="" failed_s=""
for s in $stressors; do
  case " $STRESS_SKIP " in *" $s "*) continue ;; esac
  # dentry makes 2048 files per round by default and checks its 1 s limit only between rounds:
  # one round took 30-59 s here under TCG (and over 60 s once, in CI). 256 per round keep its
  # checks (create, stat, unlink) at an eighth of the time.
  extra=""
  [ $s = dentry ] && extra="--dentries 256"
  t0=$(date +%s)
  # A stressor that does not end is a failure that names it, not a hung job (seen once, on a
  # machine busy with other work: the job was killed at its limit with no word of which one).
  timeout -s KILL 60 stress-ng --$s 1 $extra --timeout 1 --verify --temp-path /mnt/v9/stress > /tmp/stress-$s.log 2>&1
  rc=$?
  [ $rc = 137 ] && { failed_s="$failed_s $s(still running after 60 s)"; pkill -KILL stress-ng 2>/dev/null; continue; }
  t=$(( $(date +%s) - t0 ))
  if [ $rc = 0 ] && ! grep -qE 'stress-ng: fail:|unsuccessful' /tmp/stress-$s.log; then
    passed_s="$passed_s $s(${t}s)"
  elif [ $rc = 3 ] || grep -q 'No stress workers invoked' /tmp/stress-$s.log; then
    skipped_s="$skipped_s $s"
  else
    failed_s="$failed_s $s"
    echo "--- stress-ng --$s: rc $rc"; grep -E 'fail|error' /tmp/stress-$s.log | head -5
  fi
done
if [ -z "$failed_s" ]; then
  ok "stress-ng --class filesystem --verify: passed:$passed_s; skipped as unsupported:${skipped_s:- none}"
else
  bad "stress-ng stressors failed:$failed_s (passed:$passed_s)"
fi
rm -rf /mnt/v9/stress
umount /mnt/v9 && ok "umount" || bad "umount failed"

if mount -t 9p -o trans=unix,version=9p2000.L,aname=dev /run/iohost.sock /mnt/v9dev; then
  n=$(head -c 4096 /mnt/v9dev/random | wc -c)
  a=$(head -c 64 /mnt/v9dev/random | od -An -tx1 | tr -d ' \n')
  b=$(head -c 64 /mnt/v9dev/random | od -An -tx1 | tr -d ' \n')
  [ "$n" = 4096 ] && [ "$a" != "$b" ] && ok "dev/random through v9fs: 4096 bytes, two reads differ" \
    || bad "dev/random: $n bytes, $a vs $b"
  set -- $(cat /mnt/v9dev/time)
  [ "$4" = 1000000000 ] && [ "$1" -gt 1600000000 ] && ok "dev/time: $1 s since the epoch" || bad "dev/time: $*"
  echo "hello from Linux" > /mnt/v9dev/cons
  sleep 0.2
  grep -q "cons .*: hello from Linux" /run/iohost.log && ok "dev/cons lands in iohost's log with the client's name" \
    || bad "cons line not in the log: $(tail -3 /run/iohost.log)"
  umount /mnt/v9dev
else
  bad "mount of the dev tree failed"
fi

# The net tree as Plan 9 uses it, from a shell on Linux's v9fs: clone, ctl, data. The peer is
# dom0's echo service (busybox nc -e cat on port 20099, started by dom0-init).
mkdir -p /mnt/v9net
if mount -t 9p -o trans=unix,version=9p2000.L,aname=net,cache=none /run/iohost.sock /mnt/v9net; then
  exec 3<> /mnt/v9net/tcp/clone
  read -r conv <&3
  echo "connect 127.0.0.1!20099" >&3
  status=$(cat /mnt/v9net/tcp/$conv/status)
  exec 4<> /mnt/v9net/tcp/$conv/data
  echo "through /net from a shell" >&4
  # Linux's v9fs reads until the buffer is full (p9_client_read loops): on a stream, read exactly
  # what is expected, or the read waits for more (Plan 9's mount driver returns after one Tread).
  answer=$(timeout 10 dd bs=26 count=1 2>/dev/null <&4)
  exec 4>&- 3>&-
  [ "$status" = Established ] && [ "$answer" = "through /net from a shell" ] \
    && ok "Linux v9fs as a /net client: a shell dials through tcp/clone and ctl, echoes through data" \
    || bad "/net from a shell: status '$status', answer '$answer'"
  umount /mnt/v9net 2>/dev/null || umount -l /mnt/v9net  # lazily if a closed fd is still being released
else
  bad "mount of the net tree failed"
fi

kill -0 $pid 2>/dev/null && ok "iohost still running after all of it" || bad "iohost died: $(tail -5 /run/iohost.log)"
kill $pid
cp /run/iohost.log /tmp/fio.log /tmp/stress-*.log "$dir/" 2>/dev/null  # for a look afterwards
echo "--- iohost log (last 20 lines)"
tail -20 /run/iohost.log
exit $failed
