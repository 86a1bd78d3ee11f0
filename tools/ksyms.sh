#!/usr/bin/env bash
# Writes the backtrace symbol table (.ksyms, read by kernel/symbols.cpp) for ELF $1 as
# assembly on stdout: function symbols sorted by address, demangled, names in one blob.
set -euo pipefail
if [[ $1 == --empty ]]; then  # first link pass: same symbols, no entries
  printf '\t.section .ksyms, "a"\n\t.balign 8\n\t.globl ksyms_count, ksyms_entries, ksyms_names\n'
  printf 'ksyms_count:\t.quad 0\nksyms_entries:\nksyms_names:\n'
  exit 0
fi
nm -n -C --defined-only "$1" | awk 'BEGIN { n = 0 }
  $1 ~ /^[0-9a-f]+$/ && $2 ~ /^[tTwW]$/ {
    name = $0; sub(/^[0-9a-f]+ [a-zA-Z] /, "", name)
    len[n] = length(name)
    gsub(/\\/, "\\\\", name); gsub(/"/, "\\\"", name)
    addr[n] = $1; names[n] = name; n++
  }
  END {
    print "\t.section .ksyms, \"a\""
    print "\t.balign 8"
    print "\t.globl ksyms_count, ksyms_entries, ksyms_names"
    print "ksyms_count:\t.quad " n
    print "ksyms_entries:"
    off = 0
    for (i = 0; i < n; i++) { printf "\t.quad 0x%s\n\t.long %d, 0\n", addr[i], off; off += len[i] + 1 }
    print "ksyms_names:"
    for (i = 0; i < n; i++) printf "\t.asciz \"%s\"\n", names[i]
  }'
