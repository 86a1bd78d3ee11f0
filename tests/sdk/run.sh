#!/usr/bin/env bash
# SDK stage: `make install PREFIX=...` and apps built outside the tree with it, as a user would:
# the SDK is installed, then moved (it must not depend on where it was put, nor on this tree),
# an example C app is built by its own Makefile with CC=xenos-cc, an example C++ app by CMake
# with the toolchain file, and a one-step xenos-c++ build; each boots under bare QEMU. Also:
# hello's image as xenos-mkimage writes it stays within 200 KiB, every app in apps/ has its
# image, and wrong use of the drivers gets a clear error.
#   tests/sdk/run.sh BUILD_DIR
set -uo pipefail
build=$(realpath "${1:-build}")
tree=$(cd "$(dirname "$0")/../.." && pwd)
boot=$tree/tests/smoke/boot.sh
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; [[ -n ${2:-} ]] && sed 's/^/    | /' <<<"$2"; failed=$((failed + 1)); }
work=$(mktemp -d /tmp/xenos-sdk-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

# check NAME OUTPUT PATTERN...: each pattern appears in OUTPUT, in order
check() {
  local name=$1 out=$2 rest=$2 p; shift 2
  for p in "$@"; do
    if [[ $rest == *"$p"* ]]; then rest=${rest#*"$p"}; else not_ok "$name: missing '$p'" "$out"; return; fi
  done
  ok "$name"
}

# BUILD as make test spells it: another spelling of the same folder would change the flags files
# (build/flags) and rebuild everything.
if out=$(cd "$tree" && make --no-print-directory BUILD="${1:-build}" install PREFIX="$work/installed" 2>&1); then
  ok "make install PREFIX=DIR lays out the SDK"
else
  not_ok "make install PREFIX=DIR" "$out"
fi
mv "$work/installed" "$work/sdk"  # from here on it lives somewhere it was not installed to
sdk=$work/sdk
missing=()
for f in bin/xenos-cc bin/xenos-c++ bin/xenos-mkimage share/xenos/toolchain.cmake lib/xenos/libxenos.a \
  lib/xenos/lib9p.a lib/xenos/libc.a lib/xenos/libstdc++.a lib/xenos/kernel.ld lib/xenos/include/xenos/thread.h \
  lib/xenos/include/p9/client.h lib/xenos/include/newlib/stdio.h lib/xenos/include/c++/12/iostream \
  lib/xenos/include/libc-xenos/sys/socket.h; do
  [[ -e $sdk/$f ]] || missing+=("$f")
done
[[ ${#missing[@]} -eq 0 ]] && ok "the SDK has its drivers, headers, libraries and toolchain file" ||
  not_ok "SDK files missing: ${missing[*]}"
[[ ! -e $sdk/include ]] && ok "nothing in PREFIX/include, where the host compiler would find newlib's headers" ||
  not_ok "the SDK put files in PREFIX/include" "$(ls "$sdk/include")"
if refs=$(grep -rlI -- "$tree" "$sdk/bin" "$sdk/share" "$sdk/lib/xenos"/*.ld "$sdk/lib/xenos"/*.py 2>/dev/null); then
  not_ok "the SDK's scripts name the source tree" "$refs"
else
  ok "the SDK's scripts do not name the source tree"
fi

# A C app with its own Makefile, compiled with -c and linked by xenos-cc.
cp -r "$tree/tests/sdk/examples/c-make" "$work/c-make"
if out=$(make -C "$work/c-make" --no-print-directory CC="$sdk/bin/xenos-cc" \
           CFLAGS="-O2 -Wall -Wextra -Wl,-Map,greeter.map" 2>&1); then
  ok "a C app builds outside the tree with its Makefile and CC=xenos-cc"
  out=$("$boot" "$work/c-make/greeter.elf" world 7 2>&1); status=$?
  [[ $status -eq 7 ]] || out+=$'\n'"(exit status $status, expected 7)"
  check "the C app boots under bare QEMU: argv, stdio, malloc (and mallinfo), qsort, its exit status" "$out" \
    "greeter: hello, world" "greeter: 1 MiB from malloc, last byte x, 0.12" "greeter: mallinfo counts it" \
    "greeter: sorted 1 2 3" \
    "shutdown: exit status 7"
  # From the link map: no member of libstdc++ or libsupc++ went in (the kernel's own uses of
  # header-only templates such as std::vector are not libstdc++), and no C++ personality routine.
  nm "$work/c-make/greeter.elf" > "$work/greeter.nm"
  if grep -E "lib(std|sup)c\+\+\.a\(" "$work/c-make/greeter.map" > "$work/from-libstdcxx" ||
     grep -q "__gxx_personality_v0" "$work/greeter.nm"; then
    not_ok "a C app carries none of libstdc++" "$(head "$work/from-libstdcxx")"
  else
    ok "a C app carries none of libstdc++"
  fi
else
  not_ok "the C app's Makefile build" "$out"
fi

# A C++ app built by CMake with the toolchain file.
cp -r "$tree/tests/sdk/examples/cxx-cmake" "$work/cxx-cmake"
if out=$(cmake -DCMAKE_TOOLCHAIN_FILE="$sdk/share/xenos/toolchain.cmake" -S "$work/cxx-cmake" \
           -B "$work/cxx-cmake/build" 2>&1 && cmake --build "$work/cxx-cmake/build" 2>&1); then
  ok "a C++ app builds outside the tree with CMake and the xenos toolchain file"
  out=$("$boot" "$work/cxx-cmake/build/wordstats" b a b 2>&1)
  check "the CMake-built C++ app boots: iostream, map, library and app exceptions" "$out" \
    "wordstats: a 1" "wordstats: b 2" "wordstats: caught out_of_range" \
    "wordstats: caught thrown by the app" "shutdown: exit status 0"
else
  not_ok "the CMake build" "$out"
fi

# One step, like a cross compiler: sources in, image out; then xenos-mkimage.
if out=$(cd "$work/cxx-cmake" && "$sdk/bin/xenos-c++" -O2 -std=c++20 main.cpp words.cpp -o onestep.elf 2>&1); then
  out=$("$sdk/bin/xenos-mkimage" "$work/cxx-cmake/onestep.elf" --out "$work/image" --type pv 2>&1) &&
    [[ -s $work/image/onestep.elf && -s $work/image/onestep.debug ]] &&
    grep -q 'type = "pv"' "$work/image/onestep.cfg" &&
    out=$("$boot" "$work/image/onestep.elf" x 2>&1) &&
    check "xenos-c++ main.cpp words.cpp -o app.elf, then xenos-mkimage: image, .debug and cfg; it boots" "$out" \
      "wordstats: x 1" "wordstats: caught out_of_range" || not_ok "xenos-mkimage of the one-step build" "$out"
else
  not_ok "xenos-c++ in one step" "$out"
fi

# Wrong use gets a clear error, not a broken image.
out=$("$sdk/bin/xenos-cc" -shared "$work/c-make/main.c" -o "$work/x.elf" 2>&1) && not_ok "-shared was accepted" ||
  check "xenos-cc -shared is refused with a reason" "$out" "static and linked at a fixed address"
out=$("$sdk/bin/xenos-cc" "$work/no-such.c" -o "$work/x.elf" 2>&1) && not_ok "a missing source was accepted" ||
  check "xenos-cc with a missing source fails and says which" "$out" "no-such.c"
out=$(XENOS_GCC=/bin/false "$sdk/bin/xenos-cc" -c "$work/c-make/main.c" -o "$work/x.o" 2>&1) &&
  not_ok "a compiler of another version was accepted" || check "xenos-cc refuses a compiler that is not GCC 12" "$out" "GCC"

# Image size: hello (C, 9pfs frontend, namespace, lib9p, newlib) as xenos-mkimage writes it,
# within 200 KiB, and what it is made of (tests/bench/image_sizes.py: kernel, lib9p, libc,
# backtrace table, app), so a growth shows where it happened. History: 195.5 KB before session
# recovery and failover (issue 15), 225 KB with them, symbolic links, setattr and record locks;
# back to 199 KB with everything (issue 31 item 11): a smaller backtrace table, lib9p's calls out
# of line but for their fields, Result built in place, -fno-ipa-sra, a packed errno table.
limit=$((200 * 1024))
if out=$("$sdk/bin/xenos-mkimage" "$build/apps/hello/hello.elf" --out "$work/hello" 2>&1); then
  size=$(stat -c %s "$work/hello/hello.elf")
  parts="no link map"
  [[ -f $build/apps/hello/hello.elf.map ]] &&
    parts=$("$tree/tests/bench/image_sizes.py" --parts "$build/apps/hello/hello.elf.map" 2>&1)
  if [[ $size -le $limit ]]; then ok "hello's image is $size bytes (limit $limit): $parts"
  else not_ok "hello's image is $size bytes, over the $limit limit: $parts"; fi
else
  not_ok "xenos-mkimage of hello" "$out"
fi

# `make` leaves an image for every app.
absent=()
for d in "$tree"/apps/*/; do
  app=$(basename "$d")
  [[ -e $d/main.c || -e $d/main.cpp ]] || continue
  [[ -s $build/apps/$app/$app.elf ]] || absent+=("$app")
done
[[ ${#absent[@]} -eq 0 ]] && ok "every app in apps/ has its image in build/apps/" || not_ok "no image for: ${absent[*]}"

echo "sdk: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
