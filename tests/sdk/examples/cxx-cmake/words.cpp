#include "words.h"
#include <sstream>

std::map<std::string, int> count_words(const std::string& text) {
  std::map<std::string, int> counts;
  std::istringstream in(text);
  for (std::string word; in >> word;) ++counts[word];
  return counts;
}
