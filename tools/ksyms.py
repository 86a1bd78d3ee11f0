#!/usr/bin/env python3
"""Writes the backtrace symbol table (.ksyms, read by kernel/symbols.cpp) for an ELF as assembly
on stdout. The table is a large part of a small image, so it is compact; it is only read when
something has gone wrong, so it is read by a linear scan:

  ksyms_count   the number of records
  ksyms_stream  records in address order: the address's distance from the previous record's
                (LEB128), then the name, NUL-terminated, in which a byte >= 0x80 stands for
                ksyms_tokens[byte - 0x80]
  ksyms_tokens  up to 128 frequent name pieces ("std::", "Namespace::", "unsigned"...),
                NUL-terminated, then an empty one

Names are demangled without parameter lists, std::string and friends spelled as in source, and
GCC's clone suffixes dropped (a clone's offsets still say where in it the address is).

    tools/ksyms.py IMAGE.elf      the table for IMAGE's functions
    tools/ksyms.py --empty        the same symbols with no records (the first link pass)
"""
import collections
import re
import subprocess
import sys

HEADER = '\t.section .ksyms, "a"\n\t.balign 8\n\t.globl ksyms_count, ksyms_stream, ksyms_tokens\n'
SHORTER = [
    (re.compile(r"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"), "std::string"),
    (re.compile(r"std::basic_string_view<char, std::char_traits<char> >"), "std::string_view"),
    (re.compile(r", 18446744073709551615ul>"), ">"),  # std::span's dynamic extent
    (re.compile(r" \[clone [^\]]*\]"), ""),
]
ALLOCATOR = re.compile(r", std::allocator<[^<>]*(?:<[^<>]*(?:<[^<>]*>[^<>]*)*>[^<>]*)*> >")
PIECE = re.compile(r"[A-Za-z0-9_]+(?:::)?|::|, |.")
MAX_TOKENS = 128


def function_symbols(image):
    nm = subprocess.run(["nm", "-n", "--defined-only", image], check=True, capture_output=True, text=True).stdout
    symbols = [(int(f[0], 16), f[2]) for f in (l.split() for l in nm.splitlines())
               if len(f) == 3 and f[1] in "tTwW"]
    demangled = subprocess.run(["c++filt", "-p"], input="\n".join(n for _, n in symbols), check=True,
                               capture_output=True, text=True).stdout.splitlines()
    out = []
    for (address, _), name in zip(symbols, demangled):
        for pattern, replacement in SHORTER:
            name = pattern.sub(replacement, name)
        while True:  # std::vector<T, std::allocator<T> > -> std::vector<T>, innermost first
            shorter = ALLOCATOR.sub(">", name)
            if shorter == name:
                break
            name = shorter
        out.append((address, name))
    return out


def choose_tokens(names):
    # A piece used c times, l bytes long, saves (l - 1) per use and costs l + 1 in the token table.
    count = collections.Counter(p for n in names for p in PIECE.findall(n))
    gain = {p: c * (len(p) - 1) - (len(p) + 1) for p, c in count.items() if len(p) >= 2}
    best = sorted((p for p in gain if gain[p] > 0), key=lambda p: (-gain[p], p))
    return best[:MAX_TOKENS]


def leb128(value):
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def asciz(raw):
    return "\t.byte " + ", ".join(str(b) for b in raw + b"\0") + "\n"


def main():
    if sys.argv[1:] == ["--empty"]:
        sys.stdout.write(HEADER + "ksyms_count:\t.quad 0\nksyms_stream:\nksyms_tokens:\n\t.byte 0\n")
        return
    symbols = function_symbols(sys.argv[1])
    tokens = choose_tokens(list(dict.fromkeys(n for _, n in symbols)))
    index = {t: i for i, t in enumerate(tokens)}
    lines = [HEADER, "ksyms_count:\t.quad %d\n" % len(symbols), "ksyms_stream:\n"]
    previous = 0
    for address, name in symbols:
        encoded = bytes(b for p in PIECE.findall(name)
                        for b in ([0x80 + index[p]] if p in index else p.encode("ascii", "replace")))
        lines.append(asciz(leb128(address - previous) + encoded))
        previous = address
    lines.append("ksyms_tokens:\n")
    lines += [asciz(t.encode("ascii")) for t in tokens]
    lines.append("\t.byte 0\n")
    sys.stdout.write("".join(lines))


if __name__ == "__main__":
    main()
