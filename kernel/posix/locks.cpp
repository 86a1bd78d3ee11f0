// newlib retargetable locks. One vCPU and cooperative threads that only switch in the kernel's
// own wait points, never inside newlib, so a lock can never be contended: acquiring is a no-op.
// newlib needs every one of these symbols, or it links its own lock.o and clashes.
struct __lock {
  int unused;
};
using _LOCK_T = struct __lock*;

extern "C" {
struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex, __lock___atexit_recursive_mutex,
    __lock___at_quick_exit_mutex, __lock___malloc_recursive_mutex, __lock___env_recursive_mutex,
    __lock___tz_mutex, __lock___dd_hash_mutex, __lock___arc4random_mutex;

void __retarget_lock_init(_LOCK_T*) {}
void __retarget_lock_init_recursive(_LOCK_T*) {}
void __retarget_lock_close(_LOCK_T) {}
void __retarget_lock_close_recursive(_LOCK_T) {}
void __retarget_lock_acquire(_LOCK_T) {}
void __retarget_lock_acquire_recursive(_LOCK_T) {}
int __retarget_lock_try_acquire(_LOCK_T) { return 1; }
int __retarget_lock_try_acquire_recursive(_LOCK_T) { return 1; }
void __retarget_lock_release(_LOCK_T) {}
void __retarget_lock_release_recursive(_LOCK_T) {}
}
