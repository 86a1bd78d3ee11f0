// The in-guest failure suite: the I/O host (iohost in dom0) is killed, restarted, stopped and
// continued while this guest uses its shares, and nothing the guest was told was done is lost.
// The harness job (tests/xen/jobs/faulttest.sh) does to iohost what this guest asks, at the
// moment it asks: a request "SEQ ACTION" in this domain's xenstore (data/faulttest/request),
// answered by "SEQ" in data/faulttest/done once done. ACTION: restart (kill -9, start again),
// kill, start, stop (SIGSTOP), cont (SIGCONT), kill-qemu (kill -9 this guest's QEMU device
// model), fids (iohost's fid count for share "fs", from its status report, into
// data/faulttest/fids).
//
// Devices (all iohost): "fs" (mounted at /mnt/fs and bound at /fs by the kernel, recovering
// within xenos.recover seconds), "direct" and "short" (opened here: recovery within 30 s and
// 2 s), "hang" (liveness after 1 s), "net" (/net), "fo" and, from a second iohost that the harness never
// kills, "fo-b" (the same folder: failover). Ends with "[faulttest] N passed, N failed".
//
// `faulttest qemu-failover`: instead, a share of QEMU's backend fails over to iohost when QEMU
// is killed (fails_over_from_a_killed_qemu_backend).
// `faulttest leak OPENS MOUNTS`: instead, OPENS open/close and MOUNTS unmount/mount cycles, and
// the grants, event channels, free memory, heap and iohost's fids before and after.
// lib9p's headers first: protocol.h spells Linux's O_* names, which <fcntl.h> makes macros.
#include <xenos/ninep.h>
#include <xenos/event_channel.h>
#include <xenos/grant.h>
#include <xenos/namespace.h>
#include <xenos/system.h>
#include <xenos/thread.h>
#include <xenos/time.h>
#include <xenos/xenstore.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "suite.h"

using namespace xenos;

namespace {

constexpr size_t kBig = 16u << 20;
constexpr uint64_t kSecond = 1'000'000'000ull;
Owned<ninep::Share> direct;   // recovers within 30 s
std::vector<std::byte>* big;  // the 16 MiB pattern

std::byte pattern(size_t i) { return std::byte((i * 131 + (i >> 12)) & 0xff); }

// ---- the harness ----------------------------------------------------------------------------

unsigned last_seq = 0;

unsigned request(const char* action) {
  unsigned seq = ++last_seq;
  auto w = xenstore::write("data/faulttest/request", std::to_string(seq) + " " + action);
  if (!w) std::printf("# cannot ask the harness to %s: %s\n", action, w.error().message.c_str());
  return seq;
}

bool done(unsigned seq) {
  auto v = xenstore::read("data/faulttest/done");
  return v && *v == std::to_string(seq);
}

// Waits (20 s at most) until the harness says request `seq` is done. A guest may recover from a
// restart before the harness has written that the new iohost is up: the answer can come later.
bool wait_done(unsigned seq) {
  uint64_t until = monotonic_ns() + 20 * kSecond;
  while (!done(seq)) {
    if (monotonic_ns() > until) {
      auto v = xenstore::read("data/faulttest/done");
      std::printf("# faulttest: no answer to request %u in 20 s (data/faulttest/done: %s)\n", seq,
                  v ? v->c_str() : v.error().message.c_str());
      return false;
    }
    sleep_ms(20);
  }
  return true;
}

// Asks and waits until the harness says it is done.
bool ask(const char* action) { return wait_done(request(action)); }

// zlib's CRC-32: what busybox's crc32 prints on the host.
uint32_t crc32(std::span<const std::byte> data) {
  uint32_t crc = ~0u;
  for (std::byte b : data) {
    crc ^= uint8_t(b);
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
  }
  return ~crc;
}

std::string slurp(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return "<" + std::string(strerror(errno)) + ">";
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return n < 0 ? "<read failed>" : std::string(buf, size_t(n));
}

// ---- the tests ------------------------------------------------------------------------------

void writes_16_mib_across_an_iohost_kill() {
  p9::Client& c = direct->client();
  auto f = c.open("big.bin", p9::kWrite | p9::kCreate | p9::kTruncate);
  CHECK_OK(f);
  uint64_t before = direct->stats().recoveries;
  unsigned seq = request("restart");
  // Write the same 16 MiB again and again until a recovery has happened inside one of the
  // writes: then iohost died mid-write for sure (a recovery runs only inside a call).
  int rounds = 0;
  uint64_t until = monotonic_ns() + 40 * kSecond;
  while (direct->stats().recoveries == before && monotonic_ns() < until && rounds < 200) {
    auto n = f->pwrite(*big, 0);
    CHECK_OK(n);
    CHECK(*n == kBig);
    ++rounds;
  }
  CHECK(wait_done(seq));
  CHECK(direct->stats().recoveries == before + 1);
  CHECK_OK(f->fsync());
  std::printf("# faulttest: big.bin written %d times, the last across a restart; crc32 %08x size %zu\n",
              rounds, unsigned(crc32(*big)), kBig);
  std::vector<std::byte> back(kBig);
  auto n = f->stat();
  CHECK_OK(n);
  CHECK(n->size == kBig);
  auto r = c.open("big.bin", p9::kRead);
  CHECK_OK(r);
  auto got = r->pread(back, 0);
  CHECK_OK(got);
  CHECK(*got == kBig);
  CHECK(back == *big);
}

void a_read_cut_by_an_iohost_kill_completes() {
  auto f = direct->client().open("big.bin", p9::kRead);
  CHECK_OK(f);
  std::vector<std::byte> back(kBig);
  uint64_t before = direct->stats().recoveries;
  unsigned seq = request("restart");
  int rounds = 0;
  uint64_t until = monotonic_ns() + 40 * kSecond;
  while (direct->stats().recoveries == before && monotonic_ns() < until && rounds < 200) {
    std::memset(back.data(), 0, back.size());
    auto n = f->pread(back, 0);
    CHECK_OK(n);
    CHECK(*n == kBig);
    CHECK(back == *big);
    ++rounds;
  }
  CHECK(wait_done(seq));
  CHECK(direct->stats().recoveries == before + 1);
  std::printf("# faulttest: big.bin read %d times, the last across a restart, every byte right\n", rounds);
}

void open_files_survive_a_restart() {
  int in = open("/fs/motd", O_RDONLY);
  int out = open("/fs/log.txt", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  int app = open("/fs/append.txt", O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
  CHECK(in >= 0 && out >= 0 && app >= 0);
  CHECK(write(out, "before\n", 7) == 7);
  CHECK(write(app, "one\n", 4) == 4);
  CHECK(ask("restart"));
  char buf[64];
  ssize_t n = read(in, buf, sizeof buf);  // the first call after the restart: it recovers
  CHECK(n > 0 && std::string(buf, size_t(n)) == "seeded by the host\n");
  CHECK(write(out, "after\n", 6) == 6);  // at its offset, through the same descriptor
  CHECK(write(app, "two\n", 4) == 4);    // still appending: reopened with O_APPEND
  CHECK(close(in) == 0 && close(out) == 0 && close(app) == 0);
  CHECK(slurp("/fs/log.txt") == "before\nafter\n");
  CHECK(slurp("/fs/append.txt") == "one\ntwo\n");
}

void a_backend_that_never_returns_gives_eio_in_time() {
  ninep::Options o;
  o.mount.recover_within_ns = 2 * kSecond;
  o.max_rings = 1;
  o.max_order = 4;
  auto s = ninep::Share::open("short", o);
  CHECK_OK(s);
  auto f = (*s)->client().open("motd", p9::kRead);
  CHECK_OK(f);
  CHECK(ask("kill"));  // and not started again until we say so
  std::byte b[64];
  uint64_t start = monotonic_ns();
  auto n = f->pread(b, 0);
  uint64_t took_ms = (monotonic_ns() - start) / 1000000;
  bool started = ask("start");
  std::printf("# faulttest: with iohost gone, a read failed after %llu ms: %s\n", (unsigned long long)took_ms,
              n ? "(it did not fail)" : n.error().message.c_str());
  CHECK(started);
  CHECK(!n);
  CHECK(n.error().code == EIO);
  CHECK(n.error().message.find("could not be recovered") != std::string::npos);
  CHECK(took_ms >= 1500 && took_ms < 4000);  // the 2 s deadline, give or take detection
  // Failed for good: at once, with no second recovery. "At once" is judged against the 2 s a
  // second wait would take, not to the millisecond: under TCG a PVH vCPU was once descheduled
  // for over 100 ms right here (CI, 2026-12-06), which says nothing of the client.
  uint64_t reconnects = (*s)->stats().reconnects;
  uint64_t again = monotonic_ns();
  auto second = f->pread(b, 0);
  CHECK(!second && second.error().code == EIO);
  CHECK((*s)->stats().reconnects == reconnects);
  CHECK(monotonic_ns() - again < kSecond / 2);
}

void a_backend_that_stops_answering_is_given_up_in_time() {
  ninep::Options o;
  o.mount.recover_within_ns = 2 * kSecond;
  o.mount.hang_after_ns = kSecond;  // 1 s of silence, then 1 s for the probe
  o.max_rings = 1;
  o.max_order = 4;
  auto s = ninep::Share::open("hang", o);
  CHECK_OK(s);
  auto f = (*s)->client().open("motd", p9::kRead);
  CHECK_OK(f);
  CHECK(ask("stop"));  // iohost is there, its channels bound, its state Connected: it is silent
  std::byte b[64];
  uint64_t start = monotonic_ns();
  auto n = f->pread(b, 0);
  uint64_t took_ms = (monotonic_ns() - start) / 1000000;
  bool continued = ask("cont");
  std::printf("# faulttest: with iohost stopped, a read failed after %llu ms: %s\n",
              (unsigned long long)took_ms, n ? "(it did not fail)" : n.error().message.c_str());
  CHECK(continued);
  CHECK(!n);
  CHECK(n.error().code == EIO);
  CHECK(n.error().message.find("taken to be hung") != std::string::npos);
  CHECK(took_ms >= 3500 && took_ms < 7000);  // 1 s + 1 s to give up, 2 s for a recovery that cannot be
}

void a_net_connection_gets_a_clean_error() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(20099);  // dom0's echo service (tests/xen/dom0-init)
  a.sin_addr.s_addr = htonl(0x7f000001);
  CHECK(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  char buf[16];
  CHECK(send(fd, "ping", 4, 0) == 4);
  CHECK(recv(fd, buf, sizeof buf, 0) == 4);
  CHECK(ask("restart"));
  uint64_t start = monotonic_ns();
  ssize_t sent = send(fd, "pong", 4, 0);
  int send_errno = errno;
  ssize_t got = recv(fd, buf, sizeof buf, 0);
  int recv_errno = errno;
  std::printf(
      "# faulttest: after the restart the old connection: send %d (errno %d), recv %d (errno %d), %llu ms\n",
      int(sent), send_errno, int(got), recv_errno, (unsigned long long)((monotonic_ns() - start) / 1000000));
  CHECK(sent == -1 && got == -1);  // never "sent" into some other conversation
  CHECK(send_errno == ESTALE || send_errno == EIO || send_errno == ECONNRESET);
  CHECK(close(fd) == 0);
  int again = socket(AF_INET, SOCK_STREAM, 0);  // a new connection works
  if (again < 0) std::printf("# faulttest: a new socket after the restart: errno %d\n", errno);
  CHECK(again >= 0);
  CHECK(connect(again, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  CHECK(send(again, "echo", 4, 0) == 4);
  CHECK(recv(again, buf, sizeof buf, 0) == 4 && std::memcmp(buf, "echo", 4) == 0);
  CHECK(close(again) == 0);
}

struct Counts {
  uint32_t grants;
  unsigned channels;
  uint64_t free_bytes, heap_bytes, heap_used;
  long fids;  // iohost's session on "fs" holds these (its status report); -1: not known
};

// The fids iohost's session for this guest's share "fs" holds: the harness asks iohost for its
// status report (SIGUSR1) and writes the count to data/faulttest/fids.
long server_fids() {
  if (!ask("fids")) return -1;
  auto v = xenstore::read("data/faulttest/fids");
  if (!v || v->empty() || v->find_first_not_of("0123456789") != std::string::npos) {
    std::printf("# faulttest: iohost's fid count is not a number: %s\n",
                v ? v->c_str() : v.error().message.c_str());
    return -1;
  }
  return std::atol(v->c_str());
}

Counts counts() {
  struct xenos_memory_info m;
  xenos_memory_info(&m);
  struct mallinfo mi = mallinfo();  // uordblks: what malloc handed out and did not get back
  long fids = server_fids();
  return {grant_table_info().refs_in_use,
          event_channels_bound(),
          m.free_bytes,
          m.heap_bytes,
          uint64_t(mi.uordblks),
          fids};
}

void print_counts(const char* when, const Counts& c) {
  std::printf(
      "# faulttest: %s: %u grants, %u event channels, %ld fids on iohost, %llu KiB free, heap %llu KiB (%llu "
      "bytes in use)\n",
      when, unsigned(c.grants), c.channels, c.fids, (unsigned long long)(c.free_bytes / 1024),
      (unsigned long long)(c.heap_bytes / 1024), (unsigned long long)c.heap_used);
}

// Unmounts the share "fs" (at /fs and /mnt/fs) and mounts it again at /mnt/fs.
bool remount_fs() {
  (void)xenos_unmount(nullptr, "/fs");
  if (xenos_unmount(nullptr, "/mnt/fs") != 0) return false;
  return xenos_mount("fs", "/mnt/fs", MREPL | MCREATE) == 0;
}

void unmount_and_mount_the_same_tag() {
  CHECK(slurp("/mnt/fs/motd") == "seeded by the host\n");
  Counts before = counts();
  long first_session_fids = -1;  // the boot mount's session is bound at /fs too: compare new ones
  for (int i = 0; i < 3; ++i) {
    CHECK(remount_fs());
    CHECK(slurp("/mnt/fs/motd") == "seeded by the host\n");
    if (i == 0) first_session_fids = server_fids();
  }
  Counts after = counts();
  print_counts("before 3 remounts", before);
  print_counts("after them", after);
  std::printf("# faulttest: iohost's fids after the first remount %ld, after the third %ld\n",
              first_session_fids, after.fids);
  CHECK(after.grants == before.grants);
  CHECK(after.channels == before.channels);
  CHECK(after.free_bytes == before.free_bytes);
  CHECK(first_session_fids > 0 && after.fids == first_session_fids);
}

struct BlockedRead {
  int fd = -1;
  ssize_t got = -2;  // -2: still blocked
  char buf[64] = {};
};

void read_blocked(void* arg) {
  auto* r = static_cast<BlockedRead*>(arg);
  r->got = read(r->fd, r->buf, sizeof r->buf);
}

void close_during_a_blocked_read() {
  BlockedRead r;
  r.fd = open("/mnt/fs/motd", O_RDONLY);
  CHECK(r.fd >= 0);
  CHECK(ask("stop"));  // iohost answers nothing now
  auto reader = spawn("blocked-reader", read_blocked, &r);
  CHECK_OK(reader);
  sleep_ms(300);
  bool blocked = r.got == -2;
  int closed = close(r.fd);  // while the read waits on the I/O host
  bool continued = ask("cont");
  reader->join();
  CHECK(blocked);
  CHECK(closed == 0);
  CHECK(continued);
  CHECK(r.got > 0 &&
        std::string(r.buf, size_t(r.got)) == "seeded by the host\n");  // it finished with its data
  char b;
  CHECK(read(r.fd, &b, 1) == -1 && errno == EBADF);  // and the descriptor is gone
}

// Opens the share `tag` (recovering within 20 s, failing over to `fallback` after 2 s without
// its backend), writes, asks the harness to `kill` its backend (and to `restart` it once the
// share has moved, if given), writes again: the second write goes through the fallback, and
// the same open file, reopened there, reads both back.
void write_across_a_failover(const char* tag, const char* fallback, const char* kill, const char* restart) {
  ninep::Options o;
  o.mount.recover_within_ns = 20 * kSecond;
  o.fallback_tags = {fallback};
  o.failover_after_ns = 2 * kSecond;
  o.device_wait_ns = 10 * kSecond;
  o.max_rings = 2;
  o.max_order = 6;
  auto s = ninep::Share::open(tag, o);
  CHECK_OK(s);
  p9::Client& c = (*s)->client();
  auto f = c.open("failover.txt", p9::kReadWrite | p9::kCreate | p9::kTruncate);
  CHECK_OK(f);
  std::string first = std::string("first, through ") + tag + "\n",
              second = std::string("then ") + fallback + "\n";
  CHECK_OK(f->pwrite(std::as_bytes(std::span(first)), 0));
  CHECK((*s)->stats().device == 0);
  CHECK(ask(kill));  // the first backend is gone and stays gone
  uint64_t start = monotonic_ns();
  auto n = f->pwrite(std::as_bytes(std::span(second)), first.size());
  uint64_t took_ms = (monotonic_ns() - start) / 1000000;
  bool restarted = restart == nullptr || ask(restart);
  std::printf("# faulttest: failover: after '%s' the next write took %llu ms, on device %u: %s\n", kill,
              (unsigned long long)took_ms, (*s)->stats().device, n ? "written" : n.error().message.c_str());
  CHECK(restarted);
  CHECK_OK(n);
  CHECK((*s)->stats().device == 1);
  CHECK((*s)->stats().recoveries == 1);
  std::string back(64, '\0');
  auto got = f->pread(std::as_writable_bytes(std::span(back)), 0);
  CHECK_OK(got);
  CHECK(back.substr(0, *got) == first + second);
}

void fails_over_to_the_second_backend() {
  // "fo-b" is the same folder from a second iohost (devices from 8), which is never killed.
  write_across_a_failover("fo", "fo-b", "kill", "start");
}

// `faulttest qemu-failover`: the share "q" is QEMU's xen-9pfs (xl's p9= entry, device 0) and
// "q-b" the same folder from the iohost that is never killed. QEMU's backend has no restart:
// once its process is gone (killed here), a guest goes on only through another backend.
void fails_over_from_a_killed_qemu_backend() { write_across_a_failover("q", "q-b", "kill-qemu", nullptr); }

void the_shares_are_right_afterwards() {
  // After four restarts: the folder share still reads and writes, the direct one still recovers.
  CHECK(slurp("/mnt/fs/log.txt") == "before\nafter\n");
  auto f = direct->client().open("after.txt", p9::kWrite | p9::kCreate | p9::kTruncate);
  CHECK_OK(f);
  std::string text = "written after every restart\n";
  auto n = f->pwrite(std::as_bytes(std::span(text)), 0);
  CHECK_OK(n);
  CHECK(*n == text.size());
  CHECK(direct->stats().recoveries >= 2);
}

// The cycles run in two halves: what a first half takes (the heap growing to its working size)
// is not a leak; the second half must take nothing more.
int leak(int opens, int mounts) {
  std::printf("# faulttest leak: %d open/close, %d unmount/mount cycles\n", opens, mounts);
  if (slurp("/mnt/fs/motd") != "seeded by the host\n") {
    std::printf("[faulttest] 0 passed, 1 failed\n");
    return 1;
  }
  int bad = 0;
  // A line every tenth of each kind: a cycle that slows as the count grows shows here.
  uint64_t began = monotonic_ns();
  auto progress = [&](const char* what, int i, int n) {
    if (n >= 10 && (i + 1) % (n / 10) == 0)
      std::printf("# faulttest leak: %d %s, %llu ms\n", i + 1, what,
                  (unsigned long long)((monotonic_ns() - began) / 1000000));
  };
  auto open_close = [&](int n) {
    for (int i = 0; i < n; ++i) {
      int fd = open("/mnt/fs/motd", O_RDONLY);
      if (fd < 0 || close(fd) != 0) ++bad;
      progress("opens", i, n);
    }
  };
  auto remount = [&](int n) {
    for (int i = 0; i < n; ++i) {
      if (!remount_fs()) ++bad;
      progress("mounts", i, n);
    }
    if (slurp("/mnt/fs/motd") != "seeded by the host\n") ++bad;  // each half ends in the same state
  };
  Counts start = counts();
  print_counts("at the start", start);
  uint64_t t0 = monotonic_ns();
  open_close(opens / 2);
  Counts half_opens = counts();
  open_close(opens - opens / 2);
  Counts opened = counts();
  uint64_t t1 = monotonic_ns();
  remount(mounts / 2);
  Counts half_mounts = counts();
  remount(mounts - mounts / 2);
  uint64_t t2 = monotonic_ns();
  Counts end = counts();
  print_counts("after half the opens", half_opens);
  print_counts("after the opens", opened);
  print_counts("after half the mounts", half_mounts);
  print_counts("after the mounts", end);
  std::printf("# faulttest leak: %d opens in %llu ms, %d mounts in %llu ms, %d failed\n", opens,
              (unsigned long long)((t1 - t0) / 1000000), mounts, (unsigned long long)((t2 - t1) / 1000000),
              bad);
  // Grants and channels exactly. Memory: the second half may take less than 16 bytes a cycle in
  // all (a one-off, such as a vector growing once: CI saw 16 bytes over 25 remounts), and at most
  // a page of frames or heap. A malloc chunk is at least 32 bytes, so a leak in every cycle, or
  // in every other one, fails; a rarer one would show as a slope in make bench's full-size run.
  auto same = [](const Counts& a, const Counts& b, int cycles) {
    auto within = [](uint64_t x, uint64_t y, uint64_t slack) { return x <= y + slack && y <= x + slack; };
    std::printf("# faulttest leak: second half of %d cycles: heap in use %+lld bytes, free %+lld bytes\n",
                cycles, (long long)(b.heap_used - a.heap_used), (long long)(b.free_bytes - a.free_bytes));
    return a.grants == b.grants && a.channels == b.channels && a.fids > 0 && a.fids == b.fids &&
           within(a.free_bytes, b.free_bytes, 4096) && within(a.heap_bytes, b.heap_bytes, 4096) &&
           b.heap_used < a.heap_used + 16 * uint64_t(cycles);
  };
  bool opens_flat = same(half_opens, opened, opens - opens / 2);
  bool mounts_flat = same(half_mounts, end, mounts - mounts / 2);
  // Fids exactly: the opens end where they began (the same session); a remount's new session
  // may hold another number than the boot mount's (/fs is not bound again), so its halves match.
  bool flat = start.grants == end.grants && start.channels == end.channels && start.fids == opened.fids &&
              opens_flat && mounts_flat;
  std::printf(
      "%s - grants, event channels and iohost's fids back to the start, nothing more taken in the second "
      "halves\n",
      flat ? "ok" : "not ok");
  int failed = (bad != 0) + !flat;
  std::printf("[faulttest] %d passed, %d failed\n", 2 - failed, failed);
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "leak") == 0)
    return leak(argc >= 3 ? std::atoi(argv[2]) : 10000, argc >= 4 ? std::atoi(argv[3]) : 1000);
  if (argc >= 2 && std::strcmp(argv[1], "qemu-failover") == 0) {
    suite::run("QEMU's backend killed: the share goes on through iohost",
               fails_over_from_a_killed_qemu_backend);
    std::printf("[faulttest] %d passed, %d failed\n", suite::passed, suite::failed);
    return suite::failed == 0 ? 0 : 1;
  }
  big = new std::vector<std::byte>(kBig);
  for (size_t i = 0; i < kBig; ++i) (*big)[i] = pattern(i);
  ninep::Options o;
  o.mount.recover_within_ns = 30 * kSecond;
  auto s = ninep::Share::open("direct", o);
  if (!s) {
    std::printf("faulttest: cannot open the share \"direct\": %s\n[faulttest] 0 passed, 1 failed\n",
                s.error().message.c_str());
    return 1;
  }
  direct = std::move(*s);
  suite::run("iohost killed mid 16 MiB write, restarted: the file is complete and right",
             writes_16_mib_across_an_iohost_kill);
  suite::run("iohost killed mid 16 MiB read, restarted: the read completes, every byte right",
             a_read_cut_by_an_iohost_kill_completes);
  suite::run("open files (read, write, append) survive a restart", open_files_survive_a_restart);
  suite::run("a backend that never returns: EIO within the 2 s deadline",
             a_backend_that_never_returns_gives_eio_in_time);
  suite::run("a backend that stops answering (SIGSTOP): given up after its probe, EIO in time",
             a_backend_that_stops_answering_is_given_up_in_time);
  suite::run("a /net connection across a restart gets a clean error; a new one works",
             a_net_connection_gets_a_clean_error);
  suite::run("unmount + mount of the same tag, three times: nothing left behind",
             unmount_and_mount_the_same_tag);
  suite::run("close during a read blocked on a stopped iohost", close_during_a_blocked_read);
  suite::run("failover: the first iohost dies, the share goes on through a second one",
             fails_over_to_the_second_backend);
  suite::run("the shares are right afterwards", the_shares_are_right_afterwards);
  direct = Owned<ninep::Share>();
  std::printf("[faulttest] %d passed, %d failed\n", suite::passed, suite::failed);
  return suite::failed == 0 ? 0 : 1;
}
