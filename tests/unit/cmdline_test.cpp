#include <gtest/gtest.h>
#include <string>
#include <vector>
#include "cmdline.h"

namespace {
std::vector<std::string> split(std::string_view line, bool* unterminated = nullptr) {
  kernel::SplitArguments counted = kernel::split_arguments(line, {}, {});
  std::vector<char> text(line.size() + 1);
  std::vector<char*> argv(counted.argc + 1, reinterpret_cast<char*>(1));
  kernel::SplitArguments split = kernel::split_arguments(line, text, argv);
  EXPECT_EQ(split.argc, counted.argc);
  EXPECT_EQ(argv[split.argc], nullptr);
  if (unterminated) *unterminated = split.unterminated_quote;
  return {argv.begin(), argv.begin() + long(split.argc)};
}
using V = std::vector<std::string>;
}  // namespace

TEST(CommandLine, SplitsOnAnyWhitespace) { EXPECT_EQ(split("a  b\tc\nd"), (V{"a", "b", "c", "d"})); }

TEST(CommandLine, EmptyAndBlankLinesHaveNoArguments) {
  EXPECT_EQ(split(""), V{});
  EXPECT_EQ(split("   \t "), V{});
}

TEST(CommandLine, QuotesGroupAndAreDropped) {
  EXPECT_EQ(split("msg=\"hello world\" 'it''s' \"\""), (V{"msg=hello world", "its", ""}));
  EXPECT_EQ(split("\"a'b\" 'c\"d'"), (V{"a'b", "c\"d"}));
}

TEST(CommandLine, UnterminatedQuoteTakesTheRestAndIsReported) {
  bool unterminated = false;
  EXPECT_EQ(split("a \"b c", &unterminated), (V{"a", "b c"}));
  EXPECT_TRUE(unterminated);
  split("a b", &unterminated);
  EXPECT_FALSE(unterminated);
}

TEST(CommandLine, RefusesStorageTooSmall) {
  char text[2];
  char* argv[4];
  EXPECT_THROW(kernel::split_arguments("abc def", text, argv), std::logic_error);
}
