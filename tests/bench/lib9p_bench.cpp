// lib9p host benchmark against a 9P server: sequential read and write throughput of one file
// and small-operation rates. Prints one JSON object. Run by tests/bench/run.sh next to diodcat.
//   lib9p_bench ADDRESS ANAME FILE MSIZE
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include "p9/client.h"
#include "socket_transport.h"
#include "thread_sync.h"

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
[[noreturn]] void die(const p9::Error& e) {
  std::fprintf(stderr, "lib9p_bench: %s\n", e.message.c_str());
  std::exit(1);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: lib9p_bench ADDRESS ANAME FILE MSIZE\n");
    return 2;
  }
  auto transport = p9::SocketTransport::dial(argv[1]);
  if (!transport) die(transport.error());
  p9::ThreadSync sync;
  p9::Client c(**transport, sync);
  p9::MountOptions o;
  o.aname = argv[2];
  o.msize = std::strtoul(argv[4], nullptr, 10);
  if (auto m = c.mount(o); !m) die(m.error());

  auto info = c.stat(argv[3]);
  if (!info) die(info.error());
  std::vector<std::byte> buf(8u << 20);
  // Sequential read, 8 MiB per call (pipelined Treads underneath).
  auto t0 = std::chrono::steady_clock::now();
  {
    auto f = c.open(argv[3], p9::kRead);
    if (!f) die(f.error());
    uint64_t off = 0;
    for (;;) {
      auto n = f->pread(buf, off);
      if (!n) die(n.error());
      if (*n == 0) break;
      off += *n;
    }
    if (off != info->size) die({5, "read " + std::to_string(off) + " of " + std::to_string(info->size)});
  }
  double read_s = seconds_since(t0);
  // Sequential write of the same amount into a new file.
  t0 = std::chrono::steady_clock::now();
  {
    auto f = c.open("bench-write.bin", p9::kWrite | p9::kCreate | p9::kTruncate);
    if (!f) die(f.error());
    for (uint64_t off = 0; off < info->size; off += buf.size()) {
      size_t n = std::min<uint64_t>(buf.size(), info->size - off);
      auto w = f->pwrite(std::span(buf).first(n), off);
      if (!w || *w != n) die(w ? p9::Error{5, "short write"} : w.error());
    }
  }
  double write_s = seconds_since(t0);
  (void)c.remove("bench-write.bin");
  // Small operations: stat, and open+read 4 KiB+clunk.
  {
    auto f = c.open("small.bin", p9::kWrite | p9::kCreate | p9::kTruncate);
    if (!f || !f->pwrite(std::span(buf).first(4096), 0)) die({5, "cannot make small.bin"});
  }
  const int kOps = 2000;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kOps; ++i)
    if (!c.stat("small.bin")) die({5, "stat failed"});
  double stat_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kOps; ++i) {
    auto f = c.open("small.bin", p9::kRead);
    if (!f || !f->pread(std::span(buf).first(4096), 0)) die({5, "small read failed"});
  }
  double small_s = seconds_since(t0);
  (void)c.remove("small.bin");
  double mib = double(info->size) / (1 << 20);
  std::printf(
      "{\"msize\": %zu, \"file_mib\": %.0f, \"read_mib_s\": %.1f, \"write_mib_s\": %.1f, "
      "\"stat_per_s\": %.0f, \"open_read4k_close_per_s\": %.0f}\n",
      c.msize(), mib, mib / read_s, mib / write_s, kOps / stat_s, kOps / small_s);
  return 0;
}
