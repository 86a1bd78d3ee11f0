#!/usr/bin/env python3
"""Writes the backtrace symbol table (.ksyms, read by kernel/symbols.cpp) for an ELF as assembly
on stdout. The table is a large part of a small image, so it is compact; it is only read when
something has gone wrong, so it is read by a linear scan:

  ksyms_count   the number of records
  ksyms_stream  records in address order: the address's distance from the previous record's
                (LEB128); how many leading characters of the previous record's name this one
                shares (one byte); the rest of the name, NUL-terminated, in bytes that each
                stand for the text ksyms_tokens gives them
  ksyms_tokens  255 NUL-terminated texts, for the bytes 1 to 255: a byte whose text is empty
                stands for itself. The others are the bytes no name uses, given the pieces of
                text that save the most (chosen by byte-pair encoding: "std::", "p9::Client::",
                "unsigned long"...)

Names are demangled without parameter lists, std::string and friends spelled as in source, GCC's
clone suffixes dropped (a clone's offsets still say where in it the address is), and cut to the
191 characters a backtrace prints.

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
MAX_NAME = 191  # kernel/symbols.h: SymbolLookup::name holds this many characters and a NUL


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
        raw = name.encode("ascii", "replace")[:MAX_NAME].replace(b"\0", b"?")
        out.append((address, raw))
    return out


def shared_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def byte_pair_encode(texts, codes):
    """Encodes `texts` (byte strings) with `codes` (free byte values): each code in turn replaces
    the adjacent pair of symbols that saves the most (its uses, less its text's bytes in the
    table). Returns the encoded texts and each used code's text."""
    counts = collections.Counter(texts)  # the same suffix is encoded once, counted as often as it is
    seqs = {t: list(t) for t in counts}
    text = {}
    for code in codes:
        pairs = collections.Counter()
        for t, s in seqs.items():
            for i in range(len(s) - 1):
                pairs[s[i], s[i + 1]] += counts[t]

        def gain(pair):
            return pairs[pair] - (len(text.get(pair[0], bytes([pair[0]])) + text.get(pair[1], bytes([pair[1]]))) + 1)
        best = max(pairs, key=lambda p: (gain(p), p), default=None)
        if best is None or gain(best) <= 0:
            break
        text[code] = text.get(best[0], bytes([best[0]])) + text.get(best[1], bytes([best[1]]))
        for s in seqs.values():
            i = 0
            while i < len(s) - 1:
                if s[i] == best[0] and s[i + 1] == best[1]:
                    s[i:i + 2] = [code]
                i += 1
    used = {c for s in seqs.values() for c in s if c in text}
    return {t: bytes(s) for t, s in seqs.items()}, {c: text[c] for c in used}


def leb128(value):
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def decode(stream, count, tokens):
    """What kernel/symbols.cpp reads back: [(address, name)]."""
    out, at, name, p = [], 0, b"", 0
    for _ in range(count):
        delta, shift = 0, 0
        while True:
            byte = stream[p]
            p += 1
            delta |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        at += delta
        keep = stream[p]
        p += 1
        end = stream.index(0, p)
        name = (name[:keep] + b"".join(tokens.get(b, bytes([b])) for b in stream[p:end]))[:MAX_NAME]
        p = end + 1
        out.append((at, name))
    return out


def asciz(raw):
    return "\t.byte " + ", ".join(str(b) for b in raw + b"\0") + "\n"


def main():
    if sys.argv[1:] == ["--empty"]:
        sys.stdout.write(HEADER + "ksyms_count:\t.quad 0\nksyms_stream:\nksyms_tokens:\n\t.byte 0\n")
        return
    symbols = function_symbols(sys.argv[1])
    records, previous = [], b""
    for address, name in symbols:
        keep = shared_prefix(previous, name)
        records.append((address, keep, name[keep:]))
        previous = name
    used = {b for _, name in symbols for b in name}
    codes = [b for b in range(1, 256) if b not in used]
    encoded, tokens = byte_pair_encode([rest for _, _, rest in records], codes)
    stream, at = bytearray(), 0
    for address, keep, rest in records:
        stream += leb128(address - at) + bytes([keep]) + encoded[rest] + b"\0"
        at = address
    if decode(stream, len(records), tokens) != symbols:
        sys.exit("ksyms: the table does not decode to the names it was made from")
    lines = [HEADER, "ksyms_count:\t.quad %d\n" % len(records), "ksyms_stream:\n"]
    lines += ["\t.byte " + ", ".join(str(b) for b in stream[i:i + 64]) + "\n" for i in range(0, len(stream), 64)]
    lines.append("ksyms_tokens:\n")
    lines += [asciz(tokens.get(b, b"")) for b in range(1, 256)]
    sys.stdout.write("".join(lines))


if __name__ == "__main__":
    main()
