// Exception handling: installs the IDT so every CPU exception gets a full report.
#pragma once

namespace kernel {
void traps_init();
}
