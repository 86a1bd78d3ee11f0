// iohost's one event loop: epoll over the listening sockets, every client connection, the
// worker pool's wake-up and the signals that stop it. Each connection frames 9P messages
// (size[4]) out of its byte stream, gives them to its Session, and writes the replies back
// in batches; a client that breaks the protocol loses its connection, never the process.
// SIGUSR1 logs a status report: every session, socket or Xen, and the fids it holds.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "access.h"
#include "../fd.h"
#include "../log.h"
#include "p9/server.h"
#include "../worker_pool.h"

namespace iohost {

class Connection;

// Blocks the signals the loop reads (SIGINT, SIGTERM, SIGUSR1) in the calling thread and the
// threads it starts later. main calls it first: a thread started before it would take such a
// signal with its default action, death, instead of the loop.
void block_loop_signals();

class EventLoop {
 public:
  // `client_memory`: the reply bytes (buffers) a connection may have queued before iohost stops
  // reading its requests.
  EventLoop(const p9::Server& server, WorkerPool& workers, AccessPolicy access = {},
            size_t client_memory = 64u << 20);
  ~EventLoop();
  // "unix:/run/iohost.sock" or "tcp:127.0.0.1:5640" (port 0: any; see bound_addresses()).
  p9::Result<void> listen(const std::string& address);
  const std::vector<std::string>& bound_addresses() const { return bound_; }
  // Calls `on_readable` whenever `fd` is readable (the Xen backend's xenstore and event channel).
  void watch(int fd, std::function<void()> on_readable);
  // Lines for the status report (SIGUSR1), after the socket connections' (the Xen backend's).
  void add_status(std::function<std::vector<std::string>()> lines);
  // Runs until SIGINT or SIGTERM (or stop()).
  p9::Result<void> run();
  void stop() { stopping_ = true; }

 private:
  struct Listener {
    Fd fd;
    bool unix_socket = false;
    std::string path;  // unix: removed at exit
    std::string address;
    size_t connections = 0;
  };
  void accept_from(size_t listener);
  void pause_listeners();
  void resume_listeners();
  void close_connection(int fd, const std::string& why);
  void log_status() const;

  const p9::Server& server_;
  WorkerPool& workers_;
  AccessPolicy access_;
  size_t client_memory_;
  Fd epoll_;
  Fd reserve_;  // a spare descriptor: at EMFILE it makes room to accept and close
  bool listeners_paused_ = false;
  std::map<uid_t, size_t> per_user_;
  RateLimitedLog refusals_;
  Fd signals_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::string> bound_;
  std::vector<std::function<void()>> watched_;
  std::vector<std::function<std::vector<std::string>()>> status_;
  std::map<int, std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> dirty_;  // connections with replies to write, this turn of the loop
  bool stopping_ = false;
};

}  // namespace iohost
