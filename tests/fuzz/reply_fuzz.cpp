// libFuzzer target: everything a 9P server can send back. The first byte picks the dialect;
// the rest is decoded as every R-message type (and as directory records), then fed to a live
// Client session as the replies to a walk, open, read, readdir and stat, with tags patched so
// the bytes reach the reply handling instead of stopping at "tag not in flight".
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include "p9/client.h"

using namespace p9;

namespace {

class NullSync final : public Sync {  // one thread: nothing to wait for
 public:
  void lock() override {}
  void unlock() override {}
  void wait() override {}
  bool wait_until(uint64_t) override { return false; }
  void wake_all() override {}
  uint64_t now_ns() override { return ++now_; }
  uint64_t now_ = 0;
};

class FuzzTransport final : public Transport {
 public:
  FuzzTransport(const uint8_t* data, size_t size, Dialect d) : data_(data), size_(size), dialect_(d) {}
  size_t max_message_size() const override { return 1 << 16; }
  Result<void> send(std::span<const std::byte> m, uint16_t) override {
    last_tag_ = read_le16(m.data() + 5);
    last_type_ = Type(uint8_t(m[4]));
    return {};
  }
  Result<std::vector<std::byte>> receive(uint64_t) override {
    if (last_type_ == Type::Tversion) return encode(Rversion{8192, dialect_name(dialect_)}, NOTAG, dialect_);
    if (last_type_ == Type::Tattach) return encode(Rattach{Qid{QTDIR, 0, 1}}, last_tag_, dialect_);
    // Next fuzz chunk: len[2] then that many bytes, used as a whole reply (size[4] fixed up so
    // the framing passes and the body is what gets tested).
    if (at_ + 2 > size_) return Error{ECONNRESET, "fuzz input exhausted"};
    size_t len = size_t(data_[at_]) | size_t(data_[at_ + 1]) << 8;
    at_ += 2;
    len = std::min(len, size_ - at_);
    std::vector<std::byte> m(std::max<size_t>(len, 7));
    for (size_t i = 0; i < len; ++i) m[i] = std::byte(data_[at_ + i]);
    at_ += len;
    uint32_t n = uint32_t(m.size());
    for (int i = 0; i < 4; ++i) m[i] = std::byte(n >> (8 * i));
    m[5] = std::byte(last_tag_);
    m[6] = std::byte(last_tag_ >> 8);
    return m;
  }

 private:
  const uint8_t* data_;
  size_t size_, at_ = 0;
  Dialect dialect_;
  uint16_t last_tag_ = 0;
  Type last_type_ = Type::Tversion;
};

template <typename M>
void try_decode(std::span<const std::byte> msg, Dialect d) {
  auto r = decode<M>(msg, d, 1 << 16);
  if constexpr (requires { r->data; }) {
    if (r) {
      (void)decode_stats(r->data.bytes, d);
      (void)decode_dir_entries(r->data.bytes);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Dialect d = Dialect(data[0] % 3);
  std::span<const std::byte> msg(reinterpret_cast<const std::byte*>(data + 1), size - 1);
#define TRY_ONE(M) try_decode<M>(msg, d);
  P9_FOR_EACH_MESSAGE(TRY_ONE)
#undef TRY_ONE
  (void)decode_stats(msg, d);
  (void)decode_dir_entries(msg);

  FuzzTransport transport(data + 1, size - 1, d);
  NullSync sync;
  Client client(transport, sync);
  MountOptions o;
  o.dialect = d;
  if (!client.mount(o)) return 0;
  (void)client.walk("a/b/c");
  if (auto f = client.open("f", kReadWrite | kCreate)) {
    std::byte buf[300];
    (void)f->pread(buf, 0);
    (void)f->stat();
  }
  (void)client.readdir("d");
  (void)client.stat("s");
  return 0;
}
