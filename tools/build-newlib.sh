#!/usr/bin/env bash
# Builds newlib 3.3.0 for x86_64-elf from Debian's newlib-source with the host gcc.
# Output: $1 (e.g. build/newlib-3.3.0) with include/ and lib/. Done once; the stamp keeps it.
set -euo pipefail
out=$(realpath -m "$1")
# The stamp holds this script's hash: changing the flags below rebuilds, nothing else does.
key=$(sha256sum "$0" | cut -c1-16)
[[ -f "$out/.stamp" && $(cat "$out/.stamp") == "$key" ]] && exit 0
tarball=/usr/src/newlib/newlib-3.3.0.tar.xz
[[ -f $tarball ]] || { echo "newlib: $tarball missing; run tools/deps.sh" >&2; exit 1; }

work="$out.work"
rm -rf "$work" "$out"
mkdir -p "$work/src" "$work/obj"
tar -C "$work/src" -xf "$tarball"
src=$(echo "$work"/src/*/)
# mallocr.c declares its own struct mallinfo with int fields, while the malloc.h apps include
# says size_t: on x86_64 mallinfo() filled 40 of the caller's 80 bytes and apps read stack
# garbage for uordblks, fordblks and keepcost. Make mallocr.c's struct the header's.
sed -i '/^struct mallinfo {/,/^};/ s/^  int /  size_t /' "$src/newlib/libc/stdlib/mallocr.c"
grep -q '^  size_t uordblks;' "$src/newlib/libc/stdlib/mallocr.c" || { echo "newlib: mallinfo patch did not apply" >&2; exit 1; }
gccinc=$(gcc -print-file-name=include)
# Guest code: freestanding, no red zone (trap frames land on the current stack), no PIE; one
# section per function (images keep only what they call). Built for size (-Os), except that
# __OPTIMIZE_SIZE__ is undefined: with it newlib's string and memory functions would switch to
# their byte-at-a-time variants, and those are on the 9P data path (memcpy and memset are
# assembly either way).
# HAVE_BLKSIZE: stdio sizes a FILE's buffer by the file's st_blksize (kernel/posix/files.cpp says
# 128 KiB for a file on a share) instead of BUFSIZ (1 KiB), so fread, fgets and fprintf move
# 128 KiB per 9P round trip, not 1 KiB (issue 33), and fseek keeps its block-aligned buffer.
tflags="-Os -U__OPTIMIZE_SIZE__ -DHAVE_BLKSIZE -g -ffunction-sections -fdata-sections -ffreestanding -fno-pie -fno-pic \
-mno-red-zone -fno-stack-protector -fno-asynchronous-unwind-tables -nostdinc -isystem $gccinc"
echo "newlib: configuring in $work (log: $work/build.log)"
cd "$work/obj"
"$src/configure" --target=x86_64-elf --prefix="$work/prefix" \
  --disable-multilib --disable-nls --disable-newlib-supplied-syscalls \
  --enable-newlib-retargetable-locking --enable-newlib-io-long-long --enable-newlib-io-c99-formats \
  CC_FOR_TARGET=gcc CXX_FOR_TARGET=g++ AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
  NM_FOR_TARGET=nm RANLIB_FOR_TARGET=ranlib OBJDUMP_FOR_TARGET=objdump READELF_FOR_TARGET=readelf \
  STRIP_FOR_TARGET=strip OBJCOPY_FOR_TARGET=objcopy CFLAGS_FOR_TARGET="$tflags" >"$work/build.log" 2>&1
echo "newlib: building (about 70 s on 2 cores)"
make -j"$(nproc)" all-target-newlib >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
make install-target-newlib >>"$work/build.log" 2>&1
mkdir -p "$out"
cp -a "$work/prefix/x86_64-elf/include" "$work/prefix/x86_64-elf/lib" "$out/"
echo "$key" > "$out/.stamp"
rm -rf "$work"
echo "newlib: done -> $out"
