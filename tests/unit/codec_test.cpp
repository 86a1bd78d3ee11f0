// The 9P codec: every message round-trips in every dialect; every truncation and every lying
// length field is an error, never a read past the buffer (the tests run under ASan/UBSan).
#include <gtest/gtest.h>
#include <cstring>
#include <string>
#include <vector>
#include "p9/codec.h"

using namespace p9;

namespace {

constexpr size_t kMsize = 65536;
const Dialect kDialects[] = {Dialect::k9P2000, Dialect::k9P2000u, Dialect::k9P2000L};
const std::byte kPayload[] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{0}, std::byte{255}};

Qid qid(uint64_t n) { return Qid{uint8_t(n & 0xff), uint32_t(n * 3), n * 0x1000001}; }

// Laid out by hand: the fields in wire order.
// clang-format off
Stat sample_stat(Dialect d) {
  Stat s;
  s.type = 1; s.dev = 2; s.qid = qid(7); s.mode = DMDIR | 0755; s.atime = 10; s.mtime = 11;
  s.length = 1234567890123; s.name = "name"; s.uid = "glenda"; s.gid = "sys"; s.muid = "";
  if (d == Dialect::k9P2000u) { s.extension = "ext"; s.n_uid = 1000; s.n_gid = 100; s.n_muid = 0; }
  return s;
}
// clang-format on

// A message of each type with every field set to something recognisable.
template <typename M>
M sample(Dialect d);
#define SAMPLE(M, ...)                      \
  template <>                               \
  M sample<M>([[maybe_unused]] Dialect d) { \
    M m{};                                  \
    __VA_ARGS__;                            \
    return m;                               \
  }
SAMPLE(Tversion, m.msize = 8192; m.version = "9P2000.L")
SAMPLE(Rversion, m.msize = 4096; m.version = "9P2000")
SAMPLE(Tauth, m.afid = 5; m.uname = "u"; m.aname = "a"; if (d != Dialect::k9P2000) m.n_uname = 1000)
SAMPLE(Rauth, m.aqid = qid(1))
SAMPLE(Tattach, m.fid = 1; m.afid = NOFID; m.uname = "root"; m.aname = "/srv";
       if (d != Dialect::k9P2000) m.n_uname = 0)
SAMPLE(Rattach, m.qid = qid(2))
SAMPLE(Rerror, m.ename = "file does not exist"; if (d == Dialect::k9P2000u) m.errnum = 2)
SAMPLE(Tflush, m.oldtag = 77)
SAMPLE(Rflush, )
SAMPLE(Twalk, m.fid = 1; m.newfid = 2; m.wnames = {"a", "bb", "ccc"})
SAMPLE(Rwalk, m.wqids = {qid(1), qid(2)})
SAMPLE(Topen, m.fid = 3; m.mode = ORDWR | OTRUNC)
SAMPLE(Ropen, m.qid = qid(3); m.iounit = 8168)
SAMPLE(Tcreate, m.fid = 3; m.name = "new"; m.perm = 0644; m.mode = OWRITE;
       if (d == Dialect::k9P2000u) m.extension = "b 1 2")
SAMPLE(Rcreate, m.qid = qid(4); m.iounit = 0)
SAMPLE(Tread, m.fid = 4; m.offset = 1ull << 40; m.count = 4096)
SAMPLE(Rread, m.data.bytes = kPayload)
SAMPLE(Twrite, m.fid = 4; m.offset = 99; m.data.bytes = kPayload)
SAMPLE(Rwrite, m.count = 5)
SAMPLE(Tclunk, m.fid = 9)
SAMPLE(Rclunk, )
SAMPLE(Tremove, m.fid = 9)
SAMPLE(Rremove, )
SAMPLE(Tstat, m.fid = 9)
SAMPLE(Rstat, m.stat.stat = sample_stat(d))
SAMPLE(Twstat, m.fid = 9; m.stat.stat = sample_stat(d))
SAMPLE(Rwstat, )
SAMPLE(Rlerror, m.ecode = 39)
SAMPLE(Tstatfs, m.fid = 1)
SAMPLE(Rstatfs, m.statfs = StatFs{1, 4096, 100, 50, 40, 1000, 900, 0x1234, 255})
SAMPLE(Tlopen, m.fid = 1; m.flags = 0101)
SAMPLE(Rlopen, m.qid = qid(5); m.iounit = 0)
SAMPLE(Tlcreate, m.fid = 1; m.name = "f"; m.flags = 0101; m.mode = 0600; m.gid = 5)
SAMPLE(Rlcreate, m.qid = qid(6); m.iounit = 0)
SAMPLE(Tsymlink, m.fid = 1; m.name = "l"; m.symtgt = "../target"; m.gid = 0)
SAMPLE(Rsymlink, m.qid = qid(7))
SAMPLE(Tmknod, m.dfid = 1; m.name = "n"; m.mode = 020644; m.major = 1; m.minor = 3; m.gid = 0)
SAMPLE(Rmknod, m.qid = qid(8))
SAMPLE(Trename, m.fid = 1; m.dfid = 2; m.name = "moved")
SAMPLE(Rrename, )
SAMPLE(Treadlink, m.fid = 1)
SAMPLE(Rreadlink, m.target = "/etc/hosts")
SAMPLE(Tgetattr, m.fid = 1; m.request_mask = P9_GETATTR_ALL)
SAMPLE(Rgetattr, m.attr.valid = P9_GETATTR_BASIC; m.attr.qid = qid(9); m.attr.mode = 0100644;
       m.attr.size = 42; m.attr.data_version = 7)
SAMPLE(Tsetattr, m.fid = 1; m.attr.valid = P9_SETATTR_SIZE; m.attr.size = 10)
SAMPLE(Rsetattr, )
SAMPLE(Txattrwalk, m.fid = 1; m.newfid = 2; m.name = "user.x")
SAMPLE(Rxattrwalk, m.size = 12)
SAMPLE(Txattrcreate, m.fid = 1; m.name = "user.x"; m.attr_size = 12; m.flags = 0)
SAMPLE(Rxattrcreate, )
SAMPLE(Treaddir, m.fid = 1; m.offset = 0; m.count = 8192)
SAMPLE(Rreaddir, m.data.bytes = kPayload)
SAMPLE(Tfsync, m.fid = 1; m.datasync = 1)
SAMPLE(Rfsync, )
SAMPLE(Tlock, m.fid = 1; m.lock = Lock{1, 0, 0, 100, 42, "host"})
SAMPLE(Rlock, m.status = 1)
SAMPLE(Tgetlock, m.fid = 1; m.lock = Lock{1, 0, 5, 6, 7, "c"})
SAMPLE(Rgetlock, m.lock = Lock{2, 0, 5, 6, 7, "c"})
SAMPLE(Tlink, m.dfid = 1; m.fid = 2; m.name = "hard")
SAMPLE(Rlink, )
SAMPLE(Tmkdir, m.dfid = 1; m.name = "d"; m.mode = 0755; m.gid = 0)
SAMPLE(Rmkdir, m.qid = qid(10))
SAMPLE(Trenameat, m.olddirfid = 1; m.oldname = "a"; m.newdirfid = 2; m.newname = "b")
SAMPLE(Rrenameat, )
SAMPLE(Tunlinkat, m.dirfd = 1; m.name = "x"; m.flags = AT_REMOVEDIR)
SAMPLE(Runlinkat, )

template <typename M>
void round_trip_and_truncate(Dialect d) {
  M original = sample<M>(d);
  std::vector<std::byte> wire = encode(original, 0x1234, d);
  auto decoded = decode<M>(wire, d, kMsize);
  ASSERT_TRUE(decoded) << M::kName << " in " << dialect_name(d) << ": " << decoded.error().message;
  EXPECT_TRUE(*decoded == original) << M::kName << " in " << dialect_name(d);
  auto h = decode_header(wire, kMsize);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->tag, 0x1234);
  EXPECT_EQ(h->type, M::kType);
  // Every shorter message (with its size field fixed up, so only the body is short) fails.
  for (size_t len = kHeaderSize; len < wire.size(); ++len) {
    std::vector<std::byte> cut(wire.begin(), wire.begin() + long(len));
    cut[0] = std::byte(len);
    cut[1] = std::byte(len >> 8);
    cut[2] = std::byte(0);
    cut[3] = std::byte(0);
    EXPECT_FALSE(decode<M>(cut, d, kMsize)) << M::kName << " truncated to " << len;
  }
  // One byte too many is refused too: nothing may be left over.
  std::vector<std::byte> longer = wire;
  longer.push_back(std::byte{0});
  longer[0] = std::byte(longer.size());
  longer[1] = std::byte(longer.size() >> 8);
  EXPECT_FALSE(decode<M>(longer, d, kMsize)) << M::kName << " with a trailing byte";
}

}  // namespace

TEST(Codec, EveryMessageRoundTripsAndEveryTruncationFailsInEveryDialect) {
  for (Dialect d : kDialects) {
#define CHECK_MESSAGE(M) round_trip_and_truncate<M>(d);
    P9_FOR_EACH_MESSAGE(CHECK_MESSAGE)
#undef CHECK_MESSAGE
  }
}

TEST(Codec, TversionHasTheSpecBytes) {
  // diod protocol.md / the facts file: Tversion tag NOTAG msize 8192 "9P2000.L".
  std::vector<std::byte> wire = encode(Tversion{8192, "9P2000.L"}, NOTAG, Dialect::k9P2000L);
  const unsigned char expected[] = {0x15, 0, 0,   0,   100, 0xff, 0xff, 0,   0x20, 0,  0,
                                    8,    0, '9', 'P', '2', '0',  '0',  '0', '.',  'L'};
  ASSERT_EQ(wire.size(), sizeof expected);
  EXPECT_EQ(std::memcmp(wire.data(), expected, sizeof expected), 0);
}

TEST(Codec, DialectChangesTheWireForm) {
  auto plain = encode(Tattach{1, NOFID, "u", "a", 5}, 1, Dialect::k9P2000);
  auto dotu = encode(Tattach{1, NOFID, "u", "a", 5}, 1, Dialect::k9P2000u);
  EXPECT_EQ(dotu.size(), plain.size() + 4);  // n_uname[4]
  auto e9 = encode(Rerror{"x", 2}, 1, Dialect::k9P2000);
  auto eu = encode(Rerror{"x", 2}, 1, Dialect::k9P2000u);
  EXPECT_EQ(eu.size(), e9.size() + 4);  // errno[4]
}

namespace {
std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(std::byte(b));
  return out;
}
}  // namespace

TEST(Codec, RejectsSizeFieldThatLies) {
  auto wire = encode(Rclunk{}, 1, Dialect::k9P2000L);
  wire[0] = std::byte(wire.size() + 1);
  EXPECT_FALSE(decode_header(wire, kMsize));
  EXPECT_FALSE(decode_header(bytes({7, 0, 0}), kMsize));  // shorter than a header
}

TEST(Codec, RejectsMessagesLargerThanMsize) {
  std::vector<std::byte> big(300, std::byte{0});
  auto w = encode(Rread{Data{big}}, 1, Dialect::k9P2000L);
  EXPECT_TRUE(decode<Rread>(w, Dialect::k9P2000L, w.size()));
  EXPECT_FALSE(decode<Rread>(w, Dialect::k9P2000L, w.size() - 1));
}

TEST(Codec, RejectsStringLengthPastTheEnd) {
  // Rversion msize=8192 version len=200 but only 2 bytes follow.
  auto w = bytes({15, 0, 0, 0, 101, 0xff, 0xff, 0, 0x20, 0, 0, 200, 0, 'a', 'b'});
  auto r = decode<Rversion>(w, Dialect::k9P2000L, kMsize);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("string length"), std::string::npos);
}

TEST(Codec, RejectsStringsWithNul) {
  auto w = bytes({13, 0, 0, 0, 101, 0xff, 0xff, 0, 0x20, 0, 0, 2, 0, 'a', 0});
  w[0] = std::byte(w.size());
  EXPECT_FALSE(decode<Rversion>(w, Dialect::k9P2000L, kMsize));
}

TEST(Codec, RejectsTooManyWalkElements) {
  Twalk t{1, 2, std::vector<std::string>(17, "x")};
  auto w = encode(t, 1, Dialect::k9P2000L);
  EXPECT_FALSE(decode<Twalk>(w, Dialect::k9P2000L, kMsize));
  auto q = bytes({9, 0, 0, 0, 111, 1, 0, 17, 0});  // Rwalk claiming 17 qids
  EXPECT_FALSE(decode<Rwalk>(q, Dialect::k9P2000L, kMsize));
  auto more = bytes({9, 0, 0, 0, 111, 1, 0, 2, 0});  // 2 qids promised, none there
  EXPECT_FALSE(decode<Rwalk>(more, Dialect::k9P2000L, kMsize));
}

TEST(Codec, RejectsReadCountPastTheEnd) {
  auto w = bytes({15, 0, 0, 0, 117, 1, 0, 0xff, 0xff, 0, 0, 'a', 'b', 'c', 'd'});
  EXPECT_FALSE(decode<Rread>(w, Dialect::k9P2000L, kMsize));
}

TEST(Codec, RejectsStatWhoseSizesDisagree) {
  auto w = encode(Rstat{WireStat{sample_stat(Dialect::k9P2000)}}, 1, Dialect::k9P2000);
  std::vector<std::byte> bad = w;
  bad[7] = std::byte(uint8_t(bad[7]) + 1);  // n[2] one larger than the record
  EXPECT_FALSE(decode<Rstat>(bad, Dialect::k9P2000, kMsize));
  bad = w;
  bad[9] = std::byte(uint8_t(bad[9]) + 40);  // the record's size[2] past the message
  EXPECT_FALSE(decode<Rstat>(bad, Dialect::k9P2000, kMsize));
}

TEST(Codec, DecodesWrongTypeAsAnError) {
  auto w = encode(Rclunk{}, 1, Dialect::k9P2000L);
  auto r = decode<Rremove>(w, Dialect::k9P2000L, kMsize);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("expected Rremove"), std::string::npos);
}

TEST(Codec, DirectoryRecordsRoundTripAndRejectTruncation) {
  std::vector<std::byte> data;
  encode_dir_entry(data, DirEntry{qid(1), 1, 4, "one"});
  encode_dir_entry(data, DirEntry{qid(2), 2, 8, "two"});
  auto entries = decode_dir_entries(data);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].name, "two");
  EXPECT_EQ(encoded_size((*entries)[0]), data.size() / 2);
  for (size_t len = 1; len < data.size(); ++len) {
    if (len == data.size() / 2) continue;  // exactly one record is a valid prefix
    EXPECT_FALSE(decode_dir_entries(std::span(data).first(len))) << len;
  }
  std::vector<std::byte> stats;
  Encoder e(stats, Dialect::k9P2000u);
  e(sample_stat(Dialect::k9P2000u));
  e(sample_stat(Dialect::k9P2000u));
  auto s = decode_stats(stats, Dialect::k9P2000u);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 2u);
  EXPECT_FALSE(decode_stats(std::span(stats).first(stats.size() - 1), Dialect::k9P2000u));
}
