// kernel_main: the order of bring-up after memory, readable top to bottom, then the app.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "boot/boot.h"
#include "cmdline.h"
#include "log.h"
#include "memory/memory.h"
#include "panic.h"
#include "ns/boot_namespace.h"
#include "posix/files.h"
#include "sched/scheduler.h"
#include "shutdown.h"
#include "xen/console_ring.h"
#include "xen/events.h"
#include "xen/grant_table.h"
#include "xen/hypercalls.h"
#include "xen/hypervisor.h"
#include "xen/pv.h"
#include "xen/pvclock.h"
#include "cpu.h"
#include "xen/shared_info.h"
#include "xen/time.h"
#include "xen/xenstore.h"
#include "xenos/system.h"

extern "C" int main(int argc, char** argv);
extern "C" void __libc_init_array();
extern "C" const char xenos_app_name[];  // generated per app by the Makefile

namespace kernel {

uint64_t boot_entry_tsc;

namespace {
BootInfo boot_info;

// Entry to main in microseconds, by the TSC scaled as Xen's pvclock says (0 without Xen).
uint64_t boot_microseconds() {
  if (!xen::shared()) return 0;
  const vcpu_time_info& t = xen::vcpu0()->time;
  return xen::pvclock_scale(arch::rdtsc() - boot_entry_tsc, t.tsc_to_system_mul, t.tsc_shift) / 1000;
}
}  // namespace

namespace {
void must(const xenos::Result<void>& r, const char* what) {
  if (!r) panic("%s: %s (errno %d)", what, r.error().message.c_str(), r.error().code);
}

// The Xen services, in dependency order: events need shared_info; time, xenstore and the
// console ring need events; the console switches over last so a failure above still prints.
void xen_services_init() {
  must(xen::shared_info_init(), "shared_info");
  must(xen::events_init(), "event channels");
  must(xen::time_init(), "time");
  must(xen::grant_table_init(), "grant table");
  must(xen::xenstore_init(), "xenstore");
  // The last line on the debug port: a hang after it is in the console ring or above.
  if (!xen::pv_start_info()) log("xen: services up; console moves to the PV ring\n");
  auto console = xen::console_ring_init();
  if (!console)
    log("console: no PV console ring (%s); staying on the debug port\n", console.error().message.c_str());
}
}  // namespace

void kernel_main(const BootInfo& boot) {
  boot_info = boot;
  __libc_init_array();  // global constructors (kernel and app)
  xenos::Scheduler::init();
  if (xen::hypervisor().present) xen_services_init();

  // argv[0] is the app's name; the command line supplies the rest, except the words that
  // start with "xenos.", which are the kernel's own options.
  std::string_view line = boot.command_line;
  SplitArguments counted = split_arguments(line, {}, {});
  auto** words = static_cast<char**>(std::malloc((counted.argc + 1) * sizeof(char*)));
  auto** argv = static_cast<char**>(std::malloc((counted.argc + 2) * sizeof(char*)));
  auto* text = static_cast<char*>(std::malloc(line.size() + 1));
  if (words == nullptr || argv == nullptr || text == nullptr) panic("no memory for argv");
  split_arguments(line, {text, line.size() + 1}, {words, counted.argc + 1});
  if (counted.unterminated_quote) log("warning: command line ends inside a quote\n");
  std::vector<std::string> kernel_options;
  size_t argc = 0;
  argv[argc++] = const_cast<char*>(xenos_app_name);
  for (size_t i = 0; i < counted.argc; ++i) {
    if (std::strncmp(words[i], "xenos.", 6) == 0)
      kernel_options.emplace_back(words[i]);
    else
      argv[argc++] = words[i];
  }
  argv[argc] = nullptr;

  if (xen::hypervisor().present) {
    ns::boot_namespace(kernel_options);
    posix::open_standard_descriptors();
  }

  log("xenos: starting %s (%lu us after entry)\n", xenos_app_name, boot_microseconds());
  std::exit(main(int(argc), argv));  // exit flushes stdio, runs atexit, then _exit
}

}  // namespace kernel

extern "C" void xenos_memory_info(struct xenos_memory_info* info) {
  info->ram_bytes = kernel::boot_info.ram_bytes;
  info->free_bytes = kernel::frames().free_frames() * kernel::kPageSize;
  info->heap_bytes = kernel::heap_bytes();
}

extern "C" const char* xenos_platform(void) { return kernel::boot_info.platform; }

extern "C" void xenos_reboot(void) { kernel::machine_reboot(); }

extern "C" uint32_t xenos_xen_version(void) {
  if (!xen::hypervisor().present) return 0;
  return uint32_t(arch::hypercall(__HYPERVISOR_xen_version, XENVER_version, 0));
}
