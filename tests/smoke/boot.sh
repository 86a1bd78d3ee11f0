#!/usr/bin/env bash
# Boots an image directly under QEMU (PVH entry via -kernel, no Xen), console on stdout.
# Exits with the guest's exit status (isa-debug-exit gives QEMU (status << 1) | 1);
# a triple fault or reset is reported and gives 125, a hang past $BOOT_TIMEOUT gives 124.
#   tests/smoke/boot.sh IMAGE [ARGS...]
set -uo pipefail
image=$1; shift
timeout_s=${BOOT_TIMEOUT:-30}
cmdline=""  # an argument with blanks is quoted, as the kernel's splitter expects
for a in "$@"; do [[ $a == *[[:space:]]* ]] && a="\"$a\""; cmdline+="${cmdline:+ }$a"; done
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 -machine microvm -accel tcg -m 128M \
  -nodefaults -display none -no-reboot -debugcon stdio \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$image" -append "$cmdline" </dev/null
rc=$?
if [[ $rc -eq 124 ]]; then echo "boot: guest hung: no exit within ${timeout_s} s" >&2; exit 124; fi
if (( rc % 2 == 0 )); then echo "boot: QEMU exited with $rc: guest reset or triple-faulted" >&2; exit 125; fi
exit $(( rc >> 1 ))
