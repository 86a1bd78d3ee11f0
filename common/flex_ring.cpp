// Flex ring index arithmetic and wrapping copies (see flex_ring.h).
#include "common/flex_ring.h"
#include <cerrno>
#include <cstring>
#include "p9/codec.h"

namespace xen {
namespace {
constexpr const char* kIndexesLie = "9pfs: ring indexes claim more than the ring holds";
}  // namespace

p9::Result<uint32_t> flex_queued(uint32_t prod, uint32_t cons, uint32_t ring_size) {
  uint32_t queued = prod - cons;  // free-running: the difference is right across wrap-around
  if (queued > ring_size) return p9::Error{EIO, kIndexesLie};
  return queued;
}

void flex_read(const volatile std::byte* ring, uint32_t ring_size, uint32_t cons, std::span<std::byte> out) {
  uint32_t at = cons & (ring_size - 1);
  size_t first = std::min<size_t>(out.size(), ring_size - at);
  std::memcpy(out.data(), const_cast<const std::byte*>(ring) + at, first);
  std::memcpy(out.data() + first, const_cast<const std::byte*>(ring), out.size() - first);
}

void flex_write(volatile std::byte* ring, uint32_t ring_size, uint32_t prod, std::span<const std::byte> in) {
  uint32_t at = prod & (ring_size - 1);
  size_t first = std::min<size_t>(in.size(), ring_size - at);
  std::memcpy(const_cast<std::byte*>(ring) + at, in.data(), first);
  std::memcpy(const_cast<std::byte*>(ring), in.data() + first, in.size() - first);
}

NextMessage next_message(const volatile std::byte* ring, uint32_t ring_size, uint32_t cons, uint32_t prod,
                         uint32_t msize) {
  auto queued = flex_queued(prod, cons, ring_size);
  if (!queued) return {NextMessage::kHostile, 0, kIndexesLie};
  if (*queued == 0) return {NextMessage::kNone, 0, nullptr};
  if (*queued < 4) return {NextMessage::kPartial, 0, nullptr};
  std::byte field[4];
  flex_read(ring, ring_size, cons, field);
  uint32_t size = p9::read_le32(field);  // 9P's size[4], little-endian
  if (size < 7) return {NextMessage::kHostile, size, "9pfs: a message's size[4] is below a 9P header"};
  if (size > ring_size)
    return {NextMessage::kHostile, size, "9pfs: a message's size[4] is larger than the ring"};
  if (size > msize)
    return {NextMessage::kHostile, size, "9pfs: a message's size[4] is above msize (it could never end)"};
  if (*queued < size) return {NextMessage::kPartial, size, nullptr};
  return {NextMessage::kReady, size, nullptr};
}

}  // namespace xen
