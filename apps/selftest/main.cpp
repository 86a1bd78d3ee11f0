// The in-guest test suite for the Xen core services. One line per test ("ok N - name" or
// "not ok N - name: why"), then exactly "N passed, N failed". Run on Xen by `make test`.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>
#include <xenos/event_channel.h>
#include <xenos/grant.h>
#include <xenos/system.h>
#include <xenos/thread.h>
#include <xenos/time.h>
#include "suite.h"
#include <xenos/xenstore.h>

using namespace xenos;
namespace xs = xenos::xenstore;

namespace {

// ---- 1. hypercalls ---------------------------------------------------------------------------
void hypercall_page_answers_xen_version() {
  CHECK(strncmp(xenos_platform(), "xen-pv", 6) == 0);  // "xen-pvh" or "xen-pv"
  uint32_t v = xenos_xen_version();
  CHECK(v >> 16 == 4 && (v & 0xffff) == 17);
}

// ---- 2. shared_info ---------------------------------------------------------------------------
void wall_clock_from_shared_info_is_plausible() {
  uint64_t ns = wall_clock_ns();
  CHECK(ns / 1000000000 > 1704067200ull);  // after 2024-01-01
  CHECK(ns / 1000000000 < 4102444800ull);  // before 2100-01-01
}

// ---- 3. event channels -----------------------------------------------------------------------
struct Loopback {
  WaitQueue waiters;
  int deliveries = 0;
  static void on_event(uint32_t, void* self) {
    auto* l = static_cast<Loopback*>(self);
    ++l->deliveries;
    l->waiters.wake_all();
  }
  bool wait_for(int count, uint64_t ms) {
    uint64_t deadline = monotonic_ns() + ms * 1000000;
    while (deliveries < count)
      if (!waiters.wait_until(deadline)) return deliveries >= count;
    return true;
  }
};

void event_channel_loopback_delivers() {
  Loopback receiver;
  auto unbound = EventChannel::alloc_unbound(kDomidSelf, Loopback::on_event, &receiver);
  CHECK_OK(unbound);
  Loopback sender_side;
  auto bound = EventChannel::bind_interdomain(kDomidSelf, unbound->port(), Loopback::on_event, &sender_side);
  CHECK_OK(bound);
  bound->notify();
  CHECK(receiver.wait_for(1, 1000));
  unbound->notify();
  CHECK(sender_side.wait_for(1, 1000));
}

void masked_event_is_delivered_on_unmask() {
  Loopback receiver;
  auto a = EventChannel::alloc_unbound(kDomidSelf, Loopback::on_event, &receiver);
  CHECK_OK(a);
  auto b = EventChannel::bind_interdomain(kDomidSelf, a->port(), nullptr, nullptr);
  CHECK_OK(b);
  a->mask();
  b->notify();
  CHECK(!receiver.wait_for(1, 50));  // masked: nothing arrives
  a->unmask();                       // the edge that came while masked is not lost
  CHECK(receiver.wait_for(1, 1000));
  CHECK(receiver.deliveries == 1);
}

void closed_port_can_be_bound_again() {
  uint32_t port;
  {
    auto a = EventChannel::alloc_unbound(kDomidSelf, nullptr, nullptr);
    CHECK_OK(a);
    port = a->port();
  }  // closed here
  auto again = EventChannel::alloc_unbound(kDomidSelf, nullptr, nullptr);
  CHECK_OK(again);
  CHECK(again->port() == port);  // Xen hands out the lowest free port: ours came back
}

// ---- 4. grant tables -------------------------------------------------------------------------
void grant_allows_access_until_ended() {
  auto domid = xs::own_domid();
  CHECK_OK(domid);
  static char page[4096] __attribute__((aligned(4096)));
  static char copy[4096] __attribute__((aligned(4096)));
  strcpy(page + 200, "granted page");
  auto grant = Grant::share(*domid, reinterpret_cast<uint64_t>(page) / 4096, GrantAccess::kReadOnly);
  CHECK_OK(grant);
  CHECK_OK(copy_from_grant(*domid, grant->ref(), 200, copy, 13));  // Xen reads it through the grant
  CHECK(strcmp(copy, "granted page") == 0);
  uint32_t ref = grant->ref();
  CHECK_OK(grant->end());
  CHECK(!grant->valid());
  auto refused = copy_from_grant(*domid, ref, 200, copy, 13);
  CHECK(!refused);  // ended: Xen no longer honours it
  printf("# copy through an ended grant: %s (errno %d)\n", refused.error().message.c_str(),
         refused.error().code);
}

void grant_table_grows_on_demand() {
  auto domid = xs::own_domid();
  CHECK_OK(domid);
  static char page[4096] __attribute__((aligned(4096)));
  GrantTableInfo before = grant_table_info();
  std::vector<Grant> grants;
  size_t want = before.refs_free + 100;  // more than fit in the frames there are now
  for (size_t i = 0; i < want; ++i) {
    auto g = Grant::share(*domid, reinterpret_cast<uint64_t>(page) / 4096, GrantAccess::kReadOnly);
    CHECK_OK(g);
    grants.push_back(std::move(*g));
  }
  GrantTableInfo during = grant_table_info();
  CHECK(during.frames > before.frames);
  CHECK(during.refs_in_use == before.refs_in_use + want);
  grants.clear();  // every grant ends
  CHECK(grant_table_info().refs_in_use == before.refs_in_use);
}

// ---- 5. xenstore -----------------------------------------------------------------------------
void xenstore_write_read_remove_round_trip() {
  CHECK_OK(xs::write("data/selftest/key", "value 1"));
  auto v = xs::read("data/selftest/key");
  CHECK_OK(v);
  CHECK(*v == "value 1");
  auto listing = xs::directory("data/selftest");
  CHECK_OK(listing);
  CHECK(listing->size() == 1 && (*listing)[0] == "key");  // before "big" is written
  // A value larger than the 1 KiB ring (and within xenstored's 2 KiB quota for a domU) goes
  // out and comes back in pieces.
  std::string big;
  for (int i = 0; i < 2000; ++i) big += char('a' + i % 26);
  CHECK_OK(xs::write("data/selftest/big", big));
  auto back = xs::read("data/selftest/big");
  CHECK_OK(back);
  CHECK(*back == big);
  CHECK_OK(xs::remove("data/selftest"));
  auto gone = xs::read("data/selftest/key");
  CHECK(!gone && gone.error().code == ENOENT);
  CHECK(!gone && gone.error().message == "xenstore: no such path: data/selftest/key");  // names it
}

void xenstore_reads_absolute_paths_and_reports_errors() {
  auto domid = xs::own_domid();
  CHECK_OK(domid);
  auto name = xs::read("/local/domain/" + std::to_string(*domid) + "/name");
  CHECK_OK(name);
  CHECK(name->rfind("selftest", 0) == 0);  // "selftest", or "selftest-pv" in the harness
  auto denied = xs::write("/local/domain/0/selftest-was-here", "x");  // dom0's area is not ours
  CHECK(!denied && denied.error().code == EACCES);
}

void xenstore_permissions_round_trip() {
  auto domid = xs::own_domid();
  CHECK_OK(domid);
  CHECK_OK(xs::mkdir("data/perms"));
  std::string owner = "n" + std::to_string(*domid);
  CHECK_OK(xs::set_perms("data/perms", {owner, "r0"}));
  auto perms = xs::get_perms("data/perms");
  CHECK_OK(perms);
  CHECK(perms->size() == 2 && (*perms)[0] == owner && (*perms)[1] == "r0");
  CHECK_OK(xs::remove("data/perms"));
}

void xenstore_transaction_retries_on_conflict() {
  CHECK_OK(xs::write("data/counter", "1"));
  int attempts = 0;
  auto r = xs::transact(
      [&](xs::TransactionId tx) -> Result<void> {
        std::string v = TRY(xs::read("data/counter", tx));
        if (attempts == 1) TRY_VOID(xs::write("data/counter", "100"));  // a rival, outside tx
        return xs::write("data/counter", std::to_string(std::stoi(v) + 1), tx);
      },
      16, &attempts);
  CHECK_OK(r);
  CHECK(attempts == 2);  // the first commit hit EAGAIN and the body ran again
  auto v = xs::read("data/counter");
  CHECK_OK(v);
  CHECK(*v == "101");
  CHECK_OK(xs::remove("data/counter"));
}

void xenstore_watch_fires() {
  CHECK_OK(xs::write("data/watched", "a"));
  auto w = xs::watch("data/watched");
  CHECK_OK(w);
  uint64_t deadline = monotonic_ns() + 2000000000ull;
  auto first = w->next(deadline);  // xenstore fires a new watch once at once
  CHECK_OK(first);
  CHECK(first->find("data/watched") != std::string::npos);
  CHECK_OK(xs::write("data/watched", "b"));
  auto changed = w->next(deadline);
  CHECK_OK(changed);
  CHECK(changed->find("data/watched") != std::string::npos);
  auto quiet = w->next(monotonic_ns() + 100000000ull);
  CHECK(!quiet && quiet.error().code == ETIMEDOUT);
  CHECK_OK(xs::remove("data/watched"));
}

struct ParallelReads {
  int done = 0, errors = 0;
};
void many_reads(void* arg) {
  auto* p = static_cast<ParallelReads*>(arg);
  for (int i = 0; i < 25; ++i) {
    auto v = xs::read("name");
    if (!v || v->rfind("selftest", 0) != 0) ++p->errors;
  }
  ++p->done;
}

void xenstore_serves_many_threads_at_once() {
  ParallelReads p;
  {
    std::vector<ThreadHandle> threads;
    for (int i = 0; i < 4; ++i) {
      auto t = spawn("xs-reader", many_reads, &p);
      CHECK_OK(t);
      threads.push_back(std::move(*t));
    }
  }  // joined
  CHECK(p.done == 4 && p.errors == 0);
}

// ---- 6. console ------------------------------------------------------------------------------
void console_is_a_terminal_and_takes_whole_writes() {
  CHECK(isatty(1) == 1);
  const char line[] = "# console write of a whole line\n";
  CHECK(write(1, line, sizeof line - 1) == ssize_t(sizeof line - 1));
}

// ---- 7. time ---------------------------------------------------------------------------------
void clock_is_monotonic_across_sleeps() {
  uint64_t a = monotonic_ns();
  sleep_ms(20);
  uint64_t b = monotonic_ns();
  CHECK(b - a >= 20000000ull);
  CHECK(b - a < 2000000000ull);
  struct timespec ts;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  uint64_t c = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  CHECK(c >= b);
  struct timeval tv;
  CHECK(gettimeofday(&tv, nullptr) == 0);
  CHECK(tv.tv_sec > 1704067200);
}

struct Sleeper {
  uint64_t ms;
  std::vector<uint64_t>* order;
};
void sleep_then_record(void* arg) {
  auto* s = static_cast<Sleeper*>(arg);
  sleep_ms(s->ms);
  s->order->push_back(s->ms);
}

void timers_wake_in_deadline_order() {
  std::vector<uint64_t> order;
  Sleeper s[] = {{60, &order}, {20, &order}, {40, &order}};
  {
    std::vector<ThreadHandle> threads;
    for (Sleeper& one : s) {
      auto t = spawn("sleeper", sleep_then_record, &one);
      CHECK_OK(t);
      threads.push_back(std::move(*t));
    }
  }
  CHECK((order == std::vector<uint64_t>{20, 40, 60}));
}

void nanosleep_sleeps() {
  uint64_t a = monotonic_ns();
  struct timespec ts = {0, 15000000};
  CHECK(nanosleep(&ts, nullptr) == 0);
  CHECK(monotonic_ns() - a >= 15000000ull);
}

// ---- 8. threads ------------------------------------------------------------------------------
struct PingPong {
  WaitQueue ping, pong;
  int turn = 0;  // even: ping's turn
  std::vector<char> trace;
};
void ponger(void* arg) {
  auto* p = static_cast<PingPong*>(arg);
  for (int i = 0; i < 5; ++i) {
    while (p->turn % 2 == 0) p->pong.wait();
    p->trace.push_back('o');
    ++p->turn;
    p->ping.wake_one();
  }
}

void threads_interleave_through_wait_queues() {
  PingPong p;
  auto t = spawn("ponger", ponger, &p);
  CHECK_OK(t);
  for (int i = 0; i < 5; ++i) {
    while (p.turn % 2 == 1) p.ping.wait();
    p.trace.push_back('i');
    ++p.turn;
    p.pong.wake_one();
  }
  t->join();
  CHECK(std::string(p.trace.begin(), p.trace.end()) == "ioioioioio");
}

void counter_thread(void* arg) {
  for (int i = 0; i < 3; ++i) {
    ++*static_cast<int*>(arg);
    yield();
  }
}

void yield_lets_other_threads_run_and_join_waits() {
  int count = 0;
  auto t = spawn("counter", counter_thread, &count);
  CHECK_OK(t);
  yield();
  CHECK(count >= 1);  // it ran while we yielded
  t->join();
  CHECK(count == 3);
}

void wait_with_deadline_times_out() {
  WaitQueue nobody_wakes_this;
  uint64_t a = monotonic_ns();
  CHECK(!nobody_wakes_this.wait_until(a + 30000000ull));
  CHECK(monotonic_ns() - a >= 30000000ull);
  CHECK(nobody_wakes_this.empty());
}

}  // namespace

// ---- 9. memory ------------------------------------------------------------------------------
// Every frame the domain was given can be used: mappings take all but a few MiB of what was
// free and reach the top of RAM, short of what was in use before (the frame allocator hands out
// from the top: the 9pfs rings, thread stacks and grant frames are up there); every page keeps what is written to it; unmapping gives it all back. Run PV
// with more than a GiB, this is the proof that the PV boot maps past its first L2 table.
void all_given_memory_is_usable() {
  constexpr size_t kChunk = 4 << 20, kLeft = 8 << 20;  // left free for the rest of the guest
  struct xenos_memory_info before;
  xenos_memory_info(&before);
  std::vector<char*> chunks;
  chunks.reserve(before.ram_bytes / kChunk + 1);  // before counting: the heap does not grow below
  xenos_memory_info(&before);
  CHECK(before.ram_bytes > 0 && before.free_bytes > 2 * kLeft);
  uintptr_t highest_end = 0;
  for (struct xenos_memory_info now = before; now.free_bytes > kLeft + kChunk && chunks.size() < chunks.capacity();
       xenos_memory_info(&now)) {
    void* p = mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) break;
    chunks.push_back(static_cast<char*>(p));
    highest_end = std::max(highest_end, reinterpret_cast<uintptr_t>(p) + kChunk);
  }
  uint64_t mapped = chunks.size() * kChunk;
  for (char* c : chunks)
    for (size_t off = 0; off < kChunk; off += 4096) *reinterpret_cast<uintptr_t*>(c + off) = uintptr_t(c + off);
  size_t wrong = 0;
  for (char* c : chunks)
    for (size_t off = 0; off < kChunk; off += 4096) wrong += *reinterpret_cast<uintptr_t*>(c + off) != uintptr_t(c + off);
  for (char* c : chunks) munmap(c, kChunk);
  struct xenos_memory_info after;
  xenos_memory_info(&after);
  printf("# memory: %llu MiB RAM, %llu MiB mapped and written, the highest up to %llu MiB\n",
         (unsigned long long)(before.ram_bytes >> 20), (unsigned long long)(mapped >> 20),
         (unsigned long long)(highest_end >> 20));
  CHECK(wrong == 0);
  CHECK(mapped + kLeft + 2 * kChunk >= before.free_bytes);
  uint64_t in_use = before.ram_bytes - before.free_bytes;
  CHECK(highest_end + in_use + (2u << 20) >= before.ram_bytes);  // PVH's RAM has a hole below 1 MiB
  // Every frame is back, but for the heap's growth: mmap's own list of mappings lives there.
  CHECK(after.free_bytes + (after.heap_bytes - before.heap_bytes) == before.free_bytes);
}

int main() {
  printf("# selftest: Xen core services on %s, Xen %u.%u\n", xenos_platform(), xenos_xen_version() >> 16,
         xenos_xen_version() & 0xffff);
  suite::run("hypercall page answers XENVER_version (4.17)", hypercall_page_answers_xen_version);
  suite::run("wall clock from shared_info is plausible", wall_clock_from_shared_info_is_plausible);
  suite::run("event channel loopback delivers both ways", event_channel_loopback_delivers);
  suite::run("masked event is delivered on unmask", masked_event_is_delivered_on_unmask);
  suite::run("closed port is freed", closed_port_can_be_bound_again);
  suite::run("grant allows access until ended", grant_allows_access_until_ended);
  suite::run("grant table grows on demand", grant_table_grows_on_demand);
  suite::run("xenstore write/read/directory/rm round trip", xenstore_write_read_remove_round_trip);
  suite::run("xenstore absolute paths and EACCES", xenstore_reads_absolute_paths_and_reports_errors);
  suite::run("xenstore permissions round trip", xenstore_permissions_round_trip);
  suite::run("xenstore transaction retries on conflict", xenstore_transaction_retries_on_conflict);
  suite::run("xenstore watch fires (initial, change, then quiet)", xenstore_watch_fires);
  suite::run("xenstore serves 4 threads at once", xenstore_serves_many_threads_at_once);
  suite::run("console is a terminal and takes whole writes", console_is_a_terminal_and_takes_whole_writes);
  suite::run("clock is monotonic across sleeps", clock_is_monotonic_across_sleeps);
  suite::run("timers wake in deadline order", timers_wake_in_deadline_order);
  suite::run("nanosleep sleeps", nanosleep_sleeps);
  suite::run("threads interleave through wait queues", threads_interleave_through_wait_queues);
  suite::run("yield runs others; join waits", yield_lets_other_threads_run_and_join_waits);
  suite::run("wait with a deadline times out", wait_with_deadline_times_out);
  suite::run("all the memory the domain was given is usable", all_given_memory_is_usable);
  return suite::finish();
}
