// libFuzzer target: xenstore replies as they sit in the ring. The input supplies the ring's
// indexes and contents; the target walks it the way the client drains it, checking every
// header and length before use.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include "xen/xs_wire.h"

namespace xs = xen::xs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint32_t cons, prod;
  std::memcpy(&cons, data, 4);
  std::memcpy(&prod, data + 4, 4);
  char ring[xs::kRingSize] = {};
  std::memcpy(ring, data + 8, std::min<size_t>(size - 8, sizeof ring));
  for (int messages = 0; messages < 64; ++messages) {
    auto used = xs::ring_used(cons, prod);
    if (!used || *used < xs::kHeaderSize) break;
    char raw[xs::kHeaderSize];
    xs::ring_read(ring, cons, raw);
    auto h = xs::decode_header(raw);
    if (!h || *used < xs::kHeaderSize + h->len) break;
    std::string payload(h->len, '\0');
    xs::ring_read(ring, cons + uint32_t(xs::kHeaderSize), {payload.data(), payload.size()});
    size_t parts = 0;
    xs::for_each_string(payload, [&](std::string_view s) { parts += s.size() + 1; });
    if (h->type == xs::kError) (void)xs::errno_from_name(payload.c_str());
    cons += uint32_t(xs::kHeaderSize + h->len);
  }
  return 0;
}
