// lib9p's Transport over a stream socket (TCP or a unix socket), for host programs.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include "p9/transport.h"

namespace p9 {

class SocketTransport final : public Transport {
 public:
  // "tcp!127.0.0.1!564", "127.0.0.1:5640" (TCP), or a path ("/run/diod.sock", "unix!/path").
  static Result<std::unique_ptr<SocketTransport>> dial(const std::string& address);
  ~SocketTransport() override;

  size_t max_message_size() const override { return 16u << 20; }
  Result<void> send(std::span<const std::byte> message) override;
  Result<std::vector<std::byte>> receive(uint64_t deadline_ns) override;

 private:
  explicit SocketTransport(int fd) : fd_(fd) {}
  int fd_;
  std::mutex send_lock_;
};

}  // namespace p9
