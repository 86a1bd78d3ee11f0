// A small printf-style formatter for kernel logs: no allocation, safe in a panic.
// Supports %s %c %d %i %u %x %X %p %% with optional '0', width, and l/ll/z length.
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kernel {

// Writes at most `capacity - 1` characters and a NUL; returns the length the full output
// would have had (like vsnprintf), so callers can tell when it was cut.
size_t format(char* out, size_t capacity, const char* fmt, va_list args);

// The same with arguments: the kernel's snprintf. The kernel uses it instead of newlib's, whose
// formatter (with floating point) would be in every image for a few numbers and addresses.
[[gnu::format(printf, 3, 4)]] size_t format_to(char* out, size_t capacity, const char* fmt, ...);

}  // namespace kernel
