// One direction of a Xen flex ring (xen/io/ring.h, DEFINE_XEN_FLEX_RING): a byte stream in a
// power-of-two buffer with free-running producer and consumer indexes. Pure logic, unit-tested
// on the host: the indexes come from the other domain and are checked before any copy. Shared
// by the guest's frontend (kernel/xen/ninep_front.cpp) and iohost's backend (iohost/transport/ring_channel.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include "p9/error.h"

namespace xen {

// Bytes between cons and prod. More than the ring holds means the peer is lying.
p9::Result<uint32_t> flex_queued(uint32_t prod, uint32_t cons, uint32_t ring_size);

// Copies out.size() bytes from index `cons` (wrapping at ring_size).
void flex_read(const volatile std::byte* ring, uint32_t ring_size, uint32_t cons, std::span<std::byte> out);
// Copies `in` to index `prod` (wrapping at ring_size).
void flex_write(volatile std::byte* ring, uint32_t ring_size, uint32_t prod, std::span<const std::byte> in);

// What the next 9P message in a ring looks like, judged from the indexes and its size[4].
struct NextMessage {
  enum State { kNone, kPartial, kReady, kHostile } state;
  uint32_t size;    // kReady: the whole message's length
  const char* why;  // kHostile: what was wrong
};

// A message is framed by its own size[4]; one that claims less than a 9P header or more than
// msize (or the ring) cannot be honest, and neither can indexes that claim more than the ring.
NextMessage next_message(const volatile std::byte* ring, uint32_t ring_size, uint32_t cons, uint32_t prod,
                         uint32_t msize);

}  // namespace xen
