// The in-guest 9P suite: lib9p over the Xen 9pfs rings to the backend in dom0 (iohost or QEMU's
// xen-9pfs). The harness seeds the share (tag "share") with from-host.txt and checks afterwards,
// on the host, what this suite leaves behind (from-guest.txt, big-from-guest.bin). Ends with
// "N passed, N failed"; "# bench {...}" lines carry the throughput numbers.
//
// `p9test hostile`: instead, break the ring protocol on purpose on devices tagged "index",
// "huge", "tiny" and "endless" (one abuse each) and check that the backend closes each device and
// that this guest's requests then fail instead of hanging; the harness runs a second guest at
// the same time and checks that it was not disturbed (tests/xen/jobs/iohost-isolation.sh).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <xenos/ninep.h>
#include <xenos/ninep_testing.h>
#include <xenos/thread.h>
#include <xenos/time.h>
#include <xenos/xenstore.h>
#include "suite.h"

using namespace xenos;

namespace {

Owned<ninep::Share> share;    // the session the tests share (the first device, 9P2000.L)
Owned<ninep::Share> share_u;  // the second device, 9P2000.u

std::span<const std::byte> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

uint8_t pattern(size_t i) { return uint8_t((i * 131 + (i >> 12)) & 0xff); }

p9::Client& c() { return share->client(); }

// ---- the tests --------------------------------------------------------------------------------

void discovers_the_share_and_its_backend() {
  auto devices = ninep::devices();
  CHECK_OK(devices);
  // The harness gives "share" and "share-u", one folder; iohost also gives "net" (its /net).
  CHECK(devices->size() == 2 || devices->size() == 3);
  for (const auto& d : *devices) {
    CHECK(d.tag == "share" || d.tag == "share-u" || d.tag == "net");
    // QEMU's xen-9pfs (an xl p9= entry) or iohost (its own backend kind, which QEMU ignores).
    CHECK(d.backend.find("/backend/9pfs/") != std::string::npos ||
          d.backend.find("/backend/xen_9pfs/") != std::string::npos);
  }
}

void refuses_a_tag_that_is_not_there() {
  auto none = ninep::Share::open("no-such-share");
  CHECK(!none);
  CHECK(none.error().code == ENOENT);
  CHECK(none.error().message.find("share") != std::string::npos);  // names what there is
}

void connects_with_dot_L_and_the_largest_msize() {
  auto opened = ninep::Share::open("share");
  CHECK_OK(opened);
  share = std::move(*opened);
  ninep::Stats st = share->stats();
  printf("# rings %u, order %u, %zu KiB per direction, msize %zu, %s\n", st.rings, st.order,
         st.ring_bytes / 1024, c().msize(), c().version().c_str());
  CHECK(c().dialect() == p9::Dialect::k9P2000L);
  CHECK(st.rings >= 2);
  CHECK(c().msize() == st.ring_bytes / 2);
}

void reads_a_file_dom0_put_there() {
  auto f = c().open("from-host.txt", p9::kRead);
  CHECK_OK(f);
  std::vector<std::byte> buf(256);
  auto n = f->pread(buf, 0);
  CHECK_OK(n);
  CHECK(std::string(reinterpret_cast<char*>(buf.data()), *n) == "seeded by the host\n");
}

void creates_writes_reads_back_stats_and_removes() {
  std::string text = "written by the guest, read back by the guest\n";
  {
    auto f = c().open("scratch.txt", p9::kReadWrite | p9::kCreate | p9::kExclusive, 0600);
    CHECK_OK(f);
    auto w = f->pwrite(bytes_of(text), 0);
    CHECK_OK(w);
    CHECK(*w == text.size());
    std::vector<std::byte> back(text.size() + 10);
    auto r = f->pread(back, 0);
    CHECK_OK(r);
    CHECK(*r == text.size() && std::memcmp(back.data(), text.data(), text.size()) == 0);
    auto st = f->stat();
    CHECK_OK(st);
    CHECK(st->size == text.size() && (st->mode & 0777) == 0600);
  }
  auto again = c().open("scratch.txt", p9::kWrite | p9::kCreate | p9::kExclusive);
  CHECK(!again && again.error().code == EEXIST);
  CHECK_OK(c().remove("scratch.txt"));
  auto gone = c().stat("scratch.txt");
  CHECK(!gone && gone.error().code == ENOENT);
}

void leaves_files_for_the_host_to_check() {
  auto f = c().open("from-guest.txt", p9::kWrite | p9::kCreate | p9::kTruncate, 0644);
  CHECK_OK(f);
  CHECK_OK(f->pwrite(bytes_of("written by the xenos guest over 9pfs\n"), 0));
}

void moves_a_file_bigger_than_msize_both_ways() {
  const size_t kSize = 3 * 1024 * 1024 + 12345;  // several msize-sized messages, odd tail
  std::vector<std::byte> data(kSize);
  for (size_t i = 0; i < kSize; ++i) data[i] = std::byte(pattern(i));
  {
    auto f = c().open("big-from-guest.bin", p9::kWrite | p9::kCreate | p9::kTruncate);
    CHECK_OK(f);
    auto w = f->pwrite(data, 0);
    CHECK_OK(w);
    CHECK(*w == kSize);
  }
  std::vector<std::byte> back(kSize + 100);
  auto f = c().open("big-from-guest.bin", p9::kRead);
  CHECK_OK(f);
  auto r = f->pread(back, 0);
  CHECK_OK(r);
  CHECK(*r == kSize);
  CHECK(std::memcmp(back.data(), data.data(), kSize) == 0);
}

struct Worker {
  int id;
  int errors = 0;
};
void worker_io(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  std::string name = "threads/w" + std::to_string(w->id);
  std::vector<std::byte> data(200 * 1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(uint8_t(i + w->id));
  for (int round = 0; round < 3; ++round) {
    auto f = c().open(name, p9::kReadWrite | p9::kCreate | p9::kTruncate);
    if (!f || !f->pwrite(data, 0)) {
      ++w->errors;
      continue;
    }
    std::vector<std::byte> back(data.size());
    auto n = f->pread(back, 0);
    if (!n || *n != data.size() || std::memcmp(back.data(), data.data(), data.size()) != 0) ++w->errors;
    if (!c().stat(name)) ++w->errors;
  }
}

void many_threads_do_io_at_once() {
  CHECK_OK(c().mkdir("threads"));
  std::vector<Worker> workers(8);
  {
    std::vector<ThreadHandle> threads;
    for (int i = 0; i < 8; ++i) {
      workers[i].id = i;
      auto t = spawn("p9-worker", worker_io, &workers[i], 128 * 1024);
      CHECK_OK(t);
      threads.push_back(std::move(*t));
    }
  }
  for (auto& w : workers) CHECK(w.errors == 0);
  auto items = c().readdir("threads");
  CHECK_OK(items);
  CHECK(items->size() == 8);
  for (auto& it : *items) CHECK_OK(c().remove("threads/" + it.name));
  CHECK_OK(c().remove("threads"));
}

void reports_errors_with_errno() {
  auto missing = c().open("no/such/file", p9::kRead);
  CHECK(!missing && missing.error().code == ENOENT);
  auto through_file = c().open("from-host.txt/x", p9::kRead);
  CHECK(!through_file && through_file.error().code == ENOTDIR);
  CHECK_OK(c().mkdir("nonempty"));
  {
    auto f = c().open("nonempty/x", p9::kWrite | p9::kCreate);
    CHECK_OK(f);
  }
  auto busy = c().remove("nonempty");
  CHECK(!busy && busy.error().code == ENOTEMPTY);
  CHECK_OK(c().remove("nonempty/x"));
  CHECK_OK(c().remove("nonempty"));
}

void benchmark_sequential_and_small_io() {
  const size_t kTotal = 16u << 20, kRequest = 1u << 20;
  std::vector<std::byte> buf(kRequest, std::byte{0x5a});
  auto f = c().open("bench.bin", p9::kReadWrite | p9::kCreate | p9::kTruncate);
  CHECK_OK(f);
  uint64_t t0 = monotonic_ns();
  for (size_t off = 0; off < kTotal; off += kRequest) CHECK_OK(f->pwrite(buf, off));
  uint64_t t1 = monotonic_ns();
  for (size_t off = 0; off < kTotal; off += kRequest) {
    auto n = f->pread(buf, off);
    CHECK_OK(n);
    CHECK(*n == kRequest);
  }
  uint64_t t2 = monotonic_ns();
  const int kSmall = 200;
  std::vector<std::byte> small(4096);
  for (int i = 0; i < kSmall; ++i) CHECK_OK(f->pwrite(small, uint64_t(i) * 4096));
  uint64_t t3 = monotonic_ns();
  for (int i = 0; i < kSmall; ++i) CHECK_OK(f->pread(small, uint64_t(i) * 4096));
  uint64_t t4 = monotonic_ns();
  f->close();
  CHECK_OK(c().remove("bench.bin"));
  auto mib_s = [](size_t bytes, uint64_t ns) { return double(bytes) / (1 << 20) / (double(ns) / 1e9); };
  // The ceiling for ring copies here: the same 16 MiB copied in 1 MiB pieces into a ring-sized
  // (2 MiB) buffer, as the frontend copies requests in and replies out. Under TCG this, not
  // the backend, bounds large transfers; each MiB of 9P data is copied at least once this way.
  std::vector<std::byte> ring_sized(2u << 20);
  uint64_t t5 = monotonic_ns();
  for (size_t off = 0; off < kTotal; off += kRequest)
    std::memcpy(ring_sized.data() + (off & (1u << 20)), buf.data(), kRequest);
  uint64_t t6 = monotonic_ns();
  CHECK(ring_sized[12345] == buf[12345]);  // the copies are used, so they are made
  ninep::Stats st = share->stats();
  printf(
      "# bench {\"rings\": %u, \"order\": %u, \"msize\": %zu, \"write_16MiB_1MiB_mib_s\": %.1f, "
      "\"read_16MiB_1MiB_mib_s\": %.1f, \"write_4KiB_ms_per_op\": %.3f, \"read_4KiB_ms_per_op\": %.3f, "
      "\"memcpy_16MiB_1MiB_mib_s\": %.1f}\n",
      st.rings, st.order, c().msize(), mib_s(kTotal, t1 - t0), mib_s(kTotal, t2 - t1),
      double(t3 - t2) / 1e6 / kSmall, double(t4 - t3) / 1e6 / kSmall, mib_s(kTotal, t6 - t5));
}

void opens_the_other_device_with_dot_u_and_a_small_msize() {
  // Both devices at once, over the same folder: a second set of rings to the same backend.
  ninep::Options o;
  o.mount.dialect = p9::Dialect::k9P2000u;
  o.mount.msize = 8192;
  o.max_rings = 2;
  o.max_order = 4;
  auto opened = ninep::Share::open("share-u", o);
  CHECK_OK(opened);
  share_u = std::move(*opened);
  p9::Client& u = share_u->client();
  CHECK(u.dialect() == p9::Dialect::k9P2000u);
  CHECK(u.msize() == 8192);
  CHECK(share_u->stats().rings == 2 && share_u->stats().order == 4);
  auto f = u.open("from-host.txt", p9::kRead);
  CHECK_OK(f);
  std::vector<std::byte> buf(64);
  auto n = f->pread(buf, 0);
  CHECK_OK(n);
  CHECK(*n == 19);
  auto again = ninep::Share::open("share");
  CHECK(!again && again.error().code == EBUSY);  // one session per device
}

void closes_both_shares_cleanly() {
  std::string first = share->device().path, second = share_u->device().path;
  share = Owned<ninep::Share>();  // Closing, Closed, grants ended, ports closed
  share_u = Owned<ninep::Share>();
  auto s1 = xenstore::read(first + "/state");
  auto s2 = xenstore::read(second + "/state");
  CHECK_OK(s1);
  CHECK_OK(s2);
  CHECK(*s1 == "6" && *s2 == "6");  // XenbusStateClosed
}

void lists_a_directory_larger_than_one_reply() {
  // With msize 8192 one Tread of a directory returns at most ~8 KiB of stat records.
  p9::Client& c = share_u->client();
  CHECK_OK(c.mkdir("many", 0755));
  const int kFiles = 150;
  for (int i = 0; i < kFiles; ++i) {
    auto f =
        c.open("many/a-file-name-long-enough-to-fill-replies-" + std::to_string(i), p9::kWrite | p9::kCreate);
    CHECK_OK(f);
  }
  auto items = c.readdir("many");
  CHECK_OK(items);
  CHECK(items->size() == size_t(kFiles));
  for (auto& it : *items) CHECK_OK(c.remove("many/" + it.name));
  CHECK_OK(c.remove("many"));
}

// ---- iohost's /net, when the harness gives it (tag "net") ---------------------------------------

bool has_net() {
  auto devices = ninep::devices();
  if (!devices) return false;
  for (const auto& d : *devices)
    if (d.tag == "net") return true;
  return false;
}

std::string get(p9::File& f) {
  std::vector<std::byte> buf(128);
  auto n = f.pread(buf, 0);
  return n ? std::string(reinterpret_cast<char*>(buf.data()), *n) : "(" + n.error().message + ")";
}

p9::Result<size_t> put(p9::File& f, const std::string& text) { return f.pwrite(bytes_of(text), 0); }

void tcp_through_net_and_a_flushed_listen() {
  ninep::Options o;
  o.max_rings = 2;
  o.max_order = 6;
  o.mount.timeout_ns = 2'000'000'000;  // a request not answered in 2 s is flushed
  auto opened = ninep::Share::open("net", o);
  CHECK_OK(opened);
  p9::Client& n = (*opened)->client();
  auto lctl = n.open("tcp/clone", p9::kReadWrite);
  CHECK_OK(lctl);
  std::string l = get(*lctl);
  CHECK_OK(put(*lctl, "announce 20001"));
  // Nobody calls yet: the listen's open parks in iohost, the client gives up after 2 s and
  // sends Tflush over the ring; the flush cancels it and is answered at once.
  uint64_t t0 = monotonic_ns();
  auto early = n.open("tcp/" + l + "/listen", p9::kReadWrite);
  uint64_t t1 = monotonic_ns();
  CHECK(!early && early.error().code == ETIMEDOUT);
  printf("# net: a listen with no caller was flushed after %.2f s\n", double(t1 - t0) / 1e9);
  // A caller through dom0's loopback; the listen now gives the call at once.
  auto cctl = n.open("tcp/clone", p9::kReadWrite);
  CHECK_OK(cctl);
  std::string cn = get(*cctl);
  CHECK_OK(put(*cctl, "connect 127.0.0.1!20001"));
  auto call = n.open("tcp/" + l + "/listen", p9::kReadWrite);
  CHECK_OK(call);
  std::string a = get(*call);
  CHECK(a != l && a != cn);
  auto from = n.open("tcp/" + cn + "/data", p9::kReadWrite);
  auto to = n.open("tcp/" + a + "/data", p9::kReadWrite);
  CHECK_OK(from);
  CHECK_OK(to);
  const size_t kTotal = 1u << 20, kPiece = 32 * 1024;
  std::vector<std::byte> piece(kPiece), in(kPiece);
  size_t got = 0;
  bool same = true;
  uint64_t t2 = monotonic_ns();
  for (size_t at = 0; at < kTotal; at += kPiece) {
    for (size_t i = 0; i < kPiece; ++i) piece[i] = std::byte(pattern(at + i));
    CHECK_OK(from->pwrite(piece, 0));
    while (got < at + kPiece) {  // the stream comes in pieces of any size
      auto r = to->pread(in, 0);
      CHECK_OK(r);
      CHECK(*r > 0);
      for (size_t i = 0; i < *r; ++i) same &= in[i] == std::byte(pattern(got + i));
      got += *r;
    }
  }
  uint64_t t3 = monotonic_ns();
  CHECK(same && got == kTotal);
  printf("# net: 1 MiB guest -> dom0 loopback -> guest over /net in %.1f ms\n", double(t3 - t2) / 1e6);
  CHECK_OK(put(*to, "pong"));
  CHECK(get(*from) == "pong");
  auto status = n.open("tcp/" + cn + "/status", p9::kRead);
  CHECK_OK(status);
  CHECK(get(*status) == "Established\n");
}

// ---- soak: `p9test soak SECONDS` keeps I/O going for that long (the isolation test's bystander) --

unsigned soak_seconds = 0;

void keeps_doing_io_for_the_soak_time() {
  uint64_t deadline = monotonic_ns() + uint64_t(soak_seconds) * 1'000'000'000ull;
  std::vector<std::byte> out(64 * 1024), in(64 * 1024);
  unsigned cycles = 0;
  while (monotonic_ns() < deadline) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = std::byte(pattern(i + cycles));
    auto f = c().open("soak.bin", p9::kReadWrite | p9::kCreate | p9::kTruncate);
    CHECK_OK(f);
    CHECK_OK(f->pwrite(out, 0));
    auto n = f->pread(in, 0);
    CHECK_OK(n);
    CHECK(*n == in.size() && in == out);
    f->close();
    CHECK_OK(c().remove("soak.bin"));
    ++cycles;
  }
  printf("# soak: %u write/read/verify cycles of 64 KiB in %u s\n", cycles, soak_seconds);
  CHECK(cycles > 0);
}

// ---- hostile mode -------------------------------------------------------------------------------

// Waits up to 10 s for the backend's state to leave Connected; returns what it became.
std::string wait_for_backend_to_leave_connected(const ninep::Device& d) {
  std::string path = d.backend + "/state";
  auto w = xenstore::watch(path);
  if (!w) return "cannot watch";
  uint64_t deadline = monotonic_ns() + 10'000'000'000ull;
  for (;;) {
    auto state = xenstore::read(path);
    if (!state) return "gone";
    if (*state != "4") return *state;
    if (!w->next(deadline)) return "still Connected after 10 s";
  }
}

void abusing_the_ring_closes_the_device(const char* tag, ninep::testing::RingAbuse how) {
  ninep::Options o;
  o.max_rings = 2;  // small rings: four devices in a small guest
  o.max_order = 4;
  o.device_wait_ns = 10'000'000'000ull;  // created running, the guest may start before iohost attaches
  auto opened = ninep::Share::open(tag, o);
  CHECK_OK(opened);
  Owned<ninep::Share> s = std::move(*opened);
  CHECK_OK(s->client().stat("from-host.txt"));  // it works before the abuse
  uint64_t t0 = monotonic_ns();
  CHECK_OK(ninep::testing::abuse_ring(*s, how));
  std::string state = wait_for_backend_to_leave_connected(s->device());
  uint64_t t1 = monotonic_ns();
  printf("# %s: backend state %s after %.1f ms\n", ninep::testing::name(how), state.c_str(),
         double(t1 - t0) / 1e6);
  CHECK(state == "5");  // Closing: the backend gave up the device
  sleep_ms(50);         // the share's backend watcher runs
  auto after = s->client().stat("from-host.txt");
  CHECK(!after);
  CHECK(after.error().code == EIO);
  printf("# then a request fails at once: %s\n", after.error().message.c_str());
  std::string fe = s->device().path;
  s = Owned<ninep::Share>();  // Closing, Closed, grants ended: the backend unmapped them already
  auto closed = xenstore::read(fe + "/state");
  CHECK_OK(closed);
  CHECK(*closed == "6");
}

// Small rings: four devices in a small guest.
ninep::Options small_rings() {
  ninep::Options o;
  o.max_rings = 2;
  o.max_order = 4;
  return o;
}

void a_closed_device_can_be_opened_again() {
  auto opened = ninep::Share::open("tiny", small_rings());
  CHECK_OK(opened);
  auto f = (*opened)->client().open("from-host.txt", p9::kRead);
  CHECK_OK(f);
  std::vector<std::byte> buf(64);
  auto n = f->pread(buf, 0);
  CHECK_OK(n);
  CHECK(std::string(reinterpret_cast<char*>(buf.data()), *n) == "seeded by the host\n");
}

// iohost counts what each device's session makes it hold (issue 27): past its budget of host
// descriptors an open fails with EMFILE, the guest's other requests go on, and once it lets go
// it may open again. The isolation job gives iohost --client-descriptors 256.
void a_guest_past_its_budget_gets_emfile_then_opens_again() {
  auto opened = ninep::Share::open("tiny", small_rings());
  CHECK_OK(opened);
  p9::Client& c = (*opened)->client();
  std::vector<p9::File> files;
  p9::Error last;
  for (int i = 0; i < 2000; ++i) {  // bounded: 256 descriptors are 128 open files
    auto f = c.open("from-host.txt", p9::kRead);
    if (!f) {
      last = f.error();
      break;
    }
    files.push_back(std::move(*f));
  }
  printf("# %u files open, then: %s\n", unsigned(files.size()), last.message.c_str());
  CHECK(last.code == EMFILE);
  CHECK(files.size() >= 50);
  std::vector<std::byte> buf(8);
  CHECK_OK(files.front().pread(buf, 0));  // what needs no new descriptor still works
  files.clear();
  CHECK_OK(c.open("from-host.txt", p9::kRead));
}

int hostile_mode() {
  using ninep::testing::RingAbuse;
  printf("# p9test hostile: breaking the ring protocol on purpose, one abuse per device\n");
  suite::run("out_prod beyond the ring: the backend closes that device",
             [] { abusing_the_ring_closes_the_device("index", RingAbuse::kIndexBeyondRing); });
  suite::run("a size[4] larger than the ring: the backend closes that device",
             [] { abusing_the_ring_closes_the_device("huge", RingAbuse::kSizeBeyondRing); });
  suite::run("a size[4] below a 9P header: the backend closes that device",
             [] { abusing_the_ring_closes_the_device("tiny", RingAbuse::kSizeBelowHeader); });
  suite::run("a never-ending message (size[4] above msize): the backend closes that device",
             [] { abusing_the_ring_closes_the_device("endless", RingAbuse::kSizeBeyondMsize); });
  suite::run("a device closed for abuse can be opened again (reconnect)",
             a_closed_device_can_be_opened_again);
  suite::run("past its budget of host descriptors: EMFILE, then it opens again",
             a_guest_past_its_budget_gets_emfile_then_opens_again);
  return suite::finish();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "hostile") == 0) return hostile_mode();
  if (argc > 2 && std::strcmp(argv[1], "soak") == 0) soak_seconds = unsigned(std::atoi(argv[2]));
  printf("# p9test: lib9p over Xen 9pfs\n");
  suite::run("discovers the 9pfs device, its tag and backend", discovers_the_share_and_its_backend);
  suite::run("a missing tag is a clear ENOENT", refuses_a_tag_that_is_not_there);
  suite::run("connects: 9P2000.L, every ring offered, msize from the ring",
             connects_with_dot_L_and_the_largest_msize);
  if (share) {
    if (soak_seconds) suite::run("keeps doing I/O for the soak time", keeps_doing_io_for_the_soak_time);
    suite::run("reads a file dom0 put there", reads_a_file_dom0_put_there);
    suite::run("create/write/read back/stat/remove", creates_writes_reads_back_stats_and_removes);
    suite::run("leaves from-guest.txt for the host", leaves_files_for_the_host_to_check);
    suite::run("a file bigger than msize, both ways", moves_a_file_bigger_than_msize_both_ways);
    suite::run("8 threads do I/O at once across the rings", many_threads_do_io_at_once);
    suite::run("errors carry errno (ENOENT, ENOTDIR, ENOTEMPTY)", reports_errors_with_errno);
    suite::run("benchmark: 16 MiB in 1 MiB requests, 4 KiB ops", benchmark_sequential_and_small_io);
    if (has_net())
      suite::run("iohost's /net: tcp through dom0's loopback, 1 MiB both ways, a parked listen flushed",
                 tcp_through_net_and_a_flushed_listen);
    suite::run("the other device at once: 9P2000.u, msize 8192, 2 rings of order 4",
               opens_the_other_device_with_dot_u_and_a_small_msize);
    if (share_u) {
      suite::run("lists a directory larger than one reply (9P2000.u)",
                 lists_a_directory_larger_than_one_reply);
      suite::run("closes both shares: frontends Closed", closes_both_shares_cleanly);
    }
  }
  share = Owned<ninep::Share>();
  share_u = Owned<ninep::Share>();
  return suite::finish();
}
