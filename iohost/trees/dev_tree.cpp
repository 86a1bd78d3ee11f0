// The dev tree (see dev_tree.h): five synthetic files built with lib9p's helpers.
#include "dev_tree.h"
#include <sys/random.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include "../log.h"
#include "p9/synthetic.h"

namespace iohost {
namespace {

using p9::Result;

Result<size_t> fill_random(uint64_t, std::span<std::byte> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return p9::Error{errno, std::string("random: ") + std::strerror(errno)};
    }
    done += size_t(n);
  }
  return done;
}

std::string time_text() {
  timespec real{}, mono{};
  ::clock_gettime(CLOCK_REALTIME, &real);
  ::clock_gettime(CLOCK_MONOTONIC, &mono);
  char text[128];
  long long ns = (long long)real.tv_sec * 1000000000LL + real.tv_nsec;
  long long ticks = (long long)mono.tv_sec * 1000000000LL + mono.tv_nsec;
  std::snprintf(text, sizeof text, "%11lld %21lld %21lld %21lld ", (long long)real.tv_sec, ns, ticks,
                1000000000LL);
  return text;
}

// Lines written to cons go to the log, one log line per line; a partial line waits for its
// newline (or for 4 KiB, or for the client to go away).
class ConsSink {
 public:
  explicit ConsSink(std::string client) : client_(std::move(client)) {}
  ~ConsSink() {
    if (!pending_.empty()) emit(pending_);
  }
  Result<size_t> write(std::span<const std::byte> in) {
    pending_.append(reinterpret_cast<const char*>(in.data()), in.size());
    size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      emit(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
    while (pending_.size() >= 4096) {  // a line without end: 4 KiB log lines
      emit(pending_.substr(0, 4096));
      pending_.erase(0, 4096);
    }
    return in.size();
  }

 private:
  void emit(const std::string& line) { log_line("cons " + client_ + ": " + line); }
  std::string client_;
  std::string pending_;
};

}  // namespace

Result<std::shared_ptr<p9::Node>> DevTree::attach(const p9::Caller& caller) {
  auto root = std::make_shared<p9::SyntheticDir>();
  root->add("null", std::make_shared<p9::SyntheticFile>(
                        0666, [](uint64_t, std::span<std::byte>) -> Result<size_t> { return size_t(0); },
                        [](uint64_t, std::span<const std::byte> in) -> Result<size_t> { return in.size(); }));
  root->add("zero", std::make_shared<p9::SyntheticFile>(
                        0666,
                        [](uint64_t, std::span<std::byte> out) -> Result<size_t> {
                          std::memset(out.data(), 0, out.size());
                          return out.size();
                        },
                        [](uint64_t, std::span<const std::byte> in) -> Result<size_t> { return in.size(); }));
  root->add("random", std::make_shared<p9::SyntheticFile>(0444, fill_random));
  root->add("time", p9::text_file(time_text));
  auto sink =
      std::make_shared<ConsSink>(caller.client + (caller.uname.empty() ? "" : " (" + caller.uname + ")"));
  root->add("cons",
            std::make_shared<p9::SyntheticFile>(
                0222, nullptr, [sink](uint64_t, std::span<const std::byte> in) { return sink->write(in); }));
  return std::shared_ptr<p9::Node>(root);
}

}  // namespace iohost
