// wordcount: reads a text file from the namespace with iostreams, counts its words in a
// std::map, and writes a report next to it: the C++ standard library (libstdc++ built for
// newlib) over 9P.
//   wordcount [INPUT [REPORT]]     (defaults: input.txt, wordcount.txt in the working directory)
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::map<std::string, long> count_words(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::map<std::string, long> counts;
  std::string word;
  while (in >> word) {
    std::string clean;
    for (char c : word)
      if (std::isalnum(static_cast<unsigned char>(c)))
        clean += char(std::tolower(static_cast<unsigned char>(c)));
    if (!clean.empty()) ++counts[clean];
  }
  return counts;
}

void write_report(const std::map<std::string, long>& counts, const std::string& path) {
  std::vector<std::pair<std::string, long>> ranked(counts.begin(), counts.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  long total = 0;
  for (const auto& [w, n] : ranked) total += n;
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot create " + path);
  out << "words: " << total << "\ndistinct: " << ranked.size() << "\n";
  for (size_t i = 0; i < ranked.size() && i < 10; ++i)
    out << ranked[i].second << " " << ranked[i].first << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  std::string input = argc > 1 ? argv[1] : "input.txt";
  std::string report = argc > 2 ? argv[2] : "wordcount.txt";
  try {
    auto counts = count_words(input);
    write_report(counts, report);
    std::cout << "wordcount: " << counts.size() << " distinct words in " << input << ", report in " << report
              << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "wordcount: " << e.what() << std::endl;
    return 1;
  }
}
