// The C++ standard library's threads on xenos: libstdc++ built with POSIX threads over
// kernel/posix/pthread.cpp. std::thread, std::mutex, std::condition_variable, std::async,
// std::this_thread::sleep_for and thread-safe statics.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include "std_threads.h"
#include "suite.h"

namespace {

using namespace std::chrono_literals;

void std_thread_join() {
  int result = 0;
  std::thread t([&result] { result = 6 * 7; });
  CHECK(t.joinable());
  t.join();
  CHECK(result == 42);
  CHECK(!t.joinable());
  CHECK(std::this_thread::get_id() != std::thread::id());
}

void std_mutex_contention() {
  std::mutex m;
  long counter = 0;
  int inside = 0, overlaps = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      for (int n = 0; n < 300; ++n) {
        std::lock_guard<std::mutex> hold(m);
        if (++inside != 1) ++overlaps;
        long seen = counter;
        std::this_thread::yield();
        counter = seen + 1;
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(overlaps == 0);
  CHECK(counter == 6 * 300);
}

void std_condition_variable() {
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  std::unique_lock<std::mutex> lock(m);
  auto start = std::chrono::steady_clock::now();
  CHECK(cv.wait_for(lock, 80ms) == std::cv_status::timeout);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 75ms && waited < 1s);
  std::thread t([&] {
    std::this_thread::sleep_for(30ms);
    std::lock_guard<std::mutex> hold(m);
    ready = true;
    cv.notify_one();
  });
  CHECK(cv.wait_for(lock, 5s, [&] { return ready; }));
  lock.unlock();
  t.join();
}

void std_async_future() {
  auto f = std::async(std::launch::async, [] {
    std::this_thread::sleep_for(20ms);
    return std::string("computed in another thread");
  });
  CHECK(f.wait_for(0ms) == std::future_status::timeout);
  CHECK(f.get() == "computed in another thread");
  std::promise<int> p;
  auto g = p.get_future();
  std::thread t([&p] { p.set_exception(std::make_exception_ptr(std::runtime_error("thrown over there"))); });
  t.join();
  bool caught = false;
  try {
    g.get();
  } catch (const std::runtime_error& e) {
    caught = std::string(e.what()) == "thrown over there";
  }
  CHECK(caught);
}

void std_sleepers_overlap() {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([] { std::this_thread::sleep_for(150ms); });
  for (auto& t : threads) t.join();
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 145ms && took < 450ms);
}

std::atomic<int> constructions{0};
struct Slow {
  Slow() {
    std::this_thread::sleep_for(30ms);  // the other threads arrive while this runs
    ++constructions;
  }
  int value = 7;
};
int slow_value() {
  static Slow slow;  // thread-safe static: constructed once, the others wait for it
  return slow.value;
}

void thread_safe_statics() {
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int i = 0; i < 5; ++i) threads.emplace_back([&] { right += slow_value() == 7; });
  for (auto& t : threads) t.join();
  CHECK(constructions == 1);
  CHECK(right == 5);
}

}  // namespace

void run_std_thread_tests() {
  suite::run("std::thread runs and joins", std_thread_join);
  suite::run("std::mutex under contention from 6 std::threads", std_mutex_contention);
  suite::run("std::condition_variable: wait_for times out, then is notified", std_condition_variable);
  suite::run("std::async and std::promise carry a value and an exception across threads", std_async_future);
  suite::run("std::this_thread::sleep_for in 4 threads overlaps", std_sleepers_overlap);
  suite::run("a function-local static is constructed once while 5 threads wait", thread_safe_statics);
}
