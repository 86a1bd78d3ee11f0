// The reactor (see reactor.h). Level-triggered: a descriptor stays in the epoll set while
// anything waits on it, with the union of what is waited for.
#include "reactor.h"
#include <sys/epoll.h>

namespace iohost {

Reactor::Reactor() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {}

Reactor::WaitId Reactor::when_ready(int fd, Want want, std::function<void()> ready) {
  WaitId id = next_id_++;
  Waits& w = fds_[fd];
  (want == Want::kReadable ? w.readers : w.writers).emplace_back(id, std::move(ready));
  fd_of_[id] = fd;
  update(fd, w);
  return id;
}

void Reactor::cancel(WaitId id) {
  auto at = fd_of_.find(id);
  if (at == fd_of_.end()) return;
  int fd = at->second;
  fd_of_.erase(at);
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  for (auto* list : {&it->second.readers, &it->second.writers})
    std::erase_if(*list, [id](const auto& entry) { return entry.first == id; });
  update(fd, it->second);
}

void Reactor::forget(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  for (auto* list : {&it->second.readers, &it->second.writers})
    for (auto& [id, ready] : *list) fd_of_.erase(id);
  it->second.readers.clear();
  it->second.writers.clear();
  update(fd, it->second);
}

size_t Reactor::waiting() const { return fd_of_.size(); }

// Keeps the epoll set in step with what waits on fd; a descriptor nobody waits on leaves it
// (epoll reports errors and hangups even with no events asked, which would spin the loop).
void Reactor::update(int fd, Waits& w) {
  uint32_t want = (w.readers.empty() ? 0u : uint32_t(EPOLLIN | EPOLLRDHUP)) |
                  (w.writers.empty() ? 0u : uint32_t(EPOLLOUT));
  if (want == w.registered) {
    if (want == 0) fds_.erase(fd);
    return;
  }
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = fd;
  if (want == 0) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    fds_.erase(fd);
    return;
  }
  ::epoll_ctl(epoll_.get(), w.registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  w.registered = want;
}

void Reactor::dispatch() {
  epoll_event events[64];
  int n = ::epoll_wait(epoll_.get(), events, 64, 0);
  std::vector<std::function<void()>> ready;
  for (int i = 0; i < n; ++i) {
    auto it = fds_.find(events[i].data.fd);
    if (it == fds_.end()) continue;
    Waits& w = it->second;
    uint32_t e = events[i].events;
    bool failed = e & (EPOLLERR | EPOLLHUP);
    if (e & (EPOLLIN | EPOLLRDHUP) || failed) {
      for (auto& [id, cb] : w.readers) {
        fd_of_.erase(id);
        ready.push_back(std::move(cb));
      }
      w.readers.clear();
    }
    if (e & EPOLLOUT || failed) {
      for (auto& [id, cb] : w.writers) {
        fd_of_.erase(id);
        ready.push_back(std::move(cb));
      }
      w.writers.clear();
    }
    update(events[i].data.fd, w);
  }
  for (auto& cb : ready) cb();  // after the bookkeeping: a callback may wait again
}

}  // namespace iohost
