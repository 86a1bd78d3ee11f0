#!/usr/bin/env bash
# Lays out the xenos SDK in PREFIX from a built tree (make install PREFIX=DIR calls it):
#   bin/      xenos-cc, xenos-c++, xenos-mkimage
#   lib/xenos/ libxenos.a (the kernel), lib9p.a, newlib's libc.a and libm.a, libstdc++.a,
#             libsupc++.a, GCC's libgcc.a and libgcc_eh.a, kernel.ld, ksyms.py, ksyms_empty.o
#   lib/xenos/include/  xenos/, p9/ (the kernel's and lib9p's public headers), libc-xenos/
#             (what xenos adds to newlib: sockets, poll, dirent), newlib/, c++/12/ (libstdc++
#             for newlib). Not PREFIX/include: with PREFIX=/usr/local that is on the host
#             compiler's own search path, and newlib's stdio.h must never be found there.
#   share/xenos/toolchain.cmake (cmake -DCMAKE_TOOLCHAIN_FILE=...)
# Files whose contents did not change keep their time stamps, so a Makefile that depends on
# the SDK rebuilds only what an edit touched.
#   tools/sdk/install.sh PREFIX BUILD NEWLIB LIBSTDCXX
set -euo pipefail
prefix=$(realpath -m "$1") build=$2 newlib=$3 libstdcxx=$4
tree=$(cd "$(dirname "$0")/../.." && pwd)

copy_tree() {  # copy_tree SRC DEST: SRC's files into DEST, leaving files already equal alone
  local f
  (cd "$1" && find . -type f) | while read -r f; do
    cmp -s "$1/$f" "$2/$f" || { mkdir -p "$(dirname "$2/$f")" && cp -p "$1/$f" "$2/$f"; }
  done
}
put() {  # put FILE... DESTDIR
  local dest=${*: -1} src
  mkdir -p "$dest"
  for src in "${@:1:$#-1}"; do cmp -s "$src" "$dest/$(basename "$src")" || cp -p "$src" "$dest/"; done
}

put "$tree/tools/sdk/xenos-cc" "$prefix/bin"
ln -sfn xenos-cc "$prefix/bin/xenos-c++"
put "$tree/tools/mkimage/mkimage" "$prefix/lib/xenos"
ln -sfn ../lib/xenos/mkimage "$prefix/bin/xenos-mkimage"

lib=$prefix/lib/xenos
copy_tree "$tree/kernel/include/xenos" "$lib/include/xenos"
copy_tree "$tree/lib9p/include/p9" "$lib/include/p9"
copy_tree "$tree/kernel/shim/libc" "$lib/include/libc-xenos"
copy_tree "$newlib/include" "$lib/include/newlib"
copy_tree "$libstdcxx/include/c++" "$lib/include/c++"
put "$build/guest/libxenos.a" "$build/guest/lib9p.a" "$newlib/lib/libc.a" "$newlib/lib/libm.a" \
  "$libstdcxx/lib/libstdc++.a" "$libstdcxx/lib/libsupc++.a" "$(gcc -print-libgcc-file-name)" \
  "$(gcc -print-file-name=libgcc_eh.a)" "$tree/linker/kernel.ld" "$tree/tools/ksyms.py" \
  "$build/ksyms_empty.o" "$lib"
version=$(gcc -dumpversion | cut -d. -f1)  # the GCC whose libgcc and C++ ABI the SDK carries
[[ $(cat "$lib/gcc-version" 2>/dev/null) == "$version" ]] || echo "$version" > "$lib/gcc-version"

put "$tree/tools/sdk/toolchain.cmake" "$prefix/share/xenos"
