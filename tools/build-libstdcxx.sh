#!/usr/bin/env bash
# Builds libstdc++ (GCC 12, from Debian's gcc-12-source) for guest apps against our newlib,
# with the host g++ behind wrapper scripts that make it an x86_64-elf cross compiler. About
# two minutes, once: the stamp holds the hash of this script and of our pthread headers (their
# types are built into libstdc++'s std::mutex, std::condition_variable and std::thread).
#   tools/build-libstdcxx.sh OUT NEWLIB_DIR
# OUT gets include/c++/12 (headers configured for newlib) and lib/libstdc++.a, libsupc++.a.
set -euo pipefail
out=$(realpath -m "$1")
newlib=$(realpath "$2")
shim=$(realpath "$(dirname "$0")/../kernel/shim/libc")
pthread_headers=("$shim/pthread.h" "$shim/sys/_pthreadtypes.h")
key=$(cat "$0" "${pthread_headers[@]}" | sha256sum | cut -c1-16)
[[ -f $out/.stamp && $(cat "$out/.stamp") == "$key" ]] && exit 0
tarball=/usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz
[[ -f $tarball ]] || { echo "libstdc++: $tarball missing; run tools/deps.sh" >&2; exit 1; }

work=$out.work
rm -rf "$work" "$out"
mkdir -p "$work/bin" "$work/stub" "$work/obj" "$work/pthread/sys"
# Only the pthread headers of kernel/shim/libc go on its path: the rest of the shim (sockets,
# dirent) would turn on parts of libstdc++ that nobody has tried here.
cp "$shim/pthread.h" "$work/pthread/"
cp "$shim/sys/_pthreadtypes.h" "$work/pthread/sys/"
echo "libstdc++: unpacking the GCC 12 sources it needs"
tar -C "$work" -xf "$tarball" --wildcards 'gcc-12.2.0/libstdc++-v3/*' 'gcc-12.2.0/libgcc/*' \
  'gcc-12.2.0/libiberty/*' 'gcc-12.2.0/include/*' 'gcc-12.2.0/config/*' 'gcc-12.2.0/config.guess' \
  'gcc-12.2.0/config.sub' 'gcc-12.2.0/install-sh' 'gcc-12.2.0/ltmain.sh' 'gcc-12.2.0/missing' \
  'gcc-12.2.0/mkinstalldirs' 'gcc-12.2.0/config-ml.in' 'gcc-12.2.0/move-if-change' \
  'gcc-12.2.0/gcc/BASE-VER' 'gcc-12.2.0/gcc/DATESTAMP' 'gcc-12.2.0/gcc/DEV-PHASE' \
  'gcc-12.2.0/compile' 'gcc-12.2.0/depcomp' 'gcc-12.2.0/config.rpath' 'gcc-12.2.0/test-driver'
src=$work/gcc-12.2.0
# libgcc's configure would make gthr-default.h from the thread model; libstdc++'s check for
# gthreads includes it from the libgcc source folder, so it is made here (POSIX threads).
cp "$src/libgcc/gthr-posix.h" "$src/libgcc/gthr-default.h"
gccinc=$(gcc -print-file-name=include)
libgcc=$(gcc -print-libgcc-file-name)

# Configure links test programs: a stand-in entry point and system calls make those links work
# the way they will in a real image (the kernel supplies the real ones).
cat > "$work/stub/stub.c" <<'EOF'
/* No headers: only the symbols matter, and newlib's prototypes would clash with these. */
typedef unsigned long size_t;
struct stat; struct timeval; struct tms;
typedef long clock_t;
typedef unsigned mode_t;
extern int main(int, char **);
void _start(void) { main(0, 0); for (;;) {} }
int read(int f, void *b, unsigned long n) { return -1; }
int write(int f, const void *b, unsigned long n) { return -1; }
int open(const char *p, int fl, ...) { return -1; }
int close(int f) { return -1; }
long lseek(int f, long o, int w) { return -1; }
int fstat(int f, struct stat *s) { return -1; }
int stat(const char *p, struct stat *s) { return -1; }
int isatty(int f) { return 0; }
void *sbrk(long n) { return (void *)-1; }
void _exit(int s) { for (;;) {} }
int kill(int p, int s) { return -1; }
int getpid(void) { return 1; }
int gettimeofday(struct timeval *t, void *z) { return -1; }
clock_t times(struct tms *t) { return -1; }
int link(const char *a, const char *b) { return -1; }
int unlink(const char *a) { return -1; }
int mkdir(const char *a, mode_t m) { return -1; }
int fcntl(int f, int c, ...) { return -1; }
int execve(const char *a, char *const *b, char *const *c) { return -1; }
int fork(void) { return -1; }
int wait(int *s) { return -1; }
int getentropy(void *b, unsigned long n) { return -1; }
int sigprocmask(int h, const void *s, void *o) { return 0; }
int posix_memalign(void **p, unsigned long a, unsigned long s) { return 12; }
int nanosleep(const void *r, void *m) { return -1; }
int usleep(unsigned u) { return -1; }
unsigned sleep(unsigned s) { return s; }
int clock_gettime(int c, void *t) { return -1; }
int sched_yield(void) { return 0; }
/* kernel/posix/pthread.cpp's calls, so configure's link tests find them. */
#define PT(name) int name(void) { return 38; }
PT(pthread_create) PT(pthread_join) PT(pthread_detach) PT(pthread_self) PT(pthread_equal)
PT(pthread_exit) PT(pthread_once) PT(pthread_key_create) PT(pthread_key_delete)
PT(pthread_getspecific) PT(pthread_setspecific) PT(pthread_mutex_init) PT(pthread_mutex_destroy)
PT(pthread_mutex_lock) PT(pthread_mutex_trylock) PT(pthread_mutex_timedlock)
PT(pthread_mutex_unlock) PT(pthread_mutexattr_init) PT(pthread_mutexattr_destroy)
PT(pthread_mutexattr_settype) PT(pthread_mutexattr_gettype) PT(pthread_cond_init)
PT(pthread_cond_destroy) PT(pthread_cond_wait) PT(pthread_cond_timedwait) PT(pthread_cond_clockwait)
PT(pthread_cond_signal) PT(pthread_cond_broadcast) PT(pthread_condattr_init)
PT(pthread_condattr_destroy) PT(pthread_condattr_setclock) PT(pthread_condattr_getclock)
PT(pthread_attr_init) PT(pthread_attr_destroy) PT(pthread_attr_setdetachstate)
PT(pthread_attr_getdetachstate) PT(pthread_attr_setstacksize) PT(pthread_attr_getstacksize)
void _init(void) {}
void _fini(void) {}
struct __lock { int x; };
struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
    __lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex, __lock___malloc_recursive_mutex,
    __lock___env_recursive_mutex, __lock___tz_mutex, __lock___dd_hash_mutex, __lock___arc4random_mutex;
void __retarget_lock_init(void *l) {}
void __retarget_lock_init_recursive(void *l) {}
void __retarget_lock_close(void *l) {}
void __retarget_lock_close_recursive(void *l) {}
void __retarget_lock_acquire(void *l) {}
void __retarget_lock_acquire_recursive(void *l) {}
int __retarget_lock_try_acquire(void *l) { return 1; }
int __retarget_lock_try_acquire_recursive(void *l) { return 1; }
void __retarget_lock_release(void *l) {}
void __retarget_lock_release_recursive(void *l) {}
EOF
gcc -O2 -fno-pie -ffreestanding -fno-builtin -nostdinc -w -c "$work/stub/stub.c" -o "$work/stub/stub.o"

# The cross compiler: host gcc/g++, newlib's headers instead of glibc's, no Linux macros, the
# gthreads calling pthreads directly (not through weak references whose absence would mean
# "single-threaded": images are static and always have kernel/posix/pthread.cpp), the
# guest's code model, our pthreads; links use newlib and the stub. It says "Thread model: posix".
for tool in gcc g++; do
  cat > "$work/bin/x86_64-elf-$tool" <<EOF
#!/usr/bin/env bash
if [[ \$# -eq 1 && \$1 == -v ]]; then $tool -v 2>&1 | sed 's/^Thread model: .*/Thread model: posix/'; exit 0; fi
link=1
for a in "\$@"; do case \$a in -c|-S|-E|-M|-MM) link=0;; esac; done
flags=(-nostdinc -isystem "$work/pthread" -isystem "$newlib/include" -isystem "$gccinc" -U__linux__
       -U__gnu_linux__ -Ulinux -U__unix__ -Uunix -fno-pie -fno-pic -mno-red-zone -fno-stack-protector
       -D_POSIX_THREADS=200809L -D_POSIX_TIMEOUTS=200809L -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L
       -D_GLIBCXX_GTHREAD_USE_WEAK=0)
if [[ \$link -eq 1 ]]; then
  exec $tool "\${flags[@]}" -nostdlib -static -no-pie "$work/stub/stub.o" "\$@" \\
    -Wl,--start-group "$newlib/lib/libc.a" "$newlib/lib/libm.a" "$libgcc" -Wl,--end-group
fi
exec $tool "\${flags[@]}" "\$@"
EOF
  chmod +x "$work/bin/x86_64-elf-$tool"
done
for t in ar ranlib nm as ld objdump strip; do ln -s "$(command -v $t)" "$work/bin/x86_64-elf-$t"; done

# -Os: iostream's locale facets (char and wchar_t) are most of a C++ app's image; what is hot
# (strings, containers, algorithms) is in headers and compiled with the app's own flags.
echo "libstdc++: configuring (log: $work/build.log)"
cd "$work/obj"
PATH=$work/bin:$PATH "$src/libstdc++-v3/configure" --host=x86_64-elf --build=x86_64-pc-linux-gnu \
  --prefix="$work/prefix" --disable-shared --enable-static --disable-multilib --disable-nls \
  --disable-libstdcxx-pch --with-newlib --enable-threads=posix --enable-libstdcxx-threads=yes --disable-tls --enable-libstdcxx-time=yes \
  --with-gxx-include-dir="$work/prefix/include/c++/12" \
  CC=x86_64-elf-gcc CXX=x86_64-elf-g++ AR=x86_64-elf-ar RANLIB=x86_64-elf-ranlib \
  CFLAGS="-Os -g" CXXFLAGS="-Os -g" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; exit 1; }
echo "libstdc++: building (about 90 s on 2 cores)"
PATH=$work/bin:$PATH make -j"$(nproc)" >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
PATH=$work/bin:$PATH make install >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
mkdir -p "$out"
cp -a "$work/prefix/include" "$work/prefix/lib" "$out/"
echo "$key" > "$out/.stamp"
rm -rf "$work"
echo "libstdc++: done -> $out"
