// See shutdown.h. The console line comes first so a log shows why the domain went away.
#include "shutdown.h"
#include "cpu.h"
#include "log.h"
#include "xen/console_ring.h"
#include "xen/hypercalls.h"
#include "xen/hypervisor.h"
#include "xen/time.h"

namespace kernel {
namespace {
constexpr uint16_t kIsaDebugExitPort = 0xf4;  // QEMU -device isa-debug-exit,iobase=0xf4

void report_clock() {
  xen::ClockBehind b = xen::clock_behind();
  if (b.reads)
    log("xen: clock: the TSC read behind Xen's time stamp %llu times (by up to %llu ms: tsc %llx, "
        "tsc_timestamp %llx, system_time %llx); the clock held still then\n",
        (unsigned long long)b.reads, (unsigned long long)(b.worst_ns / 1000000), (unsigned long long)b.worst_tsc,
        (unsigned long long)b.worst_stamp, (unsigned long long)b.worst_system_time);
}
}  // namespace

void machine_exit(int status) {
  bool clean = status == 0;
  if (xen::hypervisor().present) {
    report_clock();
    log("shutdown: %s (exit status %d)\n", clean ? "poweroff" : "crash", status);
    xen::console_ring_flush();
    xen::shutdown(clean ? SHUTDOWN_poweroff : SHUTDOWN_crash);
  } else {
    log("shutdown: exit status %d\n", status);
    arch::outl(kIsaDebugExitPort, uint32_t(status) & 0x7f);
  }
  arch::halt_forever();  // no Xen and no debug-exit device: stop here
}

void machine_reboot() {
  if (xen::hypervisor().present) {
    log("shutdown: reboot\n");
    xen::console_ring_flush();
    xen::shutdown(SHUTDOWN_reboot);
  }
  machine_exit(0);
}

}  // namespace kernel
