// libFuzzer target: whole client sessions against lib9p's server. The input is a stream of
// requests, each [len[2] type[1] tag[2] body[len]] with the size[4] filled in (so bytes reach
// the handlers), or, when the first byte says so, the raw bytes as they come (framing attacks).
// A Tversion for a random dialect opens the session unless the fuzzer skips it. The trees: the
// kv store, synthetic files, and a blocking file served through an inline Executor. Every
// reply must frame correctly and fit msize; the session must never crash or leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include "trees/kv_tree.h"
#include "p9/synthetic.h"

using namespace p9;

namespace {

class CheckingSink final : public ReplySink {
 public:
  size_t msize = 1 << 20;
  void send(std::vector<std::byte> reply, uint16_t lane) override {
    auto h = decode_header(reply, msize);
    if (!h) std::abort();  // a reply that does not frame, or exceeds msize
    if (h->tag != lane) std::abort();  // the lane routes it: it must be the reply's own tag
  }
};

class InlineExecutor final : public Executor {
 public:
  void run(std::function<void()> work, std::function<void()> done) override {
    work();
    done();
  }
};

class Blocking final : public Node {
 public:
  bool blocking() const override { return true; }
  Qid qid() override { return {QTFILE, 0, 99}; }
  Result<Attr> getattr() override { return synthetic_attr(qid(), 0666, 5); }
  Result<std::unique_ptr<OpenFile>> open(uint32_t) override {
    struct F final : OpenFile {
      Result<size_t> read(uint64_t offset, std::span<std::byte> out) override {
        size_t n = offset < 5 ? std::min<size_t>(out.size(), 5 - offset) : 0;
        std::memset(out.data(), 'b', n);
        return n;
      }
      Result<size_t> write(uint64_t, std::span<const std::byte> in) override { return in.size(); }
    };
    return std::unique_ptr<OpenFile>(new F);
  }
};

Server& server() {
  static Server* s = [] {
    Server::Limits limits;
    limits.max_fids = 64;
    auto* s = new Server(limits);
    s->add("kv", std::make_shared<iohost::KvTree>());
    auto root = std::make_shared<SyntheticDir>();
    root->add("motd", text_file([] { return std::string("hello\n"); }));
    root->add("slow", std::make_shared<Blocking>());
    auto sub = std::make_shared<SyntheticDir>();
    sub->add("f", text_file([] { return std::string("f\n"); }));
    root->add("sub", sub);
    s->add("syn", std::make_shared<StaticTree>(root));
    return s;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  data++, size--;
  CheckingSink sink;
  InlineExecutor executor;
  Session session(server(), sink, &executor, "fuzz", 1 << 16);
  if (mode & 1) {
    const char* versions[] = {"9P2000.L", "9P2000.u", "9P2000", "9P2000.L"};
    auto v = encode(Tversion{uint32_t(256 + (mode >> 3) * 512), versions[(mode >> 1) & 3]}, NOTAG,
                    Dialect::k9P2000);
    if (!session.receive(v)) return 0;
    sink.msize = session.msize() ? session.msize() : 1 << 16;
  }
  if (mode & 0x80) {  // raw framing: the bytes as a stream of size[4]-framed messages
    while (size >= 4) {
      uint32_t n;
      std::memcpy(&n, data, 4);
      if (n > size) n = uint32_t(size);
      if (!session.receive(std::span(reinterpret_cast<const std::byte*>(data), n))) return 0;
      data += n ? n : 4, size -= n ? n : 4;
      sink.msize = session.msize() ? session.msize() : 1 << 16;
    }
    return 0;
  }
  std::vector<std::byte> m;
  while (size >= 5) {
    size_t len = std::min<size_t>(data[0] | size_t(data[1]) << 8, size - 5);
    m.assign(4, std::byte(0));
    m.insert(m.end(), reinterpret_cast<const std::byte*>(data + 2),
             reinterpret_cast<const std::byte*>(data + 5 + len));
    uint32_t total = uint32_t(m.size());
    std::memcpy(m.data(), &total, 4);
    if (!session.receive(m)) return 0;  // the session ended, as it should for bad framing
    sink.msize = session.msize() ? session.msize() : 1 << 16;
    data += 5 + len, size -= 5 + len;
  }
  return 0;
}
