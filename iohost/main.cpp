// iohost: serves 9P trees (host folders, devices, remote 9P servers, services) to clients over
// unix and TCP sockets, with one event loop. `iohost --help` says how.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include "trees/dev_tree.h"
#include "transport/event_loop.h"
#include "trees/export_tree.h"
#include "trees/import_tree.h"
#include "trees/kv_tree.h"
#include "log.h"
#include "trees/net/net_tree.h"
#include "common/decimal.h"
#include "reactor.h"
#include "p9/synthetic.h"
#include "worker_pool.h"
#include "transport/xen_backend.h"

namespace {

constexpr size_t kOwnDescriptors = 256;  // kept from clients for iohost's own work

const char kUsage[] = R"(usage: iohost --listen ADDRESS [--listen ADDRESS...] TREE... [OPTIONS]

Serves 9P2000.L, 9P2000.u and 9P2000 on each ADDRESS:
  --listen unix:PATH            a unix socket (an old socket file there is replaced)
  --listen tcp:HOST:PORT        a TCP port (PORT 0: any free one, printed at start)

Trees (a client's attach name picks one, e.g. mount -o aname=data; "" picks the first):
  --export NAME=DIR[,OPTION...] the host folder DIR, read-write, confined to DIR
  --export ro:NAME=DIR          the same, read-only (every change: EROFS)
      security_model=none       (the default) every call as iohost's user, set-uid bits
                                stripped; with uid=N and gid=N: as that host user instead
      security_model=passthrough
                                every call as the client's user (its attach's uid, with
                                the host's groups of that uid): files belong to who made
                                them. For trusted clients; iohost must run as root. Device
                                nodes only with the option device_nodes
      security_model=mapped     every call as iohost's user; owners, modes and file types
                                as the client sets them are kept in the extended attribute
                                user.xenos.attr (the folder's file system must keep user.*
                                attributes). Needs no root: see iohost/README.md
  --dev [NAME]                  null, zero, random, time, cons (default name: dev)
  --import NAME=ADDRESS[|ADDRESS...][,aname=REMOTE][,msize=N][,recover=SECONDS][,hang=SECONDS]
                                a remote 9P2000.L server's tree, served again
                                (ADDRESS: tcp:HOST:PORT or unix:PATH). When the remote
                                goes away its session recovers (re-dial, re-walk, reopen)
                                for up to SECONDS (default 10, 0: off), trying the other
                                ADDRESSes in turn: servers of the same tree (failover).
                                A remote silent for hang= seconds (default 10, 0: off)
                                while requests wait is probed, then given up as hung
  --kv [NAME]                   an in-memory key-value store, keys as files (default: kv)
  --net NAME[,announce=PORT[-PORT]]...[,connect=ADDRESS]...
                                the host's network as Plan 9's /net (tcp, udp, cs): connect
                                anywhere (or only to the connect= addresses), announce only
                                on the announce= ports; each attach has its own conversations

Xen guests (iohost is then their 9pfs backend; run it in dom0):
  --xen-guest NAME=TAG:TREE[,TAG:TREE...]
                                the domain named NAME gets a 9pfs device TAG serving TREE
                                (its first share is the guest's /fs); it is attached when
                                the domain appears or, at start, if it runs already. A guest
                                made with mkimage --iohost waits for its shares; others are
                                created paused (xl create -p) and unpaused once
                                backend/xen_9pfs/<domid> exists. See iohost/README.md.
  --xen-first-device N          number this iohost's devices from N (default 0), so that a
                                second iohost can serve the same guest (a failover backend)

Who may connect (on an export, iohost acts as its security model says):
  --allow USER|UID|@GROUP       let this user (or group) connect to the unix sockets too;
                                by default only root and iohost's own user may (mode 0600)
  --allow-remote-tcp            allow --listen tcp: on an address other hosts can reach
                                (TCP names nobody: whoever reaches the port gets the trees)
  --max-connections N           connections per listener (default 256)
  --max-connections-per-user N  unix connections per uid, all listeners (default 64)

What one client (a connection, or a guest's device) may make iohost hold; past a limit that
client's request fails (EMFILE, EAGAIN) or it is read no more, with a rate-limited log line:
  --client-fids N               fids (default 65536)
  --client-descriptors N        host descriptors: files, directories, sockets (default 1024)
  --client-requests N           requests in flight: on a worker or parked (default 1024)
  --client-memory BYTES         replies queued for a client that is not reading them before
                                its requests are read no more (default 67108864)
  --client-parked-bytes BYTES   data of writes waiting for a /net peer (default 16777216)

Options:
  --msize N                     the largest msize agreed to (default 8388608)
  --workers N                   threads for blocking trees such as import (default 8); one
                                client runs on at most half of them at once
  --export-io loop|workers      where export trees look up, read and write: on the event
                                loop (default: fastest; a disk call that takes a second stalls
                                every client that second) or on the worker pool (a slow disk
                                holds up only the client that asked; reads about half as fast
                                on loopback here). fsync always runs on the worker pool
  --ready-file PATH             write the bound addresses there once listening
  -v, --verbose                 log every connection, not only failures
  -h, --help                    this text
Files are read and written as the export's security model says; see iohost/README.md.
SIGINT and SIGTERM stop it; SIGUSR1 logs every session, the fids and host descriptors it holds.
)";

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "iohost: %s\n(iohost --help shows the usage)\n", why.c_str());
  std::exit(2);
}

size_t parse_size(const std::string& text, const char* what) {
  std::optional<uint64_t> v = common::parse_decimal(text, SIZE_MAX);
  if (!v || *v == 0) usage_error(std::string("bad ") + what + ": \"" + text + "\"");
  return size_t(*v);
}

}  // namespace

int main(int argc, char** argv) {
  iohost::block_loop_signals();  // before any thread: the loop, not a worker, takes them
  std::vector<std::string> listens;
  std::vector<std::pair<std::string, std::shared_ptr<p9::Tree>>> trees;
  p9::Server::Limits limits;
  size_t workers = 8;
  std::string ready_file;
  std::vector<iohost::XenGuestConfig> xen_guests;
  size_t xen_first_device = 0;
  iohost::AccessPolicy access;
  bool export_io_on_workers = false;
  std::vector<std::shared_ptr<iohost::ExportTree>> exports;
  size_t client_memory = 64u << 20;
  iohost::Reactor reactor;  // where the net tree's parked requests wait

  auto value = [&](int& i, const std::string& flag) -> std::string {
    if (i + 1 >= argc) usage_error(flag + " wants a value");
    return argv[++i];
  };
  auto optional_name = [&](int& i, const char* fallback) -> std::string {
    if (i + 1 < argc && argv[i + 1][0] != '-') return argv[++i];
    return fallback;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--listen") {
      listens.push_back(value(i, a));
    } else if (a == "--export") {
      auto spec = iohost::parse_export(value(i, a));
      if (!spec) usage_error(spec.error().message);
      auto tree = iohost::ExportTree::open(spec->dir, spec->options, &reactor);
      if (!tree) usage_error(tree.error().message);
      exports.push_back(*tree);
      trees.emplace_back(spec->name, *tree);
    } else if (a == "--dev") {
      trees.emplace_back(optional_name(i, "dev"), std::make_shared<iohost::DevTree>());
    } else if (a == "--kv") {
      trees.emplace_back(optional_name(i, "kv"), std::make_shared<iohost::KvTree>());
    } else if (a == "--net") {
      auto net = iohost::parse_net(value(i, a));
      if (!net) usage_error(net.error().message);
      trees.emplace_back(net->name, std::make_shared<iohost::NetTree>(reactor, net->policy));
    } else if (a == "--import") {
      std::string spec = value(i, a);
      size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0)
        usage_error(
            "--import wants "
            "NAME=ADDRESS[|ADDRESS...][,aname=REMOTE][,msize=N][,recover=SECONDS][,hang=SECONDS]");
      std::string name = spec.substr(0, eq), rest = spec.substr(eq + 1), aname;
      size_t msize = 1 << 20, recover_s = 10, hang_s = 10;
      size_t comma = rest.find(',');
      std::string address = rest.substr(0, comma);
      while (comma != std::string::npos) {
        size_t next = rest.find(',', comma + 1);
        std::string option =
            rest.substr(comma + 1, next == std::string::npos ? std::string::npos : next - comma - 1);
        if (option.rfind("aname=", 0) == 0)
          aname = option.substr(6);
        else if (option.rfind("msize=", 0) == 0)
          msize = parse_size(option.substr(6), "msize");
        else if (option.rfind("recover=", 0) == 0)
          recover_s = parse_size(option.substr(8), "recover seconds");
        else if (option.rfind("hang=", 0) == 0)
          hang_s = parse_size(option.substr(5), "hang seconds");
        else
          usage_error("--import: unknown option \"" + option + "\"");
        comma = next;
      }
      if (recover_s > 3600 || hang_s > 3600) usage_error("--import: recover= and hang= at most 3600 seconds");
      trees.emplace_back(
          name, std::make_shared<iohost::ImportTree>(address, aname, msize, recover_s * 1'000'000'000ull,
                                                     hang_s * 1'000'000'000ull));
    } else if (a == "--xen-guest") {
      auto g = iohost::parse_xen_guest(value(i, a));
      if (!g) usage_error(g.error().message);
      xen_guests.push_back(std::move(*g));
    } else if (a == "--xen-first-device") {
      xen_first_device = parse_size(value(i, a), "device number");
      if (xen_first_device > 4096) usage_error("--xen-first-device: at most 4096");
    } else if (a == "--msize") {
      limits.max_msize = parse_size(value(i, a), "msize");
      if (limits.max_msize < p9::kMinMsize)
        usage_error("--msize is smaller than " + std::to_string(p9::kMinMsize));
    } else if (a == "--export-io") {
      std::string where = value(i, a);
      if (where != "loop" && where != "workers") usage_error("--export-io wants loop or workers");
      export_io_on_workers = where == "workers";
    } else if (a == "--allow") {
      auto r = iohost::parse_allow(value(i, a), &access);
      if (!r) usage_error(r.error().message);
    } else if (a == "--allow-remote-tcp") {
      access.remote_tcp = true;
    } else if (a == "--max-connections") {
      access.max_connections = parse_size(value(i, a), "connection count");
    } else if (a == "--max-connections-per-user") {
      access.max_connections_per_user = parse_size(value(i, a), "connection count");
    } else if (a == "--client-fids") {
      limits.max_fids = parse_size(value(i, a), "fid count");
    } else if (a == "--client-descriptors") {
      limits.max_descriptors = parse_size(value(i, a), "descriptor count");
    } else if (a == "--client-requests") {
      limits.max_in_flight = parse_size(value(i, a), "request count");
    } else if (a == "--client-memory") {
      client_memory = parse_size(value(i, a), "byte count");
    } else if (a == "--client-parked-bytes") {
      limits.max_parked_bytes = parse_size(value(i, a), "byte count");
    } else if (a == "--workers") {
      workers = parse_size(value(i, a), "worker count");
    } else if (a == "--ready-file") {
      ready_file = value(i, a);
    } else if (a == "-v" || a == "--verbose") {
      iohost::set_verbose(true);
    } else {
      usage_error("unknown argument \"" + a + "\"");
    }
  }
  for (auto& e : exports) e->set_on_workers(export_io_on_workers);
  if (listens.empty() && xen_guests.empty()) usage_error("nothing to listen on (--listen, --xen-guest)");
  for (auto& g : xen_guests) g.first_device = unsigned(xen_first_device);
  if (trees.empty()) usage_error("no tree to serve (--export, --dev, --import, --kv, --net)");

  // Replies of up to msize (8 MiB) are made and freed at every read: keep them on the heap
  // rather than mmap and unmap each one (page faults at every message cost more than the copy).
  ::mallopt(M_MMAP_THRESHOLD, 64 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
  ::signal(SIGPIPE, SIG_IGN);
  ::umask(0);  // clients send the modes they want, their umask already applied (sockets: see listen)
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {  // every fid of an export holds a descriptor
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  p9::set_synthetic_time(uint64_t(::time(nullptr)));
  p9::Server server(limits);
  // Every client's descriptors together stay below the process's limit, with room kept for
  // iohost's own (listeners, accepting, Xen handles, the log): no set of clients takes the last.
  size_t open_files = ::getrlimit(RLIMIT_NOFILE, &files) == 0 ? size_t(files.rlim_cur) : 1024;
  size_t for_clients = open_files > 2 * kOwnDescriptors ? open_files - kOwnDescriptors : open_files / 2;
  server.share_budget(std::make_shared<p9::Budget>(for_clients));
  if (access.max_connections_per_user * limits.max_descriptors > for_clients)
    iohost::log_line("note: one user's " + std::to_string(access.max_connections_per_user) +
                     " connections may hold " +
                     std::to_string(access.max_connections_per_user * limits.max_descriptors) +
                     " host descriptors, more than the " + std::to_string(for_clients) +
                     " iohost has for all clients (RLIMIT_NOFILE " + std::to_string(open_files) +
                     "): lower --client-descriptors or --max-connections-per-user to keep users apart");
  std::string names;
  for (auto& [name, tree] : trees) {
    names += (names.empty() ? "" : ", ") + name;
    server.add(name, tree);
  }
  iohost::WorkerPool pool(workers);
  iohost::EventLoop loop(server, pool, access, client_memory);
  loop.watch(reactor.fd(), [&] { reactor.dispatch(); });
  std::string bound;
  for (const std::string& l : listens) {
    auto r = loop.listen(l);
    if (!r) {
      iohost::log_line(r.error().message);
      return 1;
    }
  }
  std::unique_ptr<iohost::XenBackend> xen;
  size_t xen_count = xen_guests.size();
  if (!xen_guests.empty()) {
    auto b = iohost::XenBackend::start(server, std::move(xen_guests), pool);
    if (!b) {
      iohost::log_line(b.error().message);
      return 1;
    }
    xen = std::move(*b);
    loop.watch(xen->xenstore_fd(), [&] { xen->on_xenstore(); });
    loop.watch(xen->event_fd(), [&] { xen->on_event(); });
    loop.add_status([&] { return xen->status(); });
    bound += "xen\n";
  }
  for (const std::string& b : loop.bound_addresses()) bound += b + "\n";
  std::string where;
  for (const std::string& b : loop.bound_addresses()) where += (where.empty() ? "" : ", ") + b;
  if (xen)
    where += std::string(where.empty() ? "" : ", ") + "Xen 9pfs (" + std::to_string(xen_count) + " guests)";
  iohost::log_line("serving " + names + " on " + where);
  if (!ready_file.empty()) {
    std::string tmp = ready_file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr || std::fputs(bound.c_str(), f) < 0 || std::fclose(f) != 0 ||
        std::rename(tmp.c_str(), ready_file.c_str()) != 0) {
      iohost::log_line("cannot write " + ready_file + ": " + std::strerror(errno));
      return 1;
    }
  }
  auto r = loop.run();
  if (!r) {
    iohost::log_line(r.error().message);
    return 1;
  }
  return 0;
}
