// An out-of-tree C++ app: iostream, containers, exceptions thrown by the library and by us.
#include <iostream>
#include <stdexcept>
#include <vector>
#include "words.h"

int main(int argc, char** argv) {
  std::string text;
  for (int i = 1; i < argc; ++i) text += std::string(argv[i]) + " ";
  for (const auto& [word, n] : count_words(text)) std::cout << "wordstats: " << word << " " << n << "\n";
  std::vector<int> v(3);
  try {
    v.at(7) = 1;
    std::cout << "wordstats: no exception\n";
  } catch (const std::out_of_range& e) {
    std::cout << "wordstats: caught out_of_range\n";
  }
  try {
    throw std::runtime_error("thrown by the app");
  } catch (const std::exception& e) {
    std::cout << "wordstats: caught " << e.what() << std::endl;
  }
  return 0;
}
