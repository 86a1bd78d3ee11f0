// The 9P wire codec (see codec.h).
#include "p9/codec.h"

namespace p9 {

const char* dialect_name(Dialect d) {
  switch (d) {
    case Dialect::k9P2000: return "9P2000";
    case Dialect::k9P2000u: return "9P2000.u";
    case Dialect::k9P2000L: return "9P2000.L";
  }
  return "?";
}

uint16_t read_le16(const std::byte* p) { return uint16_t(uint16_t(p[0]) | uint16_t(p[1]) << 8); }
uint32_t read_le32(const std::byte* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// ---- Encoder ----------------------------------------------------------------------------------

void Encoder::operator()(const std::string& s) {
  (*this)(uint16_t(s.size()));
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  out_.insert(out_.end(), p, p + s.size());
}

void Encoder::operator()(const Qid& q) {
  (*this)(q.type);
  (*this)(q.version);
  (*this)(q.path);
}

void Encoder::operator()(const Stat& s) {
  size_t size_at = out_.size();
  (*this)(uint16_t(0));  // size[2], filled in below
  (*this)(s.type);
  (*this)(s.dev);
  (*this)(s.qid);
  (*this)(s.mode);
  (*this)(s.atime);
  (*this)(s.mtime);
  (*this)(s.length);
  (*this)(s.name);
  (*this)(s.uid);
  (*this)(s.gid);
  (*this)(s.muid);
  if (dialect_ == Dialect::k9P2000u) {
    (*this)(s.extension);
    (*this)(s.n_uid);
    (*this)(s.n_gid);
    (*this)(s.n_muid);
  }
  uint16_t size = uint16_t(out_.size() - size_at - 2);
  out_[size_at] = std::byte(size);
  out_[size_at + 1] = std::byte(size >> 8);
}

void Encoder::operator()(const WireStat& s) {
  size_t n_at = out_.size();
  (*this)(uint16_t(0));  // n[2]: the size of the stat record that follows
  (*this)(s.stat);
  uint16_t n = uint16_t(out_.size() - n_at - 2);
  out_[n_at] = std::byte(n);
  out_[n_at + 1] = std::byte(n >> 8);
}

void Encoder::operator()(const std::vector<std::string>& names) {
  (*this)(uint16_t(names.size()));
  for (const std::string& n : names) (*this)(n);
}

void Encoder::operator()(const std::vector<Qid>& qids) {
  (*this)(uint16_t(qids.size()));
  for (const Qid& q : qids) (*this)(q);
}

void Encoder::operator()(const Data& d) {
  (*this)(uint32_t(d.bytes.size()));
  out_.insert(out_.end(), d.bytes.begin(), d.bytes.end());
}

// ---- Decoder ----------------------------------------------------------------------------------

uint64_t Decoder::get(int bytes) {
  if (!ok()) return 0;
  if (remaining() < size_t(bytes)) {
    fail("message ends inside a field");
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(in_[at_ + i]) << (8 * i);
  at_ += bytes;
  return v;
}

void Decoder::operator()(std::string& s) {
  uint16_t len = uint16_t(get(2));
  if (!ok()) return;
  if (len > remaining()) return fail("string length runs past the message");
  const char* p = reinterpret_cast<const char*>(in_.data() + at_);
  if (std::memchr(p, '\0', len) != nullptr) return fail("string contains a NUL byte");
  s.assign(p, len);
  at_ += len;
}

void Decoder::operator()(Qid& q) {
  (*this)(q.type);
  (*this)(q.version);
  (*this)(q.path);
}

void Decoder::operator()(Stat& s) {
  uint16_t size = uint16_t(get(2));
  if (!ok()) return;
  if (size > remaining()) return fail("stat size runs past the message");
  size_t end = at_ + size;
  // Decode the record inside its own bounds: a field may not reach past `size`.
  Decoder inner(in_.subspan(at_, size), dialect_);
  inner(s.type);
  inner(s.dev);
  inner(s.qid);
  inner(s.mode);
  inner(s.atime);
  inner(s.mtime);
  inner(s.length);
  inner(s.name);
  inner(s.uid);
  inner(s.gid);
  inner(s.muid);
  if (dialect_ == Dialect::k9P2000u) {
    inner(s.extension);
    inner(s.n_uid);
    inner(s.n_gid);
    inner(s.n_muid);
  }
  if (!inner.ok()) return fail(inner.error());
  // Bytes after the known fields belong to a newer stat format: skipped, by the size field.
  at_ = end;
}

void Decoder::operator()(WireStat& s) {
  uint16_t n = uint16_t(get(2));
  if (!ok()) return;
  if (n > remaining()) return fail("stat[n] runs past the message");
  size_t before = at_;
  (*this)(s.stat);
  if (ok() && at_ - before != n) fail("stat[n] disagrees with the stat's own size");
}

void Decoder::operator()(std::vector<std::string>& names) {
  uint16_t count = uint16_t(get(2));
  if (!ok()) return;
  if (count > MAXWELEM) return fail("more than MAXWELEM (16) names");
  names.resize(count);
  for (std::string& n : names) (*this)(n);
}

void Decoder::operator()(std::vector<Qid>& qids) {
  uint16_t count = uint16_t(get(2));
  if (!ok()) return;
  if (count > MAXWELEM) return fail("more than MAXWELEM (16) qids");
  if (size_t(count) * 13 > remaining()) return fail("qid count runs past the message");
  qids.resize(count);
  for (Qid& q : qids) (*this)(q);
}

void Decoder::operator()(Data& d) {
  uint32_t count = uint32_t(get(4));
  if (!ok()) return;
  if (count > remaining()) return fail("data count runs past the message");
  d.bytes = in_.subspan(at_, count);
  at_ += count;
}

// ---- framing and records ----------------------------------------------------------------------

Result<Header> decode_header(std::span<const std::byte> message, size_t msize) {
  if (message.size() < kHeaderSize) return Error{EBADMSG, "9P: message shorter than its header"};
  uint32_t size = read_le32(message.data());
  if (size != message.size()) return Error{EBADMSG, "9P: size[4] disagrees with the message length"};
  if (size > msize) return Error{EBADMSG, "9P: message larger than msize"};
  return Header{size, Type(uint8_t(message[4])), read_le16(message.data() + 5)};
}

void encode_message(std::vector<std::byte>& out, Type type, uint16_t tag, Dialect dialect,
                    void (*put)(Encoder&, const void* m), const void* m) {
  out.clear();
  Encoder e(out, dialect);
  e(uint32_t(0));
  e(uint8_t(type));
  e(tag);
  put(e, m);
  uint32_t size = uint32_t(out.size());
  for (int i = 0; i < 4; ++i) out[i] = std::byte(size >> (8 * i));
}

Result<void> decode_message(std::span<const std::byte> message, Dialect dialect, size_t msize, Type type,
                            const char* name, void (*get)(Decoder&, void* out), void* out) {
  Header h = TRY(decode_header(message, msize));
  if (h.type != type)
    return Error{EBADMSG, std::string("9P: expected ") + name + ", got type " + std::to_string(int(h.type))};
  Decoder d(message.subspan(kHeaderSize), dialect);
  get(d, out);
  return check_decoded(d, name);
}

Result<void> check_decoded(Decoder& decoder, const char* name) {
  if (decoder.ok() && decoder.remaining() != 0) decoder.fail("bytes left over after the last field");
  if (!decoder.ok()) return Error{EBADMSG, std::string("9P: malformed ") + name + ": " + decoder.error()};
  return {};
}

Result<std::vector<Stat>> decode_stats(std::span<const std::byte> data, Dialect dialect) {
  std::vector<Stat> out;
  Decoder d(data, dialect);
  while (d.ok() && d.remaining() > 0) {
    Stat s;
    d(s);
    if (d.ok()) out.push_back(std::move(s));
  }
  if (!d.ok()) return Error{EBADMSG, std::string("9P: malformed directory data: ") + d.error()};
  return out;
}

Result<std::vector<DirEntry>> decode_dir_entries(std::span<const std::byte> data) {
  std::vector<DirEntry> out;
  Decoder d(data, Dialect::k9P2000L);
  while (d.ok() && d.remaining() > 0) {
    DirEntry e;
    d(e.qid);
    d(e.offset);
    d(e.type);
    d(e.name);
    if (d.ok()) out.push_back(std::move(e));
  }
  if (!d.ok()) return Error{EBADMSG, std::string("9P: malformed Rreaddir data: ") + d.error()};
  return out;
}

void encode_dir_entry(std::vector<std::byte>& out, const DirEntry& e) {
  Encoder enc(out, Dialect::k9P2000L);
  enc(e.qid);
  enc(e.offset);
  enc(e.type);
  enc(e.name);
}

size_t encoded_size(const DirEntry& e) { return 13 + 8 + 1 + 2 + e.name.size(); }

}  // namespace p9
