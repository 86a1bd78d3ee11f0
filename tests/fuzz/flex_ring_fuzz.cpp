// libFuzzer target: a 9pfs flex ring as the other domain leaves it, read the way both sides
// drain it (the guest's replies ring, iohost's requests ring): hostile indexes, sizes below a
// header or above msize or the ring, messages that wrap. Every message handed on must lie
// inside what the indexes say is there, and frame as 9P.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "common/flex_ring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 10) return 0;
  uint32_t cons, prod;
  std::memcpy(&cons, data, 4);
  std::memcpy(&prod, data + 4, 4);
  uint32_t ring_size = 1u << (8 + data[8] % 8);  // 256 B .. 32 KiB
  uint32_t msize = ring_size / 2;
  std::vector<std::byte> ring(ring_size);
  std::memcpy(ring.data(), data + 9, std::min<size_t>(size - 9, ring_size));
  for (int messages = 0; messages < 256; ++messages) {
    xen::NextMessage next = xen::next_message(ring.data(), ring_size, cons, prod, msize);
    if (next.state != xen::NextMessage::kReady) return 0;  // none, partial or hostile: stop
    auto queued = xen::flex_queued(prod, cons, ring_size);
    if (!queued || next.size > *queued || next.size < 7 || next.size > msize) std::abort();
    std::vector<std::byte> message(next.size);
    xen::flex_read(ring.data(), ring_size, cons, message);
    uint32_t framed = uint32_t(message[0]) | uint32_t(message[1]) << 8 | uint32_t(message[2]) << 16 |
                      uint32_t(message[3]) << 24;
    if (framed != next.size) std::abort();
    cons += next.size;
  }
  return 0;
}
