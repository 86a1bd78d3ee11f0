#!/usr/bin/env bash
# Programs nobody here wrote, built for the guest at test time from Debian's source packages
# with the staged SDK's xenos-cc and the programs' own build files (issue 17). Nothing of their
# code is in this tree. For each program NAME this leaves either
#   BUILD/programs/NAME/NAME.elf    the image, or
#   BUILD/programs/NAME/skip        one line: why there is none (the sources could not be had)
# and a build failure is an error (exit 1), not a skip.
#   tests/programs/build.sh BUILD_DIR
set -uo pipefail
build=$(realpath "${1:-build}")
here=$(dirname "$(realpath "$0")")  # tests/programs
cc=$build/sdk/bin/xenos-cc
out=$build/programs
mkdir -p "$out"
[[ -x $cc ]] || { echo "programs: no SDK at $build/sdk (make sdk)" >&2; exit 1; }

# The same mirror the machine installs from, for source packages: a deb-src twin of each
# "Types: deb" entry of debian.sources (or of sources.list's deb lines), once.
enable_sources() {
  local list=/etc/apt/sources.list.d/xenos-deb-src.sources
  grep -rqs '^deb-src\|^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$list" 2>/dev/null || return 1
  elif [[ -f /etc/apt/sources.list ]]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/xenos-deb-src.list 2>/dev/null || return 1
  else
    return 1
  fi
  apt-get update -qq >/dev/null 2>&1
}

# fetch PACKAGE: Debian's source package files into $out/src/PACKAGE (kept: later runs reuse
# them). Prints why not, on failure.
fetch() {
  local dir=$out/src/$1
  [[ -f $dir/.fetched ]] && return 0
  rm -rf "$dir" && mkdir -p "$dir"
  command -v apt-get >/dev/null || { echo "apt-get is not here"; return 1; }
  enable_sources || { echo "cannot enable deb-src entries for apt (not root?)"; return 1; }
  local log
  if ! log=$(cd "$dir" && timeout 300 apt-get source --download-only "$1" 2>&1); then
    echo "apt-get source $1 failed: $(echo "$log" | grep -E '^E:' | head -1)"
    return 1
  fi
  touch "$dir/.fetched"
}

failed=0

# Lua 5.4: the stock interpreter, built by Lua's own Makefile (`make generic`, ANSI C plus
# what newlib has) with CC=xenos-cc; lua.elf is src/lua as that Makefile links it.
lua() {
  local dest=$out/lua
  mkdir -p "$dest" && rm -f "$dest/skip" "$dest/lua.elf"
  local why
  if ! why=$(fetch lua5.4); then
    echo "$why" > "$dest/skip"
    echo "programs: lua skipped: $why"
    return
  fi
  local tarball
  tarball=$(ls "$out"/src/lua5.4/lua5.4_*.orig.tar.* 2>/dev/null | head -1)
  [[ -n $tarball ]] || { echo "programs: no lua5.4 orig tarball in $out/src/lua5.4" >&2; failed=1; return; }
  rm -rf "$dest/src" && mkdir -p "$dest/src" && tar -xf "$tarball" -C "$dest/src" --strip-components=1
  if make -C "$dest/src/src" generic CC="$cc" > "$dest/build.log" 2>&1 && cp "$dest/src/src/lua" "$dest/lua.elf"; then
    echo "programs: lua built from $(basename "$tarball") ($(stat -c %s "$dest/lua.elf") bytes with debug info)"
  else
    echo "programs: building lua failed:" >&2
    tail -20 "$dest/build.log" | sed 's/^/    | /' >&2
    failed=1
  fi
}

# SQLite: Debian's source is SQLite's full tree; its own configure and Makefile make the
# amalgamation (sqlite3.c, shell.c; tclsh runs its generators) on the host, then xenos-cc
# compiles that with the flags of the README's recipe: the stock shell is sqlite3.elf, and
# sqlite-threads.elf is our two-writer driver (tests/programs/sqlite-threads.c) over the same
# library.
SQLITE_FLAGS=(-O2 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_MAX_MMAP_SIZE=0
              -DHAVE_USLEEP=1 -DHAVE_PREAD=1 -DHAVE_PWRITE=1 -DHAVE_LOCALTIME_R=1)
sqlite() {
  local dest=$out/sqlite
  mkdir -p "$dest" && rm -f "$dest/skip" "$dest"/*.elf
  local why
  if ! why=$(fetch sqlite3); then
    echo "$why" > "$dest/skip"
    echo "programs: sqlite skipped: $why"
    return
  fi
  local tarball
  tarball=$(ls "$out"/src/sqlite3/sqlite3_*.orig.tar.* 2>/dev/null | grep -v -- -www | head -1)
  [[ -n $tarball ]] || { echo "programs: no sqlite3 orig tarball in $out/src/sqlite3" >&2; failed=1; return; }
  command -v tclsh >/dev/null || { echo "programs: SQLite's generators need tclsh (tools/deps.sh xen installs tcl)" >&2; failed=1; return; }
  rm -rf "$dest/src" && mkdir -p "$dest/src" && tar -xf "$tarball" -C "$dest/src" --strip-components=1
  if (cd "$dest/src" && ./configure --disable-tcl --disable-readline && make sqlite3.c shell.c) > "$dest/build.log" 2>&1 &&
     "$cc" "${SQLITE_FLAGS[@]}" -c "$dest/src/sqlite3.c" -o "$dest/sqlite3.o" >> "$dest/build.log" 2>&1 &&
     "$cc" "${SQLITE_FLAGS[@]}" "$dest/src/shell.c" "$dest/sqlite3.o" -o "$dest/sqlite3.elf" >> "$dest/build.log" 2>&1 &&
     "$cc" -O2 -Wall -Werror -I"$dest/src" "$here/sqlite-threads.c" "$dest/sqlite3.o" \
       -o "$dest/sqlite-threads.elf" >> "$dest/build.log" 2>&1; then
    echo "programs: sqlite built from $(basename "$tarball") (sqlite3.elf $(stat -c %s "$dest/sqlite3.elf") bytes, sqlite-threads.elf $(stat -c %s "$dest/sqlite-threads.elf"))"
  else
    echo "programs: building sqlite failed:" >&2
    tail -20 "$dest/build.log" | sed 's/^/    | /' >&2
    failed=1
  fi
}

lua
sqlite
exit $failed
