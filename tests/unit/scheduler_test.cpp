// The scheduler and the timer queue on the host: real stacks and real context switches
// (arch/x86_64/context_switch.S), a fake one-shot timer, and the interrupt flag as a variable
// (tests/unit/host_arch/context.h). When nothing can run, "waiting for an interrupt" fires the
// fake timer at its deadline, so simulated time passes only while every thread is blocked.
#include <gtest/gtest.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include "context.h"
#include "memory/memory.h"
#include "sched/scheduler.h"
#include "sched/timers.h"
#include "xenos/thread.h"
#include "xenos/time.h"

// ---- what the scheduler takes from the rest of the kernel ----------------------------------

namespace {
int pages_outstanding = 0;
bool pages_exhausted = false;
}  // namespace

namespace kernel {
void* allocate_pages(uint64_t count) {
  if (pages_exhausted) return nullptr;
  ++pages_outstanding;
  return std::aligned_alloc(kPageSize, count * kPageSize);
}
void free_pages(void* first, uint64_t) {
  --pages_outstanding;
  std::free(first);
}
void panic(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::abort();
}
}  // namespace kernel

// ---- the fake timer --------------------------------------------------------------------------

namespace {

uint64_t fake_now = 1000;
uint64_t armed_deadline = 0;  // 0: not armed
int arm_count = 0;

uint64_t fake_now_ns() { return fake_now; }
void fake_arm(uint64_t deadline_ns) {
  armed_deadline = deadline_ns;
  ++arm_count;
}
const xenos::TimerDevice kFakeTimer{fake_now_ns, fake_arm};

void fire_fake_timer() {  // nothing is runnable: the next thing that can happen is the timer
  if (armed_deadline == 0) {
    std::fprintf(stderr, "scheduler_test: deadlock: nothing runnable and no timer armed\n");
    std::abort();
  }
  if (armed_deadline > fake_now) fake_now = armed_deadline;
  armed_deadline = 0;
  xenos::expire_timers();
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_now = 1000;
    armed_deadline = 0;
    arm_count = 0;
    pages_exhausted = false;
    arch::host_wait_for_interrupt = fire_fake_timer;
    xenos::set_timer_device(&kFakeTimer);
    xenos::Scheduler::init();
  }
  void TearDown() override {
    xenos::yield();  // a finished detached thread's stack goes when another thread runs
    EXPECT_EQ(pages_outstanding, 0) << "a thread's stack was not freed";
    EXPECT_TRUE(arch::interrupts_enabled()) << "interrupts left off";
  }
};

std::vector<std::string> trace;

template <typename F>
xenos::ThreadHandle start(const char* name, F* body) {
  auto handle = xenos::spawn(
      name, [](void* f) { (*static_cast<F*>(f))(); }, body);
  EXPECT_TRUE(bool(handle));
  return std::move(*handle);
}

}  // namespace

TEST_F(SchedulerTest, SpawnedThreadRunsWhenMainJoins) {
  bool ran = false;
  auto body = [&] {
    ran = true;
    EXPECT_STREQ(xenos::current_thread_name(), "worker");
  };
  auto t = start("worker", &body);
  EXPECT_FALSE(ran) << "a new thread runs only when the spawner blocks or yields";
  t.join();
  EXPECT_TRUE(ran);
  EXPECT_STREQ(xenos::current_thread_name(), "main");
}

TEST_F(SchedulerTest, YieldTakesTurnsInSpawnOrder) {
  trace.clear();
  auto a = [] {
    for (int i = 0; i < 2; ++i) trace.push_back("a"), xenos::yield();
  };
  auto b = [] {
    for (int i = 0; i < 2; ++i) trace.push_back("b"), xenos::yield();
  };
  auto c = [] {
    for (int i = 0; i < 2; ++i) trace.push_back("c"), xenos::yield();
  };
  auto ta = start("a", &a), tb = start("b", &b), tc = start("c", &c);
  ta.join();
  tb.join();
  tc.join();
  EXPECT_EQ(trace, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));
}

TEST_F(SchedulerTest, YieldWithNothingElseRunnableReturns) {
  xenos::yield();
  EXPECT_STREQ(xenos::current_thread_name(), "main");
}

TEST_F(SchedulerTest, WakeOneWakesTheWaitersInOrder) {
  trace.clear();
  xenos::WaitQueue queue;
  auto first = [&] { queue.wait(), trace.push_back("first"); };
  auto second = [&] { queue.wait(), trace.push_back("second"); };
  auto t1 = start("first", &first), t2 = start("second", &second);
  xenos::yield();  // both block on the queue
  EXPECT_FALSE(queue.empty());
  queue.wake_one();
  xenos::yield();
  EXPECT_EQ(trace, (std::vector<std::string>{"first"}));
  queue.wake_all();
  t1.join();
  t2.join();
  EXPECT_EQ(trace, (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(queue.empty());
}

TEST_F(SchedulerTest, MutexLetsOneHolderInWhileItBlocks) {
  xenos::Mutex mutex;
  int holders = 0, most_holders = 0, total = 0;
  auto body = [&] {
    for (int i = 0; i < 5; ++i) {
      xenos::LockGuard lock(mutex);
      most_holders = std::max(most_holders, ++holders);
      xenos::yield();  // the others run and must wait for the lock
      ++total;
      --holders;
    }
  };
  auto a = start("a", &body), b = start("b", &body), c = start("c", &body);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(most_holders, 1);
  EXPECT_EQ(total, 15);
}

TEST_F(SchedulerTest, SleepersWakeInDeadlineOrderAndNotBefore) {
  trace.clear();
  std::vector<uint64_t> woke_at;
  auto sleeper = [&](const char* name, uint64_t ms) {
    return [&woke_at, name, ms] {
      xenos::sleep_ms(ms);
      trace.push_back(name);
      woke_at.push_back(fake_now);
    };
  };
  auto s30 = sleeper("30", 30), s10 = sleeper("10", 10), s20 = sleeper("20", 20);
  auto a = start("30", &s30), b = start("10", &s10), c = start("20", &s20);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(trace, (std::vector<std::string>{"10", "20", "30"}));
  EXPECT_EQ(woke_at, (std::vector<uint64_t>{1000 + 10000000, 1000 + 20000000, 1000 + 30000000}));
}

TEST_F(SchedulerTest, WaitUntilReturnsFalseAtTheDeadlineAndLeavesTheQueue) {
  xenos::WaitQueue queue;
  EXPECT_FALSE(queue.wait_until(fake_now + 5000));
  EXPECT_EQ(fake_now, 1000u + 5000u);
  EXPECT_TRUE(queue.empty()) << "a timed-out waiter must not stay on the queue";
}

TEST_F(SchedulerTest, WaitUntilWokenEarlyReturnsTrueAndCancelsItsTimer) {
  xenos::WaitQueue queue;
  auto waker = [&] { queue.wake_one(); };
  auto t = start("waker", &waker);
  EXPECT_TRUE(queue.wait_until(fake_now + 1000000000));
  EXPECT_EQ(fake_now, 1000u) << "woken before any time passed";
  t.join();
  // The cancelled deadline wakes nobody; a later sleep ends at its own deadline.
  xenos::sleep_ns(7);
  EXPECT_EQ(fake_now, 1007u);
}

TEST_F(SchedulerTest, ASpuriousTimerInterruptWakesNobody) {
  xenos::WaitQueue queue;
  bool woke = false;
  auto waiter = [&] { woke = queue.wait_until(fake_now + 500), woke = true; };
  auto t = start("waiter", &waiter);
  xenos::yield();
  {
    arch::InterruptGuard guard;
    xenos::expire_timers();  // early: the deadline is 500 ns away
  }
  xenos::yield();
  EXPECT_FALSE(woke);
  t.join();  // main blocks: the fake timer fires at the deadline
  EXPECT_TRUE(woke);
  EXPECT_EQ(fake_now, 1500u);
}

TEST_F(SchedulerTest, DetachedThreadFreesItsStackWhenItFinishes) {
  int runs = 0;
  auto body = [&] { ++runs; };
  auto t = start("detached", &body);
  t.detach();
  EXPECT_FALSE(t.joinable());
  xenos::yield();
  xenos::yield();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(pages_outstanding, 0);
}

TEST_F(SchedulerTest, SpawnWithoutMemoryForAStackSaysENOMEM) {
  pages_exhausted = true;
  auto handle = xenos::spawn(
      "no-stack", [](void*) {}, nullptr);
  ASSERT_FALSE(bool(handle));
  EXPECT_EQ(handle.error().code, ENOMEM);
  EXPECT_NE(handle.error().message.find("stack"), std::string::npos);
}

TEST_F(SchedulerTest, SleepWithoutATimerDeviceReturnsAtOnce) {
  xenos::set_timer_device(nullptr);
  xenos::sleep_ms(1000);
  EXPECT_EQ(fake_now, 1000u);
  EXPECT_EQ(arm_count, 0);
}

// ---- the timer queue alone -------------------------------------------------------------------

TEST(TimerQueue, PopsInDeadlineOrderThenFifoForEqualDeadlines) {
  xenos::Thread a, b, c, d;
  xenos::TimerQueue q;
  q.add(&a, 30);
  q.add(&b, 10);
  q.add(&c, 30);
  q.add(&d, 20);
  EXPECT_EQ(q.earliest_ns(), 10u);
  EXPECT_EQ(q.pop_due(5), nullptr);
  EXPECT_EQ(q.pop_due(30), &b);
  EXPECT_EQ(q.pop_due(30), &d);
  EXPECT_EQ(q.pop_due(30), &a);
  EXPECT_EQ(q.pop_due(30), &c);
  EXPECT_EQ(q.pop_due(30), nullptr);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.earliest_ns(), 0u);
  EXPECT_EQ(a.deadline_ns, 0u);
}

TEST(TimerQueue, RemoveTakesOutOneThreadAndIgnoresOthers) {
  xenos::Thread a, b, c, stranger;
  xenos::TimerQueue q;
  q.add(&a, 1);
  q.add(&b, 2);
  q.add(&c, 3);
  q.remove(&b);
  q.remove(&stranger);
  EXPECT_EQ(b.deadline_ns, 0u);
  EXPECT_EQ(q.pop_due(10), &a);
  EXPECT_EQ(q.pop_due(10), &c);
  EXPECT_TRUE(q.empty());
  q.remove(&a);  // removing from an empty queue is harmless
}
