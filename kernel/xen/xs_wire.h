// XenStore wire format and ring arithmetic (xen/io/xs_wire.h), pure logic: unit-tested and
// fuzzed on the host. Everything read from the ring is checked here before anyone trusts it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include "xenos/result.h"

namespace xen::xs {

constexpr uint32_t kRingSize = 1024;    // XENSTORE_RING_SIZE
constexpr uint32_t kPayloadMax = 4096;  // XENSTORE_PAYLOAD_MAX
constexpr size_t kHeaderSize = 16;      // struct xsd_sockmsg

// Message types we send or accept (xs_wire.h's enum xsd_sockmsg_type).
// Laid out by hand: a table.
// clang-format off
enum Type : uint32_t {
  kControl = 0, kDirectory = 1, kRead = 2, kGetPerms = 3, kWatch = 4, kUnwatch = 5,
  kTransactionStart = 6, kTransactionEnd = 7, kIntroduce = 8, kRelease = 9, kGetDomainPath = 10,
  kWrite = 11, kMkdir = 12, kRm = 13, kSetPerms = 14, kWatchEvent = 15, kError = 16,
  kIsDomainIntroduced = 17, kResume = 18, kSetTarget = 19, kResetWatches = 21,
  kDirectoryPart = 22, kTypeCount = 23,
};
// clang-format on

struct Header {
  uint32_t type, req_id, tx_id, len;
};

// Bytes the peer claims are in the ring. An index pair claiming more than the ring holds is
// hostile (or corrupt): an error, never a read past the ring.
xenos::Result<uint32_t> ring_used(uint32_t cons, uint32_t prod);

// Copies `out.size()` bytes from ring position `cons` (wrapping).
void ring_read(const char* ring, uint32_t cons, std::span<char> out);
// Copies `in` into ring position `prod` (wrapping).
void ring_write(char* ring, uint32_t prod, std::span<const char> in);

// A xenstore value that is a decimal number (a domid, a ring reference, a state, a transaction
// id): digits only, at least one, at most `max`. One parser for every number read from the peer.
xenos::Result<uint64_t> parse_decimal(std::string_view text, uint64_t max);

void encode_header(const Header& h, std::span<char, kHeaderSize> out);
// Decodes and validates: length within XENSTORE_PAYLOAD_MAX, a type we know.
xenos::Result<Header> decode_header(std::span<const char, kHeaderSize> in);

// XS_ERROR's payload is an errno name ("ENOENT"); unknown names map to EIO.
int errno_from_name(std::string_view name);

// Splits a NUL-separated payload (XS_DIRECTORY, XS_WATCH_EVENT) into its strings.
// A final element without its NUL is still returned.
template <typename Visit>
void for_each_string(std::string_view payload, Visit&& visit) {
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\0', start);
    if (end == std::string_view::npos) end = payload.size();
    visit(payload.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace xen::xs
