// The 9P wire codec. Little-endian integers through one helper, strings as len[2]+bytes, every
// length checked against what is there (and against msize) before it is trusted. Decoding
// never reads past the buffer: a bad message is an Error naming what was wrong.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <vector>
#include "p9/error.h"
#include "p9/messages.h"
#include "p9/protocol.h"

namespace p9 {

class Encoder {
 public:
  Encoder(std::vector<std::byte>& out, Dialect dialect) : out_(out), dialect_(dialect) {}
  Dialect dialect() const { return dialect_; }

  void operator()(uint8_t v) { put(v, 1); }
  void operator()(uint16_t v) { put(v, 2); }
  void operator()(uint32_t v) { put(v, 4); }
  void operator()(uint64_t v) { put(v, 8); }
  void operator()(const std::string& s);
  void operator()(const Qid& q);
  void operator()(const Stat& s);
  void operator()(const WireStat& s);
  void operator()(const std::vector<std::string>& names);
  void operator()(const std::vector<Qid>& qids);
  void operator()(const Data& d);

 private:
  void put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(std::byte(v >> (8 * i)));
  }
  std::vector<std::byte>& out_;
  Dialect dialect_;
};

class Decoder {
 public:
  Decoder(std::span<const std::byte> in, Dialect dialect) : in_(in), dialect_(dialect) {}
  Dialect dialect() const { return dialect_; }
  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_; }
  size_t remaining() const { return in_.size() - at_; }

  void operator()(uint8_t& v) { v = uint8_t(get(1)); }
  void operator()(uint16_t& v) { v = uint16_t(get(2)); }
  void operator()(uint32_t& v) { v = uint32_t(get(4)); }
  void operator()(uint64_t& v) { v = get(8); }
  void operator()(std::string& s);
  void operator()(Qid& q);
  void operator()(Stat& s);
  void operator()(WireStat& s);
  void operator()(std::vector<std::string>& names);
  void operator()(std::vector<Qid>& qids);
  void operator()(Data& d);

  void fail(const char* why) {
    if (!error_) error_ = why;
  }

 private:
  uint64_t get(int bytes);
  std::span<const std::byte> in_;
  size_t at_ = 0;
  Dialect dialect_;
  const char* error_ = nullptr;
};

struct Header {
  uint32_t size;
  Type type;
  uint16_t tag;
};

// Writes a whole message (size[4] type[1] tag[2] fields) to `out`, replacing its contents.
template <typename M>
void encode(std::vector<std::byte>& out, const M& message, uint16_t tag, Dialect dialect) {
  out.clear();
  Encoder e(out, dialect);
  e(uint32_t(0));
  e(uint8_t(M::kType));
  e(tag);
  const_cast<M&>(message).fields(e);
  uint32_t size = uint32_t(out.size());
  for (int i = 0; i < 4; ++i) out[i] = std::byte(size >> (8 * i));
}

template <typename M>
std::vector<std::byte> encode(const M& message, uint16_t tag, Dialect dialect) {
  std::vector<std::byte> out;
  encode(out, message, tag, dialect);
  return out;
}

// Checks the framing: at least a header, size[4] equal to the bytes given and within msize.
Result<Header> decode_header(std::span<const std::byte> message, size_t msize);

// What every decode<M> checks before and after its fields, out of line: each message type then
// adds only its own fields to an image. The header is framed right and of type `expected`; the
// fields decoded with no error and no bytes left over.
Result<void> check_message_type(std::span<const std::byte> message, size_t msize, Type expected,
                                const char* name);
Result<void> check_decoded(Decoder& decoder, const char* name);

// Decodes a whole message of type M: header checked, every field bounds-checked, and no bytes
// left over. Data fields point into `message`.
template <typename M>
Result<M> decode(std::span<const std::byte> message, Dialect dialect, size_t msize) {
  TRY_VOID(check_message_type(message, msize, M::kType, M::kName));
  M m{};
  Decoder d(message.subspan(kHeaderSize), dialect);
  m.fields(d);
  TRY_VOID(check_decoded(d, M::kName));
  return m;
}

// 9P2000(.u) directory reads return stat records back to back.
Result<std::vector<Stat>> decode_stats(std::span<const std::byte> data, Dialect dialect);
// 9P2000.L Rreaddir data: DirEntry records back to back.
Result<std::vector<DirEntry>> decode_dir_entries(std::span<const std::byte> data);
void encode_dir_entry(std::vector<std::byte>& out, const DirEntry& e);
size_t encoded_size(const DirEntry& e);

uint16_t read_le16(const std::byte* p);
uint32_t read_le32(const std::byte* p);

}  // namespace p9
