#!/bin/busybox sh
# dom0 job for make bench: TCP over iohost's /net, side by side with dom0's own loopback, the
# sides alternating for ROUNDS rounds (default 3). The same server for both: busybox httpd in
# dom0 serving a 64 MiB file from tmpfs.
#   A. dom0: wget of the file over dom0's loopback (the ceiling; "# ceiling" lines)
#   B. a PV guest: apps/fetch of the same file through /net into /dev/null ("fetch:" lines)
#   C. a PV guest: nettest bench, 64 MiB in 1 MiB writes to a dom0 nc sink, then 100 connection
#      setups guest -> dom0 loopback -> guest ("# bench" lines)
dir=$1
rounds=${ROUNDS:-3}
. "$dir/lib.sh"
mkdir -p /srv/netbench /srv/www-bench
dd if=/dev/zero of=/srv/www-bench/zero64 bs=1048576 count=64 2>/dev/null
start_iohost /run/nb.ready /run/nb.log --export nb=/srv/netbench --net nb-net,announce=20000-20099 \
  --xen-guest netbench=share:nb,net:nb-net --xen-guest netfetch=share:nb,net:nb-net
busybox httpd -f -p 127.0.0.1:20095 -h /srv/www-bench &
server=$!
run_guest() {  # NAME: runs it to its end, prints its console
  : > "/var/log/xen/console/guest-$1.log" 2>/dev/null
  xl create "/tmp/$1.cfg" > /dev/null 2>&1 || bad "xl create $1"
  i=0; while running "$1" && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
  running "$1" && { bad "$1 did not finish"; xl destroy "$1"; }
  console_done "$1"
  cat "/var/log/xen/console/guest-$1.log"
}
guest_cfg netfetch fetch.elf 128 "xenos.mounts=share,net http://127.0.0.1:20095/zero64 /dev/null"
guest_cfg netbench nettest.elf 128 "xenos.mounts=share,net bench 20090"
wait_for 10 listening 20095 || bad "dom0's busybox httpd did not listen on 20095 in 10 s"
r=0
while [ $r -lt "$rounds" ]; do
  r=$((r + 1))
  time -p wget -q -O /dev/null http://127.0.0.1:20095/zero64 2> /tmp/time.txt
  echo "# ceiling round $r: 67108864 bytes in $(sed -n 's/^real //p' /tmp/time.txt) seconds"
  line=$(run_guest netfetch | grep "^fetch: .* bytes in")
  [ -n "$line" ] && echo "# fetch round $r: $line" || bad "round $r: fetch printed no result"
  nc -l -p 20090 > /dev/null &
  sink=$!
  wait_for 10 listening 20090 || bad "round $r: the nc sink did not listen on 20090 in 10 s"
  line=$(run_guest netbench | grep "# bench")
  [ -n "$line" ] && echo "$line" | sed "s/^# bench /# bench round $r: /" || bad "round $r: no bench line"
  kill $sink 2>/dev/null
done
kill $server
kill $iohost_pid
exit $failed
