// XenStore wire helpers (see xs_wire.h). Pure logic; unit-tested and fuzzed on the host.
#include "xs_wire.h"
#include <cerrno>
#include <cstring>
#include "common/decimal.h"
#include "format.h"

namespace xen::xs {

xenos::Result<uint32_t> ring_used(uint32_t cons, uint32_t prod) {
  uint32_t used = prod - cons;  // free-running indexes: the difference is what counts
  if (used > kRingSize) return xenos::Error{EIO, "xenstore: ring indexes claim more than the ring holds"};
  return used;
}

void ring_read(const char* ring, uint32_t cons, std::span<char> out) {
  for (size_t done = 0; done < out.size();) {
    uint32_t offset = (cons + uint32_t(done)) % kRingSize;
    size_t chunk = std::min<size_t>(out.size() - done, kRingSize - offset);
    std::memcpy(out.data() + done, ring + offset, chunk);
    done += chunk;
  }
}

void ring_write(char* ring, uint32_t prod, std::span<const char> in) {
  for (size_t done = 0; done < in.size();) {
    uint32_t offset = (prod + uint32_t(done)) % kRingSize;
    size_t chunk = std::min<size_t>(in.size() - done, kRingSize - offset);
    std::memcpy(ring + offset, in.data() + done, chunk);
    done += chunk;
  }
}

namespace {
void put32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }  // xenstore is host-endian (x86: LE)
uint32_t get32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
}  // namespace

void encode_header(const Header& h, std::span<char, kHeaderSize> out) {
  put32(out.data() + 0, h.type);
  put32(out.data() + 4, h.req_id);
  put32(out.data() + 8, h.tx_id);
  put32(out.data() + 12, h.len);
}

xenos::Result<uint64_t> parse_decimal(std::string_view text, uint64_t max) {
  if (auto v = common::parse_decimal(text, max)) return *v;
  if (common::parse_decimal(text, UINT64_MAX) || (!text.empty() && text.find_first_not_of("0123456789") == text.npos))
    return xenos::Error{ERANGE, "xenstore: a number out of range"};
  return xenos::Error{EIO, "xenstore: not a decimal number"};
}

xenos::Result<Header> decode_header(std::span<const char, kHeaderSize> in) {
  Header h{get32(in.data()), get32(in.data() + 4), get32(in.data() + 8), get32(in.data() + 12)};
  if (h.len > kPayloadMax) return xenos::Error{EIO, "xenstore: reply longer than XENSTORE_PAYLOAD_MAX"};
  if (h.type >= kTypeCount || h.type == 20) return xenos::Error{EIO, "xenstore: reply of unknown type"};
  return h;
}

int errno_from_name(std::string_view name) {
  static const struct {
    const char* name;
    int code;
  } table[] = {
      {"EINVAL", EINVAL},       {"EACCES", EACCES},   {"EEXIST", EEXIST}, {"EISDIR", EISDIR},
      {"ENOENT", ENOENT},       {"ENOMEM", ENOMEM},   {"ENOSPC", ENOSPC}, {"EIO", EIO},
      {"ENOTEMPTY", ENOTEMPTY}, {"ENOSYS", ENOSYS},   {"EROFS", EROFS},   {"EBUSY", EBUSY},
      {"EAGAIN", EAGAIN},       {"EISCONN", EISCONN}, {"E2BIG", E2BIG},   {"EPERM", EPERM},
      {"EQUOTA", EDQUOT},
  };
  for (const auto& e : table)
    if (name == e.name) return e.code;
  return EIO;
}

}  // namespace xen::xs
