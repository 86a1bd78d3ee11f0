#!/usr/bin/env bash
# Bare-QEMU smoke stage: boots images with the PVH entry under qemu-system-x86_64 -machine
# microvm (no Xen) and checks what they print and the exit status they leave with.
#   tests/smoke/run.sh BUILD_DIR
set -uo pipefail
build=${1:-build}
here=$(dirname "$0")
passed=0 failed=0

# check NAME EXPECTED_STATUS IMAGE ARGS... -- PATTERN...   (each PATTERN must appear, in order)
check() {
  local name=$1 want=$2 image=$3; shift 3
  local args=() patterns=()
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  shift
  patterns=("$@")
  local out status
  out=$("$here/boot.sh" "$image" "${args[@]}" 2>&1); status=$?
  local problem=""
  [[ $status -eq $want ]] || problem="exit status $status, expected $want"
  local rest=$out
  for p in "${patterns[@]}"; do
    if [[ $rest == *"$p"* ]]; then rest=${rest#*"$p"}; else problem+="${problem:+; }missing: $p"; fi
  done
  if [[ -z $problem ]]; then
    echo "ok - $name"; passed=$((passed + 1))
  else
    echo "not ok - $name: $problem"; echo "$out" | sed 's/^/    | /'; failed=$((failed + 1))
  fi
}

hello=$build/apps/hello/hello.elf
faulty=$build/apps/faulty/faulty.elf
check "hello greets, gets its argv and memory, exits 0" 0 "$hello" one "two words" -- \
  "Hello from xenos on pvh-no-xen!" "global constructors ran: yes" 'argv[0] = "hello"' 'argv[1] = "one"' 'argv[2] = "two words"' \
  "memory: " "shutdown: exit status 0"
check "page fault is reported with cr2, registers, symbolised backtrace; status 127" 127 \
  "$faulty" page-fault -- "*** exception 14 (page fault)" "cr2) 0x1000000000: page not present, write" \
  "rip " "write_to_unmapped_memory+0x" "backtrace:" "kernel_main" "shutdown: exit status 127"
check "invalid opcode is reported; status 127" 127 "$faulty" invalid-opcode -- \
  "*** exception 6 (invalid opcode)" "execute_invalid_opcode" "shutdown: exit status 127"
# abort() is SIGABRT: status 134; isa-debug-exit carries 7 bits, so QEMU reports 134 & 0x7f = 6.
check "abort() ends the program with SIGABRT" 6 "$faulty" abort -- "killed by signal 6" \
  "shutdown: exit status 134"
check "a non-zero return from main is the exit status" 3 "$faulty" exit3 -- "shutdown: exit status 3"

echo "smoke: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
