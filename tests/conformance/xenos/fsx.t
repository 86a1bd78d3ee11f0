#!/bin/sh
# File data through the mount, checked byte for byte: fsx.c (this folder) writes, reads,
# truncates, syncs and reopens one file at random, every read compared with a copy in memory.
# Fixed seeds, so a failure can be run again (`fsx -S SEED`), and one from the clock (printed).

echo "1..5"
n=0
check() {
  n=$((n + 1))
  desc=$1
  shift
  out=/tmp/fsx.$$.$n
  if "$@" > "$out" 2>&1; then
    echo "ok $n - $desc"
  else
    echo "not ok $n - $desc"
    { head -n 1 "$out"; tail -n 12 "$out"; } | sed 's/^/# /'
  fi
  rm -f "$out"
}
check "600 operations on a file up to 256 KiB, seed 1" fsx -N 600 -S 1 fsx.1
check "600 operations with a second descriptor appending, seed 2" fsx -N 600 -S 2 -a fsx.2
check "600 operations of up to 64 bytes on a file up to 1 KiB, seed 3" fsx -N 600 -S 3 -l 1024 -o 64 fsx.3
check "60 operations of up to 1 MiB on a file up to 4 MiB, seed 4" fsx -N 60 -S 4 -l 4194304 -o 1048576 fsx.4
check "600 operations, a seed from the clock" fsx -N 600 -a fsx.5
