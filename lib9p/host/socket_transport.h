// lib9p's Transport over a stream socket (TCP or a unix socket), for host programs.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include "p9/transport.h"

namespace p9 {

class SocketTransport final : public Transport {
 public:
  // "tcp!127.0.0.1!564", "127.0.0.1:5640" (TCP), or a path ("/run/diod.sock", "unix!/path").
  // Alternatives separated by '|' ("10.0.0.1:564|10.0.0.2:564") are servers of the same tree:
  // the first that answers is dialled, and reconnect() goes round them (failover).
  static Result<std::unique_ptr<SocketTransport>> dial(const std::string& address);
  ~SocketTransport() override;

  size_t max_message_size() const override { return 16u << 20; }
  Result<void> send(std::span<const std::byte> message, uint16_t lane) override;  // one stream: no lanes
  Result<std::vector<std::byte>> receive(uint64_t deadline_ns) override;
  // Closes the connection and dials again: the current address first (the next one first if
  // the client abandoned the current server as hung: a stopped server's kernel still accepts
  // connections), then the others, round and round (a pause between rounds) until one answers
  // or the deadline passes.
  Result<void> reconnect(uint64_t deadline_ns) override;
  void abandon() override;  // shuts the socket down: a blocked send or receive returns
  const std::string& address() const { return addresses_[current_]; }

 private:
  SocketTransport(int fd, std::vector<std::string> addresses, size_t current)
      : fd_(fd), addresses_(std::move(addresses)), current_(current) {}
  int fd_;
  std::vector<std::string> addresses_;
  size_t current_;
  std::atomic<bool> abandoned_{false};
  std::mutex send_lock_;
};

}  // namespace p9
