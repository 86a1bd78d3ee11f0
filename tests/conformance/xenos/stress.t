#!/bin/sh
# fsstress's job with Debian's stress-ng: many kinds of file-system calls (files, folders,
# renames, links, modes, owners, times, locks, seeks, holes, readahead), each stressor bounded
# by a count of operations, with --verify where the stressor checks what it reads back. A
# stressor passes when stress-ng says so (exit 0); one that says "not implemented" or "no
# resource" here (exit 3 or 4) is a failure too: a 9P mount should do what ext4 does.

stressors="
hdd 1 --hdd-ops 8 --hdd-bytes 1M --hdd-write-size 16K --hdd-opts wr-rnd,rd-rnd
hdd 1 --hdd-ops 8 --hdd-bytes 1M --hdd-write-size 4K --hdd-opts wr-seq,rd-seq,fsync
iomix 1 --iomix-ops 8 --iomix-bytes 1M
seek 1 --seek-ops 100 --seek-size 1M --seek-punch
readahead 1 --readahead-ops 4 --readahead-bytes 1M
fallocate 1 --fallocate-ops 2 --fallocate-bytes 1M
dir 1 --dir-ops 4 --dir-dirs 64
dirdeep 1 --dirdeep-ops 8 --dirdeep-dirs 4
dirmany 1 --dirmany-ops 8
rename 2 --rename-ops 20
chmod 2 --chmod-ops 20
chown 2 --chown-ops 20
utime 1 --utime-ops 50
dentry 1 --dentry-ops 1 --dentries 64
filename 1 --filename-ops 4
fstat 1 --fstat-ops 4 --fstat-dir .
lockf 2 --lockf-ops 50
flock 2 --flock-ops 50
"
count=$(echo "$stressors" | grep -c .)
echo "1..$count"
n=0
echo "$stressors" | grep . | while read -r line; do
  n=$((n + 1))
  out=/tmp/stress.$$.$n
  # shellcheck disable=SC2086  # the line is the options
  read -r start _ < /proc/uptime
  stress-ng --temp-path . --verify --timeout 120s --metrics-brief --$line > "$out" 2>&1
  status=$?
  read -r end _ < /proc/uptime
  took=$(awk "BEGIN { printf \"%.1f s\", $end - $start }")
  if [ "$status" = 0 ]; then
    echo "ok $n - stress-ng --$line ($took)"
  else
    echo "not ok $n - stress-ng --$line (exit $status, $took)"
    { grep -E "fail|error|FAIL" "$out" || tail -n 4 "$out"; } | head -n 6 | sed "s/^/# /"
  fi
  rm -f "$out"
done
