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

// A message's fields as plain functions (`m` is an M), for code that is not a template on M.
template <typename M>
void encode_fields(Encoder& e, const void* m) {
  const_cast<M*>(static_cast<const M*>(m))->fields(e);
}
template <typename M>
void decode_fields(Decoder& d, void* m) {
  static_cast<M*>(m)->fields(d);
}

// Writes a whole message (size[4] type[1] tag[2], then `put` writes the fields of `m`) to
// `out`, replacing its contents. Out of line: each message type adds only its fields.
void encode_message(std::vector<std::byte>& out, Type type, uint16_t tag, Dialect dialect,
                    void (*put)(Encoder&, const void* m), const void* m);

template <typename M>
void encode(std::vector<std::byte>& out, const M& message, uint16_t tag, Dialect dialect) {
  encode_message(out, M::kType, tag, dialect, encode_fields<M>, &message);
}

template <typename M>
std::vector<std::byte> encode(const M& message, uint16_t tag, Dialect dialect) {
  std::vector<std::byte> out;
  encode(out, message, tag, dialect);
  return out;
}

// Checks the framing: at least a header, size[4] equal to the bytes given and within msize.
Result<Header> decode_header(std::span<const std::byte> message, size_t msize);

// A whole message decoded into `out` by `get` (its fields): the header framed right, within
// msize and of type `type`; every field bounds-checked; no bytes left over. `name` is the
// message's, for the error. Out of line: each message type adds only its fields to an image.
Result<void> decode_message(std::span<const std::byte> message, Dialect dialect, size_t msize, Type type,
                            const char* name, void (*get)(Decoder&, void* out), void* out);
// The fields decoded with no error and no bytes left over.
Result<void> check_decoded(Decoder& decoder, const char* name);

// Decodes a whole message of type M (decode_message). Data fields point into `message`.
template <typename M>
Result<M> decode(std::span<const std::byte> message, Dialect dialect, size_t msize) {
  M m{};
  TRY_VOID(decode_message(message, dialect, msize, M::kType, M::kName, decode_fields<M>, &m));
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
