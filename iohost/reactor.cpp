// The reactor (see reactor.h). Level-triggered: a descriptor stays in the epoll set while
// anything waits on it, with the union of what is waited for.
#include "reactor.h"
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

namespace iohost {
namespace {

uint64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1'000'000'000u + uint64_t(t.tv_nsec);
}

}  // namespace

Reactor::Reactor()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = timer_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &ev);
}

Reactor::WaitId Reactor::after(uint64_t delay_ns, std::function<void()> due) {
  WaitId id = next_id_++;
  timers_.emplace(now_ns() + delay_ns, std::make_pair(id, std::move(due)));
  arm_timer();
  return id;
}

// The timerfd fires at the earliest deadline (absolute), or is disarmed when none is left.
void Reactor::arm_timer() {
  itimerspec spec{};
  if (!timers_.empty()) {
    uint64_t at = timers_.begin()->first;
    spec.it_value = {time_t(at / 1'000'000'000u), long(at % 1'000'000'000u)};
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void Reactor::run_due_timers(std::vector<std::function<void()>>* ready) {
  uint64_t expirations;
  (void)!::read(timer_.get(), &expirations, sizeof expirations);
  uint64_t now = now_ns();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    ready->push_back(std::move(timers_.begin()->second.second));
    timers_.erase(timers_.begin());
  }
  arm_timer();
}

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
  if (at == fd_of_.end()) {
    for (auto t = timers_.begin(); t != timers_.end(); ++t)
      if (t->second.first == id) {
        timers_.erase(t);
        arm_timer();
        return;
      }
    return;
  }
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

size_t Reactor::waiting() const { return fd_of_.size() + timers_.size(); }

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
    if (events[i].data.fd == timer_.get()) {
      run_due_timers(&ready);
      continue;
    }
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
