// 9p: a command-line 9P client on lib9p, the library's first user and an example for users.
//   9p [-a ADDRESS] [-A ANAME] [-u UNAME] [-n UID] [-m MSIZE] [-d 9P2000.L|9P2000.u|9P2000] CMD ARGS
//   ls PATH | cat PATH | put PATH (stdin) | stat PATH | rm PATH | mkdir PATH | mv FROM TO
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>
#include "p9/client.h"
#include "socket_transport.h"
#include "thread_sync.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: 9p [-a address] [-A aname] [-u uname] [-n uid] [-m msize] [-d dialect] cmd args\n"
               "  address: host:port, tcp!host!port or a unix socket path (default $P9_ADDRESS)\n"
               "  cmd: ls PATH | cat PATH | put PATH | stat PATH | rm PATH | mkdir PATH | mv FROM TO\n");
  return 2;
}

int fail(const p9::Error& e) {
  std::fprintf(stderr, "9p: %s\n", e.message.c_str());
  return 1;
}

int run(p9::Client& c, const std::string& cmd, const std::vector<std::string>& args) {
  auto need = [&](size_t n) { return args.size() == n; };
  if (cmd == "ls" && need(1)) {
    auto items = c.readdir(args[0]);
    if (!items) return fail(items.error());
    for (const auto& i : *items) std::printf("%s%s\n", i.name.c_str(), i.is_dir() ? "/" : "");
    return 0;
  }
  if (cmd == "cat" && need(1)) {
    auto f = c.open(args[0], p9::kRead);
    if (!f) return fail(f.error());
    std::vector<std::byte> buf(c.msize() * 8);
    uint64_t off = 0;
    for (;;) {
      auto n = f->pread(buf, off);
      if (!n) return fail(n.error());
      if (*n == 0) break;
      if (std::fwrite(buf.data(), 1, *n, stdout) != *n) return 1;
      off += *n;
    }
    return 0;
  }
  if (cmd == "put" && need(1)) {
    auto f = c.open(args[0], p9::kWrite | p9::kCreate | p9::kTruncate, 0644);
    if (!f) return fail(f.error());
    std::vector<std::byte> buf(c.msize() * 8);
    uint64_t off = 0;
    for (;;) {
      size_t got = std::fread(buf.data(), 1, buf.size(), stdin);
      if (got == 0) break;
      auto n = f->pwrite(std::span(buf).first(got), off);
      if (!n) return fail(n.error());
      if (*n != got) return fail({EIO, "short write"});
      off += got;
    }
    return 0;
  }
  if (cmd == "stat" && need(1)) {
    auto s = c.stat(args[0]);
    if (!s) return fail(s.error());
    std::printf("%s mode %06o size %llu uid %u gid %u mtime %llu qid %02x.%u.%llx\n", s->name.c_str(),
                s->mode, (unsigned long long)s->size, s->uid, s->gid, (unsigned long long)s->mtime_sec,
                s->qid.type, s->qid.version, (unsigned long long)s->qid.path);
    return 0;
  }
  if (cmd == "rm" && need(1)) {
    auto r = c.remove(args[0]);
    return r ? 0 : fail(r.error());
  }
  if (cmd == "mkdir" && need(1)) {
    auto r = c.mkdir(args[0]);
    return r ? 0 : fail(r.error());
  }
  if (cmd == "mv" && need(2)) {
    auto r = c.rename(args[0], args[1]);
    return r ? 0 : fail(r.error());
  }
  return usage();
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("P9_ADDRESS");
  std::string address = env ? env : "";
  p9::MountOptions options;
  int opt;
  while ((opt = getopt(argc, argv, "a:A:u:n:m:d:")) != -1) {
    switch (opt) {
      case 'a': address = optarg; break;
      case 'A': options.aname = optarg; break;
      case 'u': options.uname = optarg; break;
      case 'n': options.n_uname = uint32_t(std::strtoul(optarg, nullptr, 10)); break;
      case 'm': options.msize = std::strtoul(optarg, nullptr, 10); break;
      case 'd':
        if (!std::strcmp(optarg, "9P2000.L"))
          options.dialect = p9::Dialect::k9P2000L;
        else if (!std::strcmp(optarg, "9P2000.u"))
          options.dialect = p9::Dialect::k9P2000u;
        else if (!std::strcmp(optarg, "9P2000"))
          options.dialect = p9::Dialect::k9P2000;
        else
          return usage();
        break;
      default: return usage();
    }
  }
  if (address.empty() || optind >= argc) return usage();
  std::string cmd = argv[optind];
  std::vector<std::string> args(argv + optind + 1, argv + argc);
  auto transport = p9::SocketTransport::dial(address);
  if (!transport) return fail(transport.error());
  p9::ThreadSync sync;
  p9::Client client(**transport, sync);
  if (auto m = client.mount(options); !m) return fail(m.error());
  return run(client, cmd, args);
}
