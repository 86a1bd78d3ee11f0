// Command-line splitting (see cmdline.h). Pure logic; unit-tested on the host.
#include "cmdline.h"
#include "contract.h"

namespace kernel {

SplitArguments split_arguments(std::string_view line, std::span<char> text, std::span<char*> argv) {
  bool counting = argv.empty();
  Expects(counting || text.size() >= line.size() + 1);
  SplitArguments result;
  size_t out = 0, i = 0;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    if (!counting) {
      Expects(result.argc + 1 < argv.size());
      argv[result.argc] = &text[out];
    }
    char quote = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (quote != 0 && c == quote) {
        quote = 0;
        continue;
      }
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
        continue;
      }
      if (quote == 0 && is_space(c)) break;
      if (!counting) text[out++] = c;
    }
    if (quote != 0) result.unterminated_quote = true;
    if (!counting) text[out++] = '\0';
    ++result.argc;
  }
  if (!counting) argv[result.argc] = nullptr;
  return result;
}

}  // namespace kernel
