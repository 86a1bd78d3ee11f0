#!/bin/busybox sh
# dom0 job for make bench: the ceilings the guests' file figures are measured against, in the
# same harness run. dom0 itself writes and reads a 16 MiB file with dd bs=1M on the filesystem
# the guests' shares live on (/srv: dom0's rootfs, so the page cache), ROUNDS times (default 3).
# Lines: "# dd round N: write|read BYTES bytes in SECONDS seconds".
dir=$1
rounds=${ROUNDS:-3}
. "$dir/lib.sh"
mkdir -p /srv/dd-limits
r=0
while [ $r -lt "$rounds" ]; do
  r=$((r + 1))
  rm -f /srv/dd-limits/f
  time -p sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    dd if=/dev/zero of=/srv/dd-limits/f bs=1048576 count=16 2>/dev/null; done' 2> /tmp/dd-time.txt
  echo "# dd round $r: write 335544320 bytes in $(sed -n 's/^real //p' /tmp/dd-time.txt) seconds"
  time -p sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    dd if=/srv/dd-limits/f of=/dev/null bs=1048576 2>/dev/null; done' 2> /tmp/dd-time.txt
  echo "# dd round $r: read 335544320 bytes in $(sed -n 's/^real //p' /tmp/dd-time.txt) seconds"
  [ "$(wc -c < /srv/dd-limits/f)" = 16777216 ] && ok "dd round $r: 16 MiB written and read" ||
    bad "dd round $r: the file is not 16 MiB"
done
rm -rf /srv/dd-limits
exit $failed
