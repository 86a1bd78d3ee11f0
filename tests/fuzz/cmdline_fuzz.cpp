// libFuzzer target: the guest's boot command line (from xl's cmdline=, i.e. whoever writes the
// domain's configuration), split into argv before any heap exists. No input may crash or write
// past the storage the counting pass sized; every argument lies inside the text buffer.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>
#include "cmdline.h"

// The kernel's contracts (contract.h): the storage given is what the counting pass asked for,
// so a broken one is a bug the input found.
[[noreturn]] void contract_violation(const char*, const char*, int) { __builtin_trap(); }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  kernel::SplitArguments counted = kernel::split_arguments(line, {}, {});
  std::vector<char> text(size + 1);
  std::vector<char*> argv(counted.argc + 1);
  kernel::SplitArguments split = kernel::split_arguments(line, text, argv);
  if (split.argc != counted.argc || split.unterminated_quote != counted.unterminated_quote) __builtin_trap();
  if (argv[split.argc] != nullptr) __builtin_trap();
  for (size_t i = 0; i < split.argc; ++i) {
    if (argv[i] < text.data() || argv[i] >= text.data() + text.size()) __builtin_trap();
    size_t room = size_t(text.data() + text.size() - argv[i]);
    if (strnlen(argv[i], room) == room) __builtin_trap();  // not terminated inside the buffer
  }
  return 0;
}
