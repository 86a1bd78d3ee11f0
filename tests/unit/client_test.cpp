// The 9P client against an in-process scripted server (a mock, for unit tests only; the
// real evidence is the diod interop stage): negotiation, out-of-order replies, hostile replies,
// Tflush on timeout, walks split at MAXWELEM.
#include <gtest/gtest.h>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include "p9/client.h"
#include "thread_sync.h"

using namespace p9;

namespace {

// Each request goes to `serve`, which may queue replies (any number, any order) with reply().
class ScriptedServer final : public Transport {
 public:
  std::function<void(Header, std::span<const std::byte>)> serve;
  Dialect dialect = Dialect::k9P2000L;
  std::vector<Type> seen;

  size_t max_message_size() const override { return 1 << 16; }
  Result<void> send(std::span<const std::byte> m, uint16_t lane) override {
    auto h = decode_header(m, 1 << 16);
    EXPECT_TRUE(h);
    EXPECT_EQ(lane, h->tag);  // a ring transport routes by the lane, reading no 9P field
    {
      std::lock_guard<std::mutex> l(mu_);
      seen.push_back(h->type);
    }
    serve(*h, m);
    return {};
  }
  Result<std::vector<std::byte>> receive(uint64_t deadline_ns) override {
    std::unique_lock<std::mutex> l(mu_);
    auto ready = [&] { return !queue_.empty() || closed_; };
    if (deadline_ns == 0) {
      cv_.wait(l, ready);
    } else if (!cv_.wait_until(
                   l, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)), ready)) {
      return Error{ETIMEDOUT, "nothing before the deadline"};
    }
    if (queue_.empty()) return Error{ECONNRESET, "closed"};
    auto m = std::move(queue_.front());
    queue_.pop_front();
    return m;
  }
  template <typename M>
  void reply(const M& m, uint16_t tag) {
    push(encode(m, tag, dialect));
  }
  void push(std::vector<std::byte> raw) {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(std::move(raw));
    cv_.notify_all();
  }
  void close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  size_t count(Type t) {
    std::lock_guard<std::mutex> l(mu_);
    return size_t(std::count(seen.begin(), seen.end(), t));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::byte>> queue_;
  bool closed_ = false;
};

// The usual answers to version, attach and clunk; `other` handles the rest.
void standard(ScriptedServer& s, std::function<void(Header, std::span<const std::byte>)> other) {
  s.serve = [&s, other](Header h, std::span<const std::byte> m) {
    if (h.type == Type::Tversion)
      s.reply(Rversion{8192, "9P2000.L"}, h.tag);
    else if (h.type == Type::Tattach)
      s.reply(Rattach{Qid{QTDIR, 0, 1}}, h.tag);
    else if (h.type == Type::Tclunk)
      s.reply(Rclunk{}, h.tag);
    else
      other(h, m);
  };
}

}  // namespace

TEST(Client, AcceptsADowngradeAndRefusesUnknown) {
  ScriptedServer s;
  ThreadSync sync;
  s.serve = [&](Header h, std::span<const std::byte>) {
    if (h.type == Type::Tversion)
      s.reply(Rversion{4096, "9P2000.u"}, h.tag);
    else if (h.type == Type::Tattach) {
      s.dialect = Dialect::k9P2000u;
      s.reply(Rattach{}, h.tag);
    } else if (h.type == Type::Tclunk)
      s.reply(Rclunk{}, h.tag);
  };
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  EXPECT_EQ(c.dialect(), Dialect::k9P2000u);
  EXPECT_EQ(c.msize(), 4096u);

  ScriptedServer u;
  u.serve = [&](Header h, std::span<const std::byte>) { u.reply(Rversion{4096, "unknown"}, h.tag); };
  Client cu(u, sync);
  auto m = cu.mount({});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, EPROTONOSUPPORT);
  EXPECT_NE(m.error().message.find("\"unknown\""), std::string::npos) << m.error().message;
}

TEST(Client, RefusesAServerThatRaisesMsize) {
  ScriptedServer s;
  ThreadSync sync;
  s.serve = [&](Header h, std::span<const std::byte>) { s.reply(Rversion{1 << 20, "9P2000.L"}, h.tag); };
  Client c(s, sync);
  MountOptions o;
  o.msize = 8192;
  auto m = c.mount(o);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("msize"), std::string::npos);
}

TEST(Client, RepliesOutOfOrderReachTheirOwnCallers) {
  ScriptedServer s;
  ThreadSync sync;
  std::mutex mu;
  std::vector<std::pair<uint16_t, uint32_t>> held;  // tag, fid
  standard(s, [&](Header h, std::span<const std::byte> m) {
    auto t = decode<Tstatfs>(m, Dialect::k9P2000L, 1 << 16);
    std::lock_guard<std::mutex> l(mu);
    held.push_back({h.tag, t->fid});
    if (held.size() == 2) {  // answer the second request first
      for (int i = 1; i >= 0; --i) {
        StatFs fs;
        fs.fsid = held[i].second;
        s.reply(Rstatfs{fs}, held[i].first);
      }
    }
  });
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  uint64_t got[2] = {0, 0};
  std::thread a([&] { got[0] = c.call<Rstatfs>(Tstatfs{100})->statfs.fsid; });
  std::thread b([&] { got[1] = c.call<Rstatfs>(Tstatfs{200})->statfs.fsid; });
  a.join();
  b.join();
  EXPECT_EQ(got[0], 100u);
  EXPECT_EQ(got[1], 200u);
}

TEST(Client, AReplyToATagNotInFlightBreaksTheSessionWithEIO) {
  ScriptedServer s;
  ThreadSync sync;
  standard(s, [&](Header h, std::span<const std::byte>) { s.reply(Rflush{}, uint16_t(h.tag + 7)); });
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  auto r = c.call<Rstatfs>(Tstatfs{1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EIO);
  EXPECT_NE(r.error().message.find("not in flight"), std::string::npos) << r.error().message;
  auto after = c.call<Rstatfs>(Tstatfs{1});  // the stream cannot be trusted any more
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, EIO);
}

TEST(Client, MalformedRepliesAreErrorsNotCrashes) {
  ScriptedServer s;
  ThreadSync sync;
  standard(s, [&](Header h, std::span<const std::byte>) {
    // Rwalk claiming 3 qids with none present.
    std::vector<std::byte> bad = {std::byte(9),          std::byte(0),   std::byte(0),
                                  std::byte(0),          std::byte(111), std::byte(h.tag),
                                  std::byte(h.tag >> 8), std::byte(3),   std::byte(0)};
    s.push(bad);
  });
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  auto r = c.walk("a/b/c");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EBADMSG);
}

// Replies without fields (Rsetattr, Rclunk, Rremove, ...) share one decoding body in the client:
// it still refuses one that carries bytes after its header.
TEST(Client, AFieldlessReplyWithBytesLeftOverIsMalformed) {
  ScriptedServer s;
  ThreadSync sync;
  standard(s, [&](Header h, std::span<const std::byte>) {
    if (h.type == Type::Twalk) {
      s.reply(Rwalk{{Qid{0, 0, 2}}}, h.tag);
      return;
    }
    std::vector<std::byte> padded = encode(Rsetattr{}, h.tag, Dialect::k9P2000L);
    padded.push_back(std::byte(0));
    padded[0] = std::byte(padded.size());
    s.push(padded);
  });
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  AttrChange change;
  change.mode = 0600;
  auto r = c.set_attr("a", change);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EBADMSG);
  EXPECT_NE(r.error().message.find("Rsetattr"), std::string::npos) << r.error().message;

  standard(s, [&](Header h, std::span<const std::byte>) {
    if (h.type == Type::Twalk) s.reply(Rwalk{{Qid{0, 0, 2}}}, h.tag);
    else s.reply(Rsetattr{}, h.tag);
  });
  EXPECT_TRUE(c.set_attr("a", change));
}

TEST(Client, ErrorsCarryErrnoAndServerWords) {
  ScriptedServer s;
  ThreadSync sync;
  standard(s,
           [&](Header h, std::span<const std::byte>) { s.reply(Rlerror{39 /* Linux ENOTEMPTY */}, h.tag); });
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  auto r = c.remove("dir");
  ASSERT_FALSE(r);
  // The walk fails first (any T gets Rlerror here); the errno is translated from Linux's 39.
  EXPECT_EQ(r.error().code, ENOTEMPTY);
}

TEST(Client, WalksLongerThanSixteenNamesAreSplit) {
  ScriptedServer s;
  ThreadSync sync;
  std::vector<size_t> sizes;
  standard(s, [&](Header h, std::span<const std::byte> m) {
    auto t = decode<Twalk>(m, Dialect::k9P2000L, 1 << 16);
    sizes.push_back(t->wnames.size());
    s.reply(Rwalk{std::vector<Qid>(t->wnames.size(), Qid{QTDIR, 0, 9})}, h.tag);
  });
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  std::string path;
  for (int i = 0; i < 35; ++i) path += "d/";
  auto f = c.walk(path);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 16, 3}));
}

TEST(Client, ATimeoutSendsTflushAndTheTagComesBack) {
  ScriptedServer s;
  ThreadSync sync;
  uint16_t stuck_tag = NOTAG;
  standard(s, [&](Header h, std::span<const std::byte> m) {
    if (h.type == Type::Tstatfs && stuck_tag == NOTAG) {
      stuck_tag = h.tag;  // never answered
    } else if (h.type == Type::Tflush) {
      auto f = decode<Tflush>(m, Dialect::k9P2000L, 1 << 16);
      EXPECT_EQ(f->oldtag, stuck_tag);
      s.reply(Rflush{}, h.tag);
    } else {
      s.reply(Rstatfs{}, h.tag);
    }
  });
  Client c(s, sync);
  MountOptions o;
  o.timeout_ns = 50'000'000;
  ASSERT_TRUE(c.mount(o));
  auto r = c.call<Rstatfs>(Tstatfs{1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ETIMEDOUT);
  EXPECT_EQ(s.count(Type::Tflush), 1u);
  auto next = c.call<Rstatfs>(Tstatfs{1});  // the session still works afterwards
  EXPECT_TRUE(next);
}

TEST(Client, SplitOnKeepsEmptyPiecesForTheCallerToRefuse) {
  EXPECT_EQ(split_on("a|b", '|'), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split_on("one", '|'), (std::vector<std::string>{"one"}));
  EXPECT_EQ(split_on("a||b|", '|'), (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(split_on("", '|'), (std::vector<std::string>{""}));
}

// ---- pipelined reads and writes: the first error wins, the rest is drained --------------------

namespace {

// A file of `size` bytes (byte i is i % 251) served in 1000-byte chunks: the first `hold` reads
// or writes are kept and then answered in `order`; `fail_chunk` gets Rlerror EIO and
// `short_chunk` a short count.
struct ChunkServer {
  ScriptedServer s;
  std::vector<size_t> order;
  size_t hold = 0;
  size_t fail_chunk = ~size_t(0), short_chunk = ~size_t(0);
  std::vector<std::byte> file;
  std::vector<std::pair<Header, std::vector<std::byte>>> held;
  static constexpr uint32_t kIounit = 1000;

  explicit ChunkServer(size_t size) : file(size) {
    for (size_t i = 0; i < size; ++i) file[i] = std::byte(i % 251);
    standard(s, [this](Header h, std::span<const std::byte> m) { serve(h, m); });
  }
  void serve(Header h, std::span<const std::byte> m) {
    if (h.type == Type::Twalk) return s.reply(Rwalk{{Qid{0, 0, 2}}}, h.tag);
    if (h.type == Type::Tlopen) return s.reply(Rlopen{Qid{0, 0, 2}, kIounit}, h.tag);
    held.emplace_back(h, std::vector<std::byte>(m.begin(), m.end()));
    if (held.size() < hold) return;
    auto batch = std::move(held);  // answering may bring the next requests here
    auto in_order = std::move(order);
    held.clear(), order.clear();
    hold = 0;
    for (size_t i = 0; i < batch.size(); ++i) answer(batch[in_order.empty() ? i : in_order.at(i)]);
  }
  void answer(const std::pair<Header, std::vector<std::byte>>& request) {
    auto [h, m] = request;
    uint64_t offset = 0;
    uint32_t count = 0;
    if (h.type == Type::Tread) {
      auto t = decode<Tread>(m, Dialect::k9P2000L, 1 << 16);
      offset = t->offset, count = t->count;
    } else {
      auto t = decode<Twrite>(m, Dialect::k9P2000L, 1 << 16);
      offset = t->offset, count = uint32_t(t->data.bytes.size());
    }
    size_t chunk = offset / kIounit;
    if (chunk == fail_chunk) return s.reply(Rlerror{5 /* EIO */}, h.tag);
    if (chunk == short_chunk) count /= 2;
    if (h.type == Type::Tread)
      s.reply(Rread{Data{std::span<const std::byte>(file).subspan(offset, count)}}, h.tag);
    else
      s.reply(Rwrite{count}, h.tag);
  }
};

}  // namespace

TEST(Client, APipelinedReadKeepsWhatCameBeforeTheFirstErrorAndDrainsTheRest) {
  ChunkServer server(6000);
  server.hold = 6;
  server.order = {5, 2, 4, 0, 3, 1};  // chunk 2 fails; chunks after it answer first
  server.fail_chunk = 2;
  ThreadSync sync;
  Client c(server.s, sync);
  ASSERT_TRUE(c.mount({}));
  auto f = c.open("f", kRead);
  ASSERT_TRUE(f) << f.error().message;
  std::vector<std::byte> out(6000);
  auto n = f->pread(out, 0);
  ASSERT_TRUE(n) << "what arrived before the error counts, as with read(2)";
  EXPECT_EQ(*n, 2000u);
  EXPECT_TRUE(std::equal(out.begin(), out.begin() + 2000, server.file.begin()));
  EXPECT_EQ(server.s.count(Type::Tread), 6u);

  // Every tag came back: the session is whole, and the next read (failing at its first chunk)
  // gives the error itself.
  server.fail_chunk = 0;
  auto failed = f->pread(out, 0);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, EIO);
  server.fail_chunk = ~size_t(0);
  auto again = f->pread(out, 0);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 6000u);
  EXPECT_EQ(out, server.file);
}

TEST(Client, APipelinedWriteStopsAtAShortCountAndReportsHowFarItGot) {
  ChunkServer server(8000);
  server.hold = 8;
  server.order = {7, 6, 5, 4, 3, 2, 1, 0};
  server.short_chunk = 3;  // 500 of chunk 3's 1000 bytes
  ThreadSync sync;
  Client c(server.s, sync);
  MountOptions options;
  options.pipeline_depth = 8;
  ASSERT_TRUE(c.mount(options));
  auto f = c.open("f", kWrite);
  ASSERT_TRUE(f) << f.error().message;
  std::vector<std::byte> in(8000, std::byte(7));
  auto n = f->pwrite(in, 0);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 3500u);
  EXPECT_EQ(server.s.count(Type::Twrite), 8u) << "all 8 were in flight; none was issued after the short one";
  auto next = f->pwrite(std::span<const std::byte>(in).first(1000), 0);
  ASSERT_TRUE(next) << "the session survives: " << next.error().message;
  EXPECT_EQ(*next, 1000u);
}

// kNoFollow (the guest namespace's one-walk open, issue 33): a walk ends on a symbolic link's
// qid and the client refuses it with ELOOP, sending no Tlopen a server might follow the link for.
TEST(Client, ANoFollowOpenOfASymbolicLinkIsRefusedUnopened) {
  ScriptedServer s;
  ThreadSync sync;
  standard(s, [&](Header h, std::span<const std::byte>) {
    if (h.type == Type::Twalk) s.reply(Rwalk{{Qid{QTSYMLINK, 0, 5}}}, h.tag);
    if (h.type == Type::Tlopen) s.reply(Rlopen{Qid{QTSYMLINK, 0, 5}, 0}, h.tag);
  });
  Client c(s, sync);
  ASSERT_TRUE(c.mount({}));
  auto refused = c.open("link", kRead | kNoFollow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ELOOP);
  EXPECT_EQ(s.count(Type::Tlopen), 0u);
  EXPECT_TRUE(c.open("link", kRead)) << "without kNoFollow the server decides";
  EXPECT_EQ(s.count(Type::Tlopen), 1u);
}
