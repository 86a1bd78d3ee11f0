// The in-guest suite of POSIX threads (kernel/posix/pthread.cpp) on the kernel's cooperative
// threads: create/join/detach/exit, mutexes (normal, recursive, error-checking, timed),
// condition variables (timed waits on both clocks), once, thread-specific data, per-thread
// errno, sleeping threads that overlap, and a thread blocked on 9P while another computes.
// std_threads.cpp adds the same for std::thread and friends. The harness gives it a share at /fs with big.bin (1 MiB of a known pattern) in it.
#include <pthread.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>
#include "std_threads.h"
#include "suite.h"

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Now + ms (which may be negative) on `clock`, as a valid timespec: tv_nsec in [0, 1e9). A
// negative ms once left tv_nsec negative when the clock's nanoseconds were below it (EINVAL,
// not ETIMEDOUT: threadtest-pv failed so, about one run in a hundred).
timespec in_ms(clockid_t clock, long ms) {
  timespec ts;
  clock_gettime(clock, &ts);
  int64_t ns = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec + int64_t(ms) * 1000000;
  ts.tv_sec = time_t(ns / 1000000000);
  ts.tv_nsec = long(ns % 1000000000);
  return ts;
}

void* square(void* arg) {
  auto n = reinterpret_cast<long>(arg);
  return reinterpret_cast<void*>(n * n);
}

void create_join_gives_the_result() {
  pthread_t t;
  CHECK(pthread_create(&t, nullptr, square, reinterpret_cast<void*>(12L)) == 0);
  void* result = nullptr;
  CHECK(pthread_join(t, &result) == 0);
  CHECK(reinterpret_cast<long>(result) == 144);
  CHECK(pthread_join(pthread_self(), nullptr) == EDEADLK);
}

void many_threads_all_run() {
  constexpr long kThreads = 200;
  std::vector<pthread_t> threads(kThreads);
  for (long i = 0; i < kThreads; ++i) CHECK(pthread_create(&threads[i], nullptr, square, reinterpret_cast<void*>(i)) == 0);
  long sum = 0;
  for (long i = 0; i < kThreads; ++i) {
    void* r;
    CHECK(pthread_join(threads[i], &r) == 0);
    sum += reinterpret_cast<long>(r);
  }
  CHECK(sum == (kThreads - 1) * kThreads * (2 * kThreads - 1) / 6);
}

pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
long counter = 0;
int inside = 0, overlaps = 0;

void* bump(void*) {
  for (int i = 0; i < 500; ++i) {
    pthread_mutex_lock(&counter_lock);
    if (++inside != 1) ++overlaps;
    long seen = counter;
    sched_yield();  // the others run now and must wait for the lock
    counter = seen + 1;
    --inside;
    pthread_mutex_unlock(&counter_lock);
  }
  return nullptr;
}

void mutex_under_contention() {
  pthread_t t[8];
  for (auto& x : t) CHECK(pthread_create(&x, nullptr, bump, nullptr) == 0);
  for (auto& x : t) CHECK(pthread_join(x, nullptr) == 0);
  CHECK(overlaps == 0);
  CHECK(counter == 8 * 500);
  CHECK(pthread_mutex_destroy(&counter_lock) == 0);
}

pthread_mutex_t shared_lock;

void* try_shared(void*) { return reinterpret_cast<void*>(long(pthread_mutex_trylock(&shared_lock))); }
void* unlock_shared(void*) { return reinterpret_cast<void*>(long(pthread_mutex_unlock(&shared_lock))); }

long in_thread(void* (*f)(void*)) {
  pthread_t t;
  void* r = reinterpret_cast<void*>(-1L);
  if (pthread_create(&t, nullptr, f, nullptr) != 0 || pthread_join(t, &r) != 0) return -1;
  return reinterpret_cast<long>(r);
}

void mutex_kinds() {
  pthread_mutexattr_t a;
  CHECK(pthread_mutexattr_init(&a) == 0);
  CHECK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) == 0);
  CHECK(pthread_mutex_init(&shared_lock, &a) == 0);
  CHECK(pthread_mutex_lock(&shared_lock) == 0);
  CHECK(pthread_mutex_lock(&shared_lock) == 0);
  CHECK(pthread_mutex_trylock(&shared_lock) == 0);
  CHECK(in_thread(try_shared) == EBUSY);
  CHECK(in_thread(unlock_shared) == EPERM);  // not the owner
  for (int i = 0; i < 3; ++i) CHECK(pthread_mutex_unlock(&shared_lock) == 0);
  CHECK(pthread_mutex_unlock(&shared_lock) == EPERM);  // no longer held
  CHECK(in_thread(try_shared) == 0);                   // free now: the thread takes it...
  CHECK(pthread_mutex_destroy(&shared_lock) == EBUSY); // ...and, ended, still holds it
  CHECK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK) == 0);
  pthread_mutex_t checked;
  CHECK(pthread_mutex_init(&checked, &a) == 0);
  CHECK(pthread_mutex_lock(&checked) == 0);
  CHECK(pthread_mutex_lock(&checked) == EDEADLK);
  CHECK(pthread_mutex_unlock(&checked) == 0);
  CHECK(pthread_mutexattr_settype(&a, 42) == EINVAL);
}

pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

void* hold_for_300ms(void*) {
  pthread_mutex_lock(&held);
  usleep(300 * 1000);
  pthread_mutex_unlock(&held);
  return nullptr;
}

void mutex_timedlock() {
  pthread_t t;
  CHECK(pthread_create(&t, nullptr, hold_for_300ms, nullptr) == 0);
  sched_yield();  // it takes the lock and sleeps
  timespec soon = in_ms(CLOCK_REALTIME, 50);
  uint64_t start = now_ns();
  CHECK(pthread_mutex_timedlock(&held, &soon) == ETIMEDOUT);
  uint64_t waited = now_ns() - start;
  CHECK(waited >= 45'000'000 && waited < 250'000'000);
  timespec later = in_ms(CLOCK_REALTIME, 5000);
  CHECK(pthread_mutex_timedlock(&held, &later) == 0);  // granted when the holder lets go
  CHECK(now_ns() - start >= 250'000'000);
  CHECK(pthread_mutex_unlock(&held) == 0);
  CHECK(pthread_join(t, nullptr) == 0);
  timespec bad{0, 2000000000};
  CHECK(pthread_mutex_timedlock(&held, &bad) == EINVAL);
}

// A bounded queue between a producer and a consumer: every item arrives, in order.
struct Queue {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
  int items[16];
  int head = 0, count = 0;
};
Queue q;
constexpr int kItems = 2000;

void* produce(void*) {
  for (int i = 0; i < kItems; ++i) {
    pthread_mutex_lock(&q.lock);
    while (q.count == 16) pthread_cond_wait(&q.not_full, &q.lock);
    q.items[(q.head + q.count++) % 16] = i;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.lock);
  }
  return nullptr;
}

void* consume(void*) {
  long in_order = 0;
  for (int i = 0; i < kItems; ++i) {
    pthread_mutex_lock(&q.lock);
    while (q.count == 0) pthread_cond_wait(&q.not_empty, &q.lock);
    int item = q.items[q.head];
    q.head = (q.head + 1) % 16;
    --q.count;
    pthread_cond_signal(&q.not_full);
    pthread_mutex_unlock(&q.lock);
    if (item == i) ++in_order;
  }
  return reinterpret_cast<void*>(in_order);
}

void condvar_producer_consumer() {
  pthread_t p, c;
  CHECK(pthread_create(&c, nullptr, consume, nullptr) == 0);
  CHECK(pthread_create(&p, nullptr, produce, nullptr) == 0);
  void* in_order;
  CHECK(pthread_join(p, nullptr) == 0);
  CHECK(pthread_join(c, &in_order) == 0);
  CHECK(reinterpret_cast<long>(in_order) == kItems);
}

void condvar_timed_waits() {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t on_realtime = PTHREAD_COND_INITIALIZER, on_monotonic;
  pthread_condattr_t a;
  CHECK(pthread_condattr_init(&a) == 0);
  CHECK(pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0);
  CHECK(pthread_cond_init(&on_monotonic, &a) == 0);
  clockid_t clock;
  CHECK(pthread_condattr_getclock(&a, &clock) == 0 && clock == CLOCK_MONOTONIC);
  CHECK(pthread_mutex_lock(&m) == 0);
  for (int which = 0; which < 2; ++which) {
    pthread_cond_t* c = which == 0 ? &on_realtime : &on_monotonic;
    timespec at = in_ms(which == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, 100);
    uint64_t start = now_ns();
    CHECK(pthread_cond_timedwait(c, &m, &at) == ETIMEDOUT);
    uint64_t waited = now_ns() - start;
    CHECK(waited >= 95'000'000 && waited < 1'000'000'000);
    CHECK(pthread_mutex_trylock(&m) == EBUSY);  // it came back holding the mutex
  }
  timespec past = in_ms(CLOCK_MONOTONIC, -10);
  CHECK(pthread_cond_timedwait(&on_monotonic, &m, &past) == ETIMEDOUT);
  CHECK(pthread_mutex_unlock(&m) == 0);
  CHECK(pthread_cond_wait(&on_realtime, &m) == EPERM);  // not holding it
}

pthread_once_t once = PTHREAD_ONCE_INIT;
int once_runs = 0;
bool once_seen_done = true;
void init_once() {
  usleep(20 * 1000);  // the others arrive meanwhile and must wait, not run it too
  ++once_runs;
}
void* call_once(void*) {
  pthread_once(&once, init_once);
  if (once_runs != 1) once_seen_done = false;
  return nullptr;
}

void once_runs_once() {
  pthread_t t[10];
  for (auto& x : t) CHECK(pthread_create(&x, nullptr, call_once, nullptr) == 0);
  for (auto& x : t) CHECK(pthread_join(x, nullptr) == 0);
  CHECK(once_runs == 1);
  CHECK(once_seen_done);
}

pthread_key_t key;
int destroyed_sum = 0;
void destroy(void* value) { destroyed_sum += *static_cast<int*>(value); }
void* own_value(void* arg) {
  if (pthread_getspecific(key) != nullptr) return reinterpret_cast<void*>(1L);
  pthread_setspecific(key, arg);
  sched_yield();
  return reinterpret_cast<void*>(pthread_getspecific(key) == arg ? 0L : 1L);
}

void thread_specific_data() {
  CHECK(pthread_key_create(&key, destroy) == 0);
  int values[5] = {1, 2, 4, 8, 16};
  pthread_t t[5];
  for (int i = 0; i < 5; ++i) CHECK(pthread_create(&t[i], nullptr, own_value, &values[i]) == 0);
  for (auto& x : t) {
    void* wrong;
    CHECK(pthread_join(x, &wrong) == 0 && wrong == nullptr);
  }
  CHECK(destroyed_sum == 31);  // each thread's destructor ran with its own value
  static int mine = 7;
  CHECK(pthread_setspecific(key, &mine) == 0 && pthread_getspecific(key) == &mine);
  CHECK(pthread_key_delete(key) == 0);
  pthread_key_t again;
  CHECK(pthread_key_create(&again, nullptr) == 0);
  CHECK(pthread_getspecific(again) == nullptr);  // a reused key starts empty
  CHECK(pthread_key_delete(again) == 0);
  CHECK(pthread_setspecific(again, &mine) == EINVAL);
}

// Thread 0 fails an open (ENOENT), thread 1 a read of a bad descriptor (EBADF).
void* errno_of(void* arg) {
  errno = 0;
  char c;
  bool failed = arg == nullptr ? open("/fs/no-such-file", O_RDONLY) == -1 : read(-1, &c, 1) == -1;
  if (!failed) return reinterpret_cast<void*>(-1L);
  int mine = errno;
  sched_yield();  // the other thread fails differently meanwhile
  usleep(10 * 1000);
  return reinterpret_cast<void*>(long(errno == mine ? mine : -2));
}

void errno_is_per_thread() {
  pthread_t a, b;
  CHECK(pthread_create(&a, nullptr, errno_of, nullptr) == 0);
  CHECK(pthread_create(&b, nullptr, errno_of, &b) == 0);
  errno = EAGAIN;
  void *ra, *rb;
  CHECK(pthread_join(a, &ra) == 0 && pthread_join(b, &rb) == 0);
  CHECK(reinterpret_cast<long>(ra) == ENOENT);
  CHECK(reinterpret_cast<long>(rb) == EBADF);
  CHECK(errno == EAGAIN);  // main's own, untouched by theirs
}

void* sleep_200ms(void*) {
  usleep(200 * 1000);
  return nullptr;
}

void sleepers_overlap() {
  pthread_t t[4];
  uint64_t start = now_ns();
  for (auto& x : t) CHECK(pthread_create(&x, nullptr, sleep_200ms, nullptr) == 0);
  for (auto& x : t) CHECK(pthread_join(x, nullptr) == 0);
  uint64_t took = now_ns() - start;
  CHECK(took >= 195'000'000 && took < 600'000'000);  // together, not 4 x 200 ms one after another
}

// One thread reads a MiB over 9P again and again; another computes, yielding as it goes. The
// reader counts how far the computer got while each of its reads was waiting on the backend.
volatile bool reading_done = false;
volatile unsigned long computed = 0;
unsigned long computed_during_reads = 0;
std::string read_problem;

void* reader(void*) {
  std::vector<unsigned char> buf(1 << 20);
  for (int round = 0; round < 8; ++round) {
    int fd = open("/fs/big.bin", O_RDONLY);
    if (fd < 0) {
      read_problem = std::string("open: ") + strerror(errno);
      break;
    }
    unsigned long before = computed;
    ssize_t n = read(fd, buf.data(), buf.size());
    computed_during_reads += computed - before;
    close(fd);
    if (n != ssize_t(buf.size())) {
      read_problem = "read gave " + std::to_string(n);
      break;
    }
    for (size_t i = 0; i < buf.size(); ++i)
      if (buf[i] != (unsigned char)(i * 7 + i / 4096)) {
        read_problem = "byte " + std::to_string(i) + " is wrong";
        round = 8;
        break;
      }
  }
  reading_done = true;
  return nullptr;
}

void* computer(void*) {
  unsigned long x = 1;
  while (!reading_done) {
    for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
    computed = computed + 1;
    sched_yield();
  }
  return reinterpret_cast<void*>(x);
}

void a_thread_blocked_on_9p_lets_another_compute() {
  pthread_t r, c;
  CHECK(pthread_create(&r, nullptr, reader, nullptr) == 0);
  CHECK(pthread_create(&c, nullptr, computer, nullptr) == 0);
  CHECK(pthread_join(r, nullptr) == 0 && pthread_join(c, nullptr) == 0);
  CHECK(read_problem.empty());
  CHECK(computed_during_reads > 0);
  std::printf("# threadtest: %lu compute rounds in all, %lu of them while a 9P read waited\n",
              (unsigned long)computed, computed_during_reads);
}

int detached_done = 0;
void* mark_done(void*) {
  usleep(1000);
  ++detached_done;
  return nullptr;
}

void detached_threads_finish_alone() {
  pthread_attr_t a;
  CHECK(pthread_attr_init(&a) == 0);
  CHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0);
  CHECK(pthread_attr_setstacksize(&a, 32 * 1024) == 0);
  CHECK(pthread_attr_setstacksize(&a, 100) == EINVAL);
  for (int i = 0; i < 50; ++i) {
    pthread_t t;
    CHECK(pthread_create(&t, &a, mark_done, nullptr) == 0);
    if (i == 0) CHECK(pthread_join(t, nullptr) == EINVAL);
  }
  pthread_t late;
  CHECK(pthread_create(&late, nullptr, mark_done, nullptr) == 0);
  for (int i = 0; i < 100 && detached_done < 51; ++i) usleep(10 * 1000);
  CHECK(pthread_detach(late) == 0);  // already finished: freed here
  CHECK(detached_done == 51);
}

void* exit_early(void*) {
  pthread_exit(reinterpret_cast<void*>(99L));
  return nullptr;  // never reached
}

void pthread_exit_gives_the_value() {
  pthread_t t;
  CHECK(pthread_create(&t, nullptr, exit_early, nullptr) == 0);
  void* r;
  CHECK(pthread_join(t, &r) == 0 && reinterpret_cast<long>(r) == 99);
  CHECK(pthread_equal(pthread_self(), pthread_self()) && !pthread_equal(pthread_self(), t));
}

}  // namespace

int main() {
  std::printf("# threadtest: POSIX threads on xenos\n");
  suite::run("pthread_create/join: the thread's result, EDEADLK joining oneself", create_join_gives_the_result);
  suite::run("200 threads all run and are joined", many_threads_all_run);
  suite::run("a mutex under contention from 8 threads that yield inside it", mutex_under_contention);
  suite::run("recursive and error-checking mutexes, trylock, unlock by a non-owner", mutex_kinds);
  suite::run("pthread_mutex_timedlock times out, then is granted", mutex_timedlock);
  suite::run("condition variables: producer and consumer, 2000 items in order", condvar_producer_consumer);
  suite::run("condition variable timed waits on CLOCK_REALTIME and CLOCK_MONOTONIC", condvar_timed_waits);
  suite::run("pthread_once runs its init once while 10 threads wait", once_runs_once);
  suite::run("thread-specific data: own values, destructors, a reused key starts empty", thread_specific_data);
  suite::run("errno is per thread", errno_is_per_thread);
  suite::run("four threads sleeping 200 ms overlap", sleepers_overlap);
  suite::run("a thread blocked on 9P lets another compute", a_thread_blocked_on_9p_lets_another_compute);
  suite::run("detached threads finish by themselves; detach after the end", detached_threads_finish_alone);
  suite::run("pthread_exit's value reaches pthread_join; pthread_equal", pthread_exit_gives_the_value);
  run_std_thread_tests();
  return suite::finish();
}
