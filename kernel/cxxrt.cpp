// The C++ runtime the kernel needs without libsupc++: allocation on newlib's malloc, and the
// pure-virtual trap. Out of memory in operator new is fatal (no exceptions in the kernel).
#include <cstddef>
#include <cstdlib>
#include <new>
#include "panic.h"

namespace {
void* allocate(size_t size, size_t alignment) {
  void* p = alignment <= alignof(std::max_align_t)
                ? std::malloc(size ? size : 1)
                : std::aligned_alloc(alignment, (size + alignment - 1) & ~(alignment - 1));
  if (p == nullptr) kernel::panic("out of memory: operator new(%zu)", size);
  return p;
}
}  // namespace

void* operator new(size_t size) { return allocate(size, 0); }
void* operator new[](size_t size) { return allocate(size, 0); }
void* operator new(size_t size, std::align_val_t a) { return allocate(size, size_t(a)); }
void* operator new[](size_t size, std::align_val_t a) { return allocate(size, size_t(a)); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return std::malloc(size ? size : 1); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return std::malloc(size ? size : 1); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

extern "C" {
void* __dso_handle = nullptr;
void __cxa_pure_virtual() { kernel::panic("pure virtual function called"); }
}

// libstdc++'s containers call these on impossible requests; without exceptions they are
// fatal. Weak, so an app that links the real libstdc++ (with exceptions) gets its versions.
namespace std {
[[gnu::weak, noreturn]] void __throw_bad_alloc() { kernel::panic("std::bad_alloc"); }
[[gnu::weak, noreturn]] void __throw_bad_array_new_length() { kernel::panic("std::bad_array_new_length"); }
[[gnu::weak, noreturn]] void __throw_length_error(const char* what) {
  kernel::panic("std::length_error: %s", what);
}
[[gnu::weak, noreturn]] void __throw_logic_error(const char* what) {
  kernel::panic("std::logic_error: %s", what);
}
[[gnu::weak, noreturn]] void __throw_out_of_range(const char* what) {
  kernel::panic("std::out_of_range: %s", what);
}
[[gnu::weak, noreturn]] void __throw_out_of_range_fmt(const char* what, ...) {
  kernel::panic("std::out_of_range: %s", what);
}
[[gnu::weak, noreturn]] void __throw_invalid_argument(const char* what) {
  kernel::panic("std::invalid_argument: %s", what);
}
}  // namespace std

// The unwinder in libgcc_eh (apps that throw) asks glibc's _dl_find_object where the unwind
// tables of the code at `pc` are. There is one object here: the image, whose .eh_frame_hdr the
// linker script marks.
struct dl_find_object {
  unsigned long long dlfo_flags;
  void* dlfo_map_start;
  void* dlfo_map_end;
  void* dlfo_link_map;
  void* dlfo_eh_frame;
  unsigned long long reserved[7];
};
extern "C" char __image_start[], __image_end[], __eh_frame_hdr_start[];
extern "C" int _dl_find_object(void* pc, dl_find_object* result) {
  if (pc < static_cast<void*>(__image_start) || pc >= static_cast<void*>(__image_end)) return -1;
  *result = {};
  result->dlfo_map_start = __image_start;
  result->dlfo_map_end = __image_end;
  result->dlfo_eh_frame = __eh_frame_hdr_start;
  return 0;
}
