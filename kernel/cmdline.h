// Splits the boot command line into argv. Whitespace separates arguments; single or double
// quotes group (the quotes themselves are dropped), so `msg="hello world"` is one argument.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

namespace kernel {

struct SplitArguments {
  size_t argc = 0;
  bool unterminated_quote = false;  // the last argument ran to the end of the line
};

// `text` needs line.size() + 1 bytes; `argv` needs argc + 1 slots (the last gets nullptr).
// With an empty `argv` it only counts, so callers can size the storage first.
SplitArguments split_arguments(std::string_view line, std::span<char> text, std::span<char*> argv);

}  // namespace kernel
