// The fakes of tests/unit/fake_xen.h: the kernel's Xen-facing symbols for the host test binary.
#include "fake_xen.h"
#include <sys/mman.h>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include "context.h"
#include "memory/memory.h"
#include "sched/scheduler.h"
#include "sched/timers.h"
#include "xen/xenstore.h"
#include "xenos/grant.h"
#include "xenos/time.h"

namespace fake_xen {

FakeXenstored* xenstored = nullptr;
std::string logged;
uint64_t now_ns = 1'000'000;
std::set<uint32_t> grants;
std::set<uint32_t> channels;

namespace {

uint64_t armed = 0;
uint32_t next_port = 20, next_ref = 8;

uint64_t fake_now_ns() { return now_ns; }
void fake_arm(uint64_t deadline) { armed = deadline; }
const xenos::TimerDevice kFakeTimer{fake_now_ns, fake_arm};

// Nothing can run: an event if one is due, else the timer at its deadline.
void wait_for_interrupt() {
  if (xenstored->interrupt()) return;
  if (armed == 0) {
    std::fprintf(stderr, "fake_xen: deadlock: nothing runnable, no event, no timer\n");
    std::abort();
  }
  if (armed > now_ns) now_ns = armed;
  armed = 0;
  xenos::expire_timers();
}

}  // namespace

void start(FakeXenstored& store) {
  logged.clear();
  now_ns = 1'000'000;
  armed = 0;
  grants.clear();
  channels.clear();
  xenstored = &store;
  arch::host_wait_for_interrupt = wait_for_interrupt;
  xenos::set_timer_device(&kFakeTimer);
  xenos::Scheduler::init();
  auto connected = xen::xenstore_connect(&store.ring, kXenstorePort);
  ASSERT_TRUE(connected);
}

}  // namespace fake_xen

// ---- what the kernel code under test takes from the rest of the kernel ------------------------

namespace kernel {

void log(const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  fake_xen::logged += line;
}

// Frames are addresses / 4096, so they must be real memory: a region mapped low enough that the
// allocator's bitmap (one bit per frame from 0) stays small.
FrameAllocator& frames() {
  static FrameAllocator* allocator = [] {
    constexpr uint64_t kBase = 0x10000000, kBytes = 64ull << 20;
    void* p = ::mmap(reinterpret_cast<void*>(kBase), kBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != reinterpret_cast<void*>(kBase)) {
      std::fprintf(stderr, "fake_xen: cannot map the test's frames at 0x%llx\n", (unsigned long long)kBase);
      std::abort();
    }
    uint64_t count = (kBase + kBytes) / kPageSize;
    static std::vector<uint64_t> bitmap(FrameAllocator::words_for(count));
    auto* a = new FrameAllocator(bitmap, count);
    a->release_range(kBase / kPageSize, kBytes / kPageSize);
    return a;
  }();
  return *allocator;
}

}  // namespace kernel

namespace xenos {

uint64_t monotonic_ns() { return fake_xen::now_ns; }

// Event channels: xenstore's port goes to the fake xenstored; the others are only counted.
Result<EventChannel> EventChannel::adopt(uint32_t port, EventHandler handler, void* context) {
  fake_xen::xenstored->port = port;
  fake_xen::xenstored->handler = handler;
  fake_xen::xenstored->context = context;
  return EventChannel(port);
}
Result<EventChannel> EventChannel::alloc_unbound(DomainId, EventHandler, void*) {
  uint32_t port = fake_xen::next_port++;
  fake_xen::channels.insert(port);
  return EventChannel(port);
}
void EventChannel::notify() const {
  if (port_ == fake_xen::kXenstorePort) fake_xen::xenstored->on_notify();
}
bool EventChannel::remote_bound() const { return true; }
void EventChannel::close() {
  if (port_ != kNoPort) fake_xen::channels.erase(port_);
  port_ = kNoPort;
}
EventChannel& EventChannel::operator=(EventChannel&& other) {
  if (this != &other) {
    close();
    port_ = std::exchange(other.port_, kNoPort);
  }
  return *this;
}

// Grants: a ref per share, outstanding until ended (the fake peer never maps a page).
Result<Grant> Grant::share(DomainId, uint64_t, GrantAccess) {
  uint32_t ref = fake_xen::next_ref++;
  fake_xen::grants.insert(ref);
  return Grant(ref);
}
Result<void> Grant::end() {
  if (ref_ != kNoRef) fake_xen::grants.erase(ref_);
  ref_ = kNoRef;
  return {};
}
void Grant::release() { (void)end(); }
Grant::~Grant() { release(); }
Grant& Grant::operator=(Grant&& other) {
  if (this != &other) {
    release();
    ref_ = std::exchange(other.ref_, kNoRef);
  }
  return *this;
}

}  // namespace xenos
