// lib9p's server Session against lib9p's client, in process (no sockets): the three dialects,
// walks, flushes, limits and hostile messages. The trees are in-memory (kv, synthetic) here;
// export_tree_test.cpp serves a real folder.
#include <gtest/gtest.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include "trees/kv_tree.h"
#include "loopback_server.h"
#include "p9/synthetic.h"

using namespace p9;
using p9test::LoopbackServer;

namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string read_all(File& f) {
  std::string out(1 << 16, '\0');
  auto n = f.pread(std::as_writable_bytes(std::span(out)), 0);
  EXPECT_TRUE(n) << n.error().message;
  out.resize(n ? *n : 0);
  return out;
}

// A server with a key-value tree "kv" (first: the default) and a synthetic tree "syn".
struct Fixture {
  Server server;
  std::atomic<int> writes{0};
  Fixture(Server::Limits limits = {}) : server(limits) {
    server.add("kv", std::make_shared<iohost::KvTree>());
    auto root = std::make_shared<SyntheticDir>();
    root->add("motd", text_file([] { return std::string("served by lib9p\n"); }));
    root->add("sink", std::make_shared<SyntheticFile>(
                          0222, nullptr, [this](uint64_t, std::span<const std::byte> in) -> Result<size_t> {
                            writes += int(in.size());
                            return in.size();
                          }));
    auto sub = std::make_shared<SyntheticDir>();
    sub->add("deep", text_file([] { return std::string("deep\n"); }));
    root->add("sub", sub);
    server.add("syn", std::make_shared<StaticTree>(root));
  }
};

class Dialects : public ::testing::TestWithParam<Dialect> {};

// A client mounted on the fixture's server in the test's dialect.
struct Mounted {
  Fixture fx;
  LoopbackServer loop{fx.server};
  ThreadSync sync;
  Client c{loop, sync};
  Mounted(Dialect d, const char* aname) {
    MountOptions o;
    o.dialect = d;
    o.aname = aname;
    auto m = c.mount(o);
    EXPECT_TRUE(m) << m.error().message;
    EXPECT_EQ(c.dialect(), d);
  }
};

}  // namespace

TEST_P(Dialects, CreateWriteReadListRenameRemove) {
  Mounted m(GetParam(), "kv");
  Client& c = m.c;
  {
    auto f = c.open("colour", kReadWrite | kCreate, 0644);
    ASSERT_TRUE(f) << f.error().message;
    ASSERT_TRUE(f->pwrite(bytes("blue"), 0));
  }
  auto f = c.open("colour", kRead);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(read_all(*f), "blue");
  auto info = c.stat("colour");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->size, 4u);
  ASSERT_TRUE(c.open("shape", kWrite | kCreate));
  auto list = c.readdir("");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "colour");
  EXPECT_EQ((*list)[1].name, "shape");
  ASSERT_TRUE(c.rename("colour", "hue"));
  EXPECT_FALSE(c.stat("colour"));
  auto hue = c.open("hue", kRead);
  ASSERT_TRUE(hue);
  EXPECT_EQ(read_all(*hue), "blue");
  ASSERT_TRUE(c.remove("hue"));
  auto gone = c.stat("hue");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ENOENT) << gone.error().message;
}

TEST_P(Dialects, SyntheticFilesAndAnameSubtrees) {
  Mounted m(GetParam(), "/syn/sub");
  Client& c = m.c;
  auto deep = c.open("deep", kRead);
  ASSERT_TRUE(deep) << deep.error().message;
  EXPECT_EQ(read_all(*deep), "deep\n");
  // ".." at the attach root stays there: the subtree is all this client sees.
  auto up = c.open("../../motd", kRead);
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, ENOENT);
}

TEST_P(Dialects, ErrorsKeepTheirErrnoAcrossTheWire) {
  Mounted m(GetParam(), "syn");
  Client& c = m.c;
  auto missing = c.open("nothing", kRead);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT) << missing.error().message;
  auto sink = c.open("sink", kRead);  // write-only
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code, EACCES) << sink.error().message;
  auto created = c.open("new", kWrite | kCreate);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, EPERM) << created.error().message;
  auto w = c.open("sink", kWrite);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(w->pwrite(bytes("12345"), 0));
  EXPECT_EQ(m.fx.writes.load(), 5);
}

INSTANTIATE_TEST_SUITE_P(Server, Dialects,
                         ::testing::Values(Dialect::k9P2000L, Dialect::k9P2000u, Dialect::k9P2000),
                         [](const auto& info) {
                           return std::string(info.param == Dialect::k9P2000L   ? "L"
                                              : info.param == Dialect::k9P2000u ? "u"
                                                                                : "plain");
                         });

// ---- the protocol, message by message ------------------------------------------------------

namespace {

struct Raw {
  Fixture fx;
  std::unique_ptr<LoopbackServer> loop;
  Dialect d = Dialect::k9P2000L;
  explicit Raw(Server::Limits limits = {}, size_t transport_max = 1 << 20) : fx(limits) {
    loop = std::make_unique<LoopbackServer>(fx.server, transport_max);
  }
  template <typename T>
  void send(const T& m, uint16_t tag) {
    auto bytes = encode(m, tag, d);
    ASSERT_TRUE(loop->request(bytes));
  }
  Header reply_header(std::vector<std::byte>* out = nullptr) {
    auto r = loop->next_reply();
    EXPECT_TRUE(r.has_value());
    if (!r) return {0, Type::Rlerror, 0};
    if (out) *out = *r;
    return *decode_header(*r, 1 << 20);
  }
  uint32_t lerror() {
    std::vector<std::byte> m;
    Header h = reply_header(&m);
    EXPECT_EQ(h.type, Type::Rlerror);
    auto e = decode<Rlerror>(m, d, 1 << 20);
    return e ? e->ecode : 0;
  }
  void start(const char* aname = "syn", uint32_t msize = 8192) {
    send(Tversion{msize, "9P2000.L"}, NOTAG);
    EXPECT_EQ(reply_header().type, Type::Rversion);
    send(Tattach{0, NOFID, "u", aname, 0}, 1);
    EXPECT_EQ(reply_header().type, Type::Rattach);
  }
};

}  // namespace

TEST(ServerProtocol, VersionNegotiatesDialectAndMsize) {
  Raw r({}, 64 * 1024);
  r.send(Tversion{1 << 20, "9P2000.u"}, NOTAG);
  std::vector<std::byte> m;
  r.reply_header(&m);
  auto v = decode<Rversion>(m, Dialect::k9P2000u, 1 << 20);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->version, "9P2000.u");
  EXPECT_EQ(v->msize, 64u * 1024);  // the transport's limit wins
  r.send(Tversion{8192, "9P2000.xyz"}, NOTAG);
  r.reply_header(&m);
  EXPECT_EQ(decode<Rversion>(m, Dialect::k9P2000, 1 << 20)->version, "9P2000");
  r.send(Tversion{8192, "SMB"}, NOTAG);
  r.reply_header(&m);
  EXPECT_EQ(decode<Rversion>(m, Dialect::k9P2000, 1 << 20)->version, "unknown");
}

TEST(ServerProtocol, AMessageBeforeVersionEndsTheSession) {
  Raw r;
  r.send(Tattach{0, NOFID, "u", "", 0}, 1);
  EXPECT_FALSE(r.loop->next_reply(200));
  EXPECT_NE(r.loop->session_error.find("before Tversion"), std::string::npos) << r.loop->session_error;
}

TEST(ServerProtocol, AVersionAfterAttachFreesEveryFid) {
  Raw r;
  r.start();
  EXPECT_EQ(r.loop->session().fid_count(), 1u);
  r.send(Tversion{8192, "9P2000.L"}, NOTAG);
  EXPECT_EQ(r.reply_header().type, Type::Rversion);
  EXPECT_EQ(r.loop->session().fid_count(), 0u);
  r.send(Tgetattr{0, P9_GETATTR_BASIC}, 2);
  EXPECT_EQ(r.lerror(), 9u);  // EBADF: fid 0 is gone
}

TEST(ServerProtocol, AWalkOfSeventeenNamesIsRefusedAndTheSessionGoesOn) {
  Raw r;
  r.start();
  // Encode 17 names by hand: the codec itself refuses to decode more than 16.
  Twalk w{0, 1, std::vector<std::string>(16, "sub")};
  auto m = encode(w, 2, r.d);
  m[kHeaderSize + 8] = std::byte(17);
  m.insert(m.end(), {std::byte(3), std::byte(0), std::byte('s'), std::byte('u'), std::byte('b')});
  uint32_t size = uint32_t(m.size());
  std::memcpy(m.data(), &size, 4);
  ASSERT_TRUE(r.loop->request(m));
  EXPECT_EQ(r.lerror(), 74u);  // EBADMSG
  r.send(Twalk{0, 1, {"sub", "deep"}}, 3);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
}

TEST(ServerProtocol, AWalkFromAClunkedFidIsEbadf) {
  Raw r;
  r.start();
  r.send(Tclunk{0}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rclunk);
  r.send(Twalk{0, 1, {"motd"}}, 3);
  EXPECT_EQ(r.lerror(), 9u);
}

TEST(ServerProtocol, APartialWalkReturnsTheQidsReachedAndNoFid) {
  Raw r;
  r.start();
  r.send(Twalk{0, 1, {"sub", "missing"}}, 2);
  std::vector<std::byte> m;
  ASSERT_EQ(r.reply_header(&m).type, Type::Rwalk);
  EXPECT_EQ(decode<Rwalk>(m, r.d, 1 << 20)->wqids.size(), 1u);
  EXPECT_EQ(r.loop->session().fid_count(), 1u);
  r.send(Twalk{0, 1, {"missing"}}, 3);
  EXPECT_EQ(r.lerror(), 2u);  // ENOENT: the first name failed
}

TEST(ServerProtocol, AReadLargerThanMsizeGetsWhatFits) {
  Raw r;
  r.start("syn", 4096);
  // /dev/zero-like file: the synthetic sink is write-only, so use a big text file instead.
  auto big = std::make_shared<SyntheticFile>(0444, [](uint64_t, std::span<std::byte> out) -> Result<size_t> {
    std::memset(out.data(), 'z', out.size());
    return out.size();
  });
  auto root = std::make_shared<SyntheticDir>();
  root->add("zero", big);
  r.fx.server.add("z", std::make_shared<StaticTree>(root));
  r.send(Tattach{5, NOFID, "u", "z", 0}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rattach);
  r.send(Twalk{5, 6, {"zero"}}, 3);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
  r.send(Tlopen{6, 0}, 4);
  EXPECT_EQ(r.reply_header().type, Type::Rlopen);
  r.send(Tread{6, 0, 4097}, 5);
  std::vector<std::byte> m;
  ASSERT_EQ(r.reply_header(&m).type, Type::Rread);
  EXPECT_LE(m.size(), 4096u);
  EXPECT_EQ(decode<Rread>(m, r.d, 4096)->data.bytes.size(), 4096u - IOHDRSZ);
}

TEST(ServerProtocol, ASizeFieldOfFourGibibytesEndsTheSession) {
  Raw r;
  r.start();
  std::vector<std::byte> m(kHeaderSize + 4, std::byte(0));
  uint32_t huge = 0xffffffff;
  std::memcpy(m.data(), &huge, 4);
  m[4] = std::byte(uint8_t(Type::Tclunk));
  ASSERT_TRUE(r.loop->request(m));
  EXPECT_FALSE(r.loop->next_reply(200));
  EXPECT_NE(r.loop->session_error.find("size"), std::string::npos) << r.loop->session_error;
}

TEST(ServerProtocol, AMalformedBodyGetsAnErrorAndTheSessionGoesOn) {
  Raw r;
  r.start();
  auto m = encode(Twalk{0, 1, {"motd"}}, 2, r.d);
  m[kHeaderSize + 10] = std::byte(200);  // the name's length runs past the message
  ASSERT_TRUE(r.loop->request(m));
  EXPECT_EQ(r.lerror(), 74u);
  r.send(Twalk{0, 1, {"motd"}}, 3);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
}

TEST(ServerProtocol, FidsRunOutWithEmfile) {
  Server::Limits limits;
  limits.max_fids = 3;
  Raw r(limits);
  r.start();
  r.send(Twalk{0, 1, {}}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
  r.send(Twalk{0, 2, {}}, 3);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
  r.send(Twalk{0, 3, {}}, 4);
  EXPECT_EQ(r.lerror(), 24u);  // EMFILE
  r.send(Tclunk{2}, 5);
  EXPECT_EQ(r.reply_header().type, Type::Rclunk);
  r.send(Twalk{0, 3, {}}, 6);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
}

TEST(ServerProtocol, ExtendedAttributesAreAnsweredProperly) {
  Raw r;
  r.start();
  r.send(Txattrwalk{0, 1, ""}, 2);  // the list: empty
  std::vector<std::byte> m;
  ASSERT_EQ(r.reply_header(&m).type, Type::Rxattrwalk);
  EXPECT_EQ(decode<Rxattrwalk>(m, r.d, 1 << 20)->size, 0u);
  r.send(Tread{1, 0, 100}, 3);
  ASSERT_EQ(r.reply_header(&m).type, Type::Rread);
  r.send(Txattrwalk{0, 2, "user.colour"}, 4);
  EXPECT_EQ(r.lerror(), 61u);  // ENODATA
  r.send(Txattrcreate{0, "user.colour", 4, 0}, 5);
  EXPECT_EQ(r.lerror(), 95u);  // EOPNOTSUPP
}

TEST(ServerProtocol, RequestsOfTheWrongDialectAreRefused) {
  Raw r;
  r.start();
  r.send(Tstat{0}, 2);  // 9P2000 only
  EXPECT_EQ(r.lerror(), 95u);
  r.send(Tauth{7, "u", "syn", 0}, 3);  // no authentication: ENOENT, as diod's clients expect
  EXPECT_EQ(r.lerror(), 2u);
}

// ---- blocking trees: flush and tags ----------------------------------------------------------

namespace {

// A file whose read waits until the test lets it go: a stand-in for a /net read or a remote.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> waiting{0};
  void wait() {
    std::unique_lock<std::mutex> l(mu);
    ++waiting;
    cv.wait(l, [&] { return open; });
  }
  void release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

class SlowNode final : public Node {
 public:
  explicit SlowNode(Gate& g) : gate_(g) {}
  bool blocking() const override { return true; }
  Qid qid() override { return {QTFILE, 0, 77}; }
  Result<Attr> getattr() override { return synthetic_attr(qid(), 0444, 0); }
  Result<std::unique_ptr<OpenFile>> open(uint32_t) override {
    struct Slow final : OpenFile {
      Gate& g;
      explicit Slow(Gate& gate) : g(gate) {}
      Result<size_t> read(uint64_t, std::span<std::byte> out) override {
        g.wait();
        out[0] = std::byte('x');
        return size_t(1);
      }
    };
    return std::unique_ptr<OpenFile>(new Slow(gate_));
  }

 private:
  Gate& gate_;
};

void wait_for(std::atomic<int>& n, int value) {
  for (int i = 0; i < 2000 && n.load() < value; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// A session attached to a tree whose file "slow" blocks reads on `gate`; fid 1 is it, open.
void open_slow_file(Raw& r, Gate& gate) {
  auto root = std::make_shared<SyntheticDir>();
  root->add("slow", std::make_shared<SlowNode>(gate));
  r.fx.server.add("slow", std::make_shared<StaticTree>(root));
  r.start("slow");
  r.send(Twalk{0, 1, {"slow"}}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
  r.send(Tlopen{1, 0}, 3);
  EXPECT_EQ(r.reply_header().type, Type::Rlopen);
}

}  // namespace

TEST(ServerFlush, AFlushedRequestsReplyIsNeverSentAndRflushComesAfterIt) {
  Gate gate;
  Raw r;
  open_slow_file(r, gate);
  r.send(Tread{1, 0, 10}, 10);
  wait_for(gate.waiting, 1);
  EXPECT_EQ(r.loop->session().in_flight(), 1u);
  // Other requests are served while the read waits.
  r.send(Tgetattr{0, P9_GETATTR_BASIC}, 11);
  EXPECT_EQ(r.reply_header().type, Type::Rgetattr);
  // The tag in flight may not be reused: that ends the session.
  r.send(Tflush{10}, 12);
  EXPECT_FALSE(r.loop->next_reply(100));  // Rflush waits for the read to finish
  gate.release();
  Header h = r.reply_header();
  EXPECT_EQ(h.type, Type::Rflush);  // and the read's own reply never comes
  EXPECT_EQ(h.tag, 12);
  EXPECT_FALSE(r.loop->next_reply(100));
  EXPECT_EQ(r.loop->session().in_flight(), 0u);
}

TEST(ServerFlush, ATagReusedWhileInFlightEndsTheSession) {
  Gate gate;
  Raw r;
  open_slow_file(r, gate);
  r.send(Tread{1, 0, 10}, 10);
  wait_for(gate.waiting, 1);
  r.send(Tread{1, 0, 10}, 10);
  gate.release();
  EXPECT_NE(r.loop->session_error.find("reused"), std::string::npos) << r.loop->session_error;
}

TEST(ServerFlush, AFlushOfAnAnsweredTagIsAnsweredAtOnce) {
  Raw r;
  r.start();
  r.send(Tflush{1}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rflush);
}

TEST(ServerFlush, TooManyBlockingRequestsInFlightGetEagain) {
  Gate gate;
  Server::Limits limits;
  limits.max_in_flight = 1;
  Raw r(limits);
  open_slow_file(r, gate);
  r.send(Tread{1, 0, 10}, 10);
  wait_for(gate.waiting, 1);
  r.send(Tread{1, 0, 10}, 11);
  std::vector<std::byte> m;
  Header h = r.reply_header(&m);
  EXPECT_EQ(h.tag, 11);
  EXPECT_EQ(decode<Rlerror>(m, r.d, 1 << 20)->ecode, 11u);  // EAGAIN
  gate.release();
  h = r.reply_header();
  EXPECT_EQ(h.type, Type::Rread);
  EXPECT_EQ(h.tag, 10);
}

namespace {

// A file whose reads park (as a network connection's data does) and a node whose open parks
// (as a listen does): the test completes them through LoopbackServer::post, on the session's
// side, or sees them cancelled.
struct Parking {
  Done<std::vector<std::byte>> read_done;
  Done<std::unique_ptr<OpenFile>> open_done;
  int cancels = 0;
};

class ParkedFile final : public OpenFile {
 public:
  explicit ParkedFile(std::shared_ptr<Parking> p) : p_(std::move(p)) {}
  bool parks() const override { return true; }
  Cancel read_parked(uint64_t, size_t, Done<std::vector<std::byte>> done) override {
    p_->read_done = std::move(done);
    return [p = p_] {
      ++p->cancels;
      p->read_done = nullptr;
    };
  }

 private:
  std::shared_ptr<Parking> p_;
};

class ParkedNode final : public Node {
 public:
  explicit ParkedNode(std::shared_ptr<Parking> p) : p_(std::move(p)) {}
  Qid qid() override { return {QTFILE, 0, 78}; }
  Result<Attr> getattr() override { return synthetic_attr(qid(), 0666, 0); }
  Result<std::unique_ptr<OpenFile>> open(uint32_t) override { return Error{EIO, "parks only"}; }
  bool parks_open() const override { return true; }
  Cancel open_parked(uint32_t, Done<std::unique_ptr<OpenFile>> done) override {
    p_->open_done = std::move(done);
    return [p = p_] {
      ++p->cancels;
      p->open_done = nullptr;
    };
  }

 private:
  std::shared_ptr<Parking> p_;
};

// fid 1 walked to "parked"; its open parks until the test completes it.
std::shared_ptr<Parking> walk_to_parked(Raw& r) {
  auto parking = std::make_shared<Parking>();
  auto root = std::make_shared<SyntheticDir>();
  root->add("parked", std::make_shared<ParkedNode>(parking));
  r.fx.server.add("net", std::make_shared<StaticTree>(root));
  r.start("net");
  r.send(Twalk{0, 1, {"parked"}}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
  return parking;
}

void complete_open(Raw& r, const std::shared_ptr<Parking>& p) {
  r.loop->post([p] {
    auto done = std::move(p->open_done);
    ASSERT_TRUE(done);
    done(std::unique_ptr<OpenFile>(new ParkedFile(p)));
  });
}

void complete_read(Raw& r, const std::shared_ptr<Parking>& p, std::string text) {
  r.loop->post([p, text] {
    auto done = std::move(p->read_done);
    if (done)
      done(std::vector<std::byte>(reinterpret_cast<const std::byte*>(text.data()),
                                  reinterpret_cast<const std::byte*>(text.data()) + text.size()));
  });
}

}  // namespace

TEST(ServerParked, AParkedOpenAndReadHoldNothingUpAndAnswerWhenDone) {
  Raw r;
  auto p = walk_to_parked(r);
  r.send(Tlopen{1, 2}, 10);  // waits, as an open of a listen file waits for a call
  EXPECT_FALSE(r.loop->next_reply(50));
  r.send(Tgetattr{0, P9_GETATTR_BASIC}, 11);  // the session goes on meanwhile
  EXPECT_EQ(r.reply_header().type, Type::Rgetattr);
  complete_open(r, p);
  Header h = r.reply_header();
  EXPECT_EQ(h.type, Type::Rlopen);
  EXPECT_EQ(h.tag, 10);
  r.send(Tread{1, 0, 100}, 12);
  EXPECT_FALSE(r.loop->next_reply(50));
  EXPECT_EQ(r.loop->session().in_flight(), 1u);
  complete_read(r, p, "data from the peer");
  std::vector<std::byte> m;
  h = r.reply_header(&m);
  ASSERT_EQ(h.type, Type::Rread);
  auto rr = decode<Rread>(m, r.d, 1 << 20);
  ASSERT_TRUE(rr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(rr->data.bytes.data()), rr->data.bytes.size()),
            "data from the peer");
  EXPECT_EQ(r.loop->session().in_flight(), 0u);
}

TEST(ServerParked, AFlushCancelsAParkedReadAndIsAnsweredAtOnce) {
  Raw r;
  auto p = walk_to_parked(r);
  r.send(Tlopen{1, 2}, 10);
  complete_open(r, p);
  EXPECT_EQ(r.reply_header().type, Type::Rlopen);
  r.send(Tread{1, 0, 100}, 20);
  EXPECT_FALSE(r.loop->next_reply(50));
  auto stale = p->read_done;  // a completion that comes after the flush must go nowhere
  r.send(Tflush{20}, 21);
  Header h = r.reply_header();
  EXPECT_EQ(h.type, Type::Rflush);  // at once: a parked request has nothing left to run
  EXPECT_EQ(h.tag, 21);
  EXPECT_EQ(p->cancels, 1);
  EXPECT_EQ(r.loop->session().in_flight(), 0u);
  // The tag is free again: a new read with it parks, and the stale completion cannot answer it.
  r.send(Tread{1, 0, 100}, 20);
  r.loop->post([stale] { stale(std::vector<std::byte>(3, std::byte('x'))); });
  EXPECT_FALSE(r.loop->next_reply(50));
  complete_read(r, p, "fresh");
  std::vector<std::byte> m;
  h = r.reply_header(&m);
  ASSERT_EQ(h.type, Type::Rread);
  EXPECT_EQ(decode<Rread>(m, r.d, 1 << 20)->data.bytes.size(), 5u);
  EXPECT_FALSE(r.loop->next_reply(50));
}

TEST(ServerParked, AVersionOrTheSessionsEndCancelsEveryParkedRequest) {
  auto p = std::make_shared<Parking>();
  {
    Raw r;
    p = walk_to_parked(r);
    r.send(Tlopen{1, 2}, 10);
    EXPECT_FALSE(r.loop->next_reply(50));
    r.send(Tversion{8192, "9P2000.L"}, NOTAG);
    EXPECT_EQ(r.reply_header().type, Type::Rversion);
    EXPECT_EQ(p->cancels, 1);
    r.send(Tattach{0, NOFID, "u", "net", 0}, 1);
    EXPECT_EQ(r.reply_header().type, Type::Rattach);
    r.send(Twalk{0, 1, {"parked"}}, 2);
    EXPECT_EQ(r.reply_header().type, Type::Rwalk);
    r.send(Tlopen{1, 2}, 10);
    EXPECT_FALSE(r.loop->next_reply(50));
  }  // the session ends with the open parked
  EXPECT_EQ(p->cancels, 2);
}

// ---- what one client may hold (issue 27) ------------------------------------------------------

TEST(ServerLimits, ATversionDoesNotForgetWorkStillRunning) {
  Gate gate;
  Server::Limits limits;
  limits.max_in_flight = 2;
  Raw r(limits);
  open_slow_file(r, gate);
  r.send(Tread{1, 0, 10}, 10);
  wait_for(gate.waiting, 1);
  // version(5) frees every fid and forgets the read, but its thread is still taken: the count
  // of work in flight stays until it ends, so a client cannot queue past the limit this way.
  r.start("slow");  // Tversion, then attach and open the file again
  r.send(Twalk{0, 1, {"slow"}}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rwalk);
  r.send(Tlopen{1, 0}, 3);
  EXPECT_EQ(r.reply_header().type, Type::Rlopen);
  r.send(Tread{1, 0, 10}, 11);
  wait_for(gate.waiting, 2);
  EXPECT_EQ(r.loop->session().in_flight(), 1u);
  EXPECT_EQ(r.loop->session().executing(), 2u);
  r.send(Tread{1, 0, 10}, 12);
  std::vector<std::byte> m;
  Header h = r.reply_header(&m);
  EXPECT_EQ(h.tag, 12);
  EXPECT_EQ(decode<Rlerror>(m, r.d, 1 << 20)->ecode, 11u);  // EAGAIN
  gate.release();
  h = r.reply_header();
  EXPECT_EQ(h.type, Type::Rread);
  EXPECT_EQ(h.tag, 11);  // the forgotten read's reply never comes
  for (int i = 0; i < 100 && r.loop->session().executing() != 0; ++i) r.loop->next_reply(10);
  EXPECT_EQ(r.loop->session().executing(), 0u);
}

TEST(ServerLimits, ALargeMessageBeforeVersionEndsTheSession) {
  Raw r;
  r.send(Tversion{8192, std::string(9000, 'x')}, NOTAG);
  EXPECT_FALSE(r.loop->next_reply(200));
  EXPECT_NE(r.loop->session_error.find("larger than msize"), std::string::npos) << r.loop->session_error;
}

TEST(ServerLimits, KvBoundsAreCheckedWithoutOverflow) {
  Raw r;
  r.start("kv");
  r.send(Tlcreate{0, "k", linux_flags::O_RDWR, 0644, 0}, 2);
  EXPECT_EQ(r.reply_header().type, Type::Rlcreate);
  std::vector<std::byte> data(32, std::byte{'A'});
  r.send(Twrite{0, ~uint64_t(0) - 23, Data{data}}, 3);
  EXPECT_EQ(r.lerror(), uint32_t(EFBIG));
  SetAttr huge;
  huge.valid = P9_SETATTR_SIZE;
  huge.size = uint64_t(1) << 62;
  r.send(Tsetattr{0, huge}, 4);
  EXPECT_EQ(r.lerror(), uint32_t(EFBIG));
  r.send(Twrite{0, 0, Data{data}}, 5);
  EXPECT_EQ(r.reply_header().type, Type::Rwrite);  // the session goes on
}

TEST(ServerLimits, ABudgetRefusesPastItsDescriptorsAndTakesThemBack) {
  auto budget = std::make_shared<Budget>(2);
  std::vector<std::string> told;
  budget->on_exhausted([&](const std::string& what) { told.push_back(what); });
  auto a = Charge::descriptor(budget);
  auto b = Charge::descriptor(budget);
  ASSERT_TRUE(a && b);
  auto c = Charge::descriptor(budget);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, EMFILE);
  EXPECT_EQ(told.size(), 1u);
  EXPECT_EQ(budget->descriptors(), 2u);
  { Charge gone = std::move(*a); }
  EXPECT_EQ(budget->descriptors(), 1u);
  EXPECT_TRUE(Charge::descriptor(budget));
  EXPECT_TRUE(Charge::descriptor(nullptr));  // no budget: counts nothing
}

TEST(ServerLimits, ClientsTogetherStayWithinTheSharedBudget) {
  auto host = std::make_shared<Budget>(3);  // the server's, for all clients
  auto a = std::make_shared<Budget>(2, host), b = std::make_shared<Budget>(2, host);
  auto a1 = Charge::descriptor(a), a2 = Charge::descriptor(a), b1 = Charge::descriptor(b);
  ASSERT_TRUE(a1 && a2 && b1);
  auto b2 = Charge::descriptor(b);  // b is within its own 2, but the server has none left
  ASSERT_FALSE(b2);
  EXPECT_EQ(b2.error().code, ENFILE);
  EXPECT_EQ(b->descriptors(), 1u);
  EXPECT_EQ(host->descriptors(), 3u);
  { Charge gone = std::move(*a1); }
  EXPECT_EQ(host->descriptors(), 2u);
  EXPECT_TRUE(Charge::descriptor(b));
  auto a3 = Charge::descriptor(a);  // a at its own limit again: EMFILE, its own fault
  EXPECT_TRUE(a3);
  EXPECT_FALSE(Charge::descriptor(a));
}
