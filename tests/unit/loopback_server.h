// For unit tests: lib9p's client talking to lib9p's server Session in the same process, with
// no sockets. send() hands the request straight to the Session; replies queue for receive().
// Blocking nodes run on TestExecutor's threads; their completions run inside receive(), on
// the thread that holds the session lock, as iohost's event loop would.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include "p9/client.h"
#include "p9/server.h"
#include "thread_sync.h"

namespace p9test {

class LoopbackServer final : public p9::Transport, public p9::ReplySink, public p9::Executor {
 public:
  explicit LoopbackServer(const p9::Server& server, size_t max = 1 << 20) : max_(max) {
    session_.emplace(server, *this, this, "loopback", max);
  }
  ~LoopbackServer() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      session_.reset();  // may hand work to run(): join after
    }
    for (size_t i = 0; i < threads_.size(); ++i) threads_[i].join();
  }

  // Transport (the client's side)
  size_t max_message_size() const override { return max_; }
  p9::Result<void> send(std::span<const std::byte> m, uint16_t) override {
    std::lock_guard<std::mutex> l(mu_);
    auto r = session_->receive(m);
    if (!r) {
      session_error = r.error().message;
      closed_ = true;
      cv_.notify_all();
    }
    return {};
  }
  p9::Result<std::vector<std::byte>> receive(uint64_t deadline_ns) override {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      while (!done_.empty()) {
        auto d = std::move(done_.front());
        done_.pop_front();
        d();
      }
      if (!replies_.empty()) {
        auto m = std::move(replies_.front());
        replies_.pop_front();
        return m;
      }
      if (closed_) return p9::Error{ECONNRESET, "session ended: " + session_error};
      auto until = deadline_ns ? std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns))
                               : std::chrono::steady_clock::now() + std::chrono::seconds(30);
      if (cv_.wait_until(l, until) == std::cv_status::timeout && done_.empty() && replies_.empty())
        return p9::Error{ETIMEDOUT, "no reply"};
    }
  }

  // ReplySink (the session's side, called with mu_ held)
  void send(std::vector<std::byte> reply, uint16_t /*lane*/) override {
    replies_.push_back(std::move(reply));
    cv_.notify_all();
  }
  // Executor
  void run(std::function<void()> work, std::function<void()> done) override {
    std::lock_guard<std::mutex> l(threads_mu_);
    threads_.emplace_back([this, work = std::move(work), done = std::move(done)]() mutable {
      work();
      work = nullptr;
      std::lock_guard<std::mutex> l(mu_);
      done_.push_back(std::move(done));
      cv_.notify_all();
    });
  }

  // Runs `f` on the session's side (inside receive(), with the session lock held), as a
  // parked request's completion runs on iohost's loop thread.
  void post(std::function<void()> f) {
    std::lock_guard<std::mutex> l(mu_);
    done_.push_back(std::move(f));
    cv_.notify_all();
  }

  // Raw access for protocol tests: the session's next reply, or nothing within `ms`.
  std::optional<std::vector<std::byte>> next_reply(int ms = 2000) {
    auto r = receive(
        uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                     (std::chrono::steady_clock::now() + std::chrono::milliseconds(ms)).time_since_epoch())
                     .count()));
    if (!r) return std::nullopt;
    return *r;
  }
  // A request as raw bytes, as a client would send it (ReplySink::send is the other way).
  p9::Result<void> request(std::span<const std::byte> m) {
    return static_cast<p9::Transport&>(*this).send(m, m.size() >= 7 ? p9::read_le16(m.data() + 5) : 0);
  }
  p9::Session& session() { return *session_; }
  std::string session_error;

 private:
  size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::byte>> replies_;
  std::deque<std::function<void()>> done_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
  bool closed_ = false;
  std::optional<p9::Session> session_;
};

}  // namespace p9test
