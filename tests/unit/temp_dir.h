// For unit tests: a fresh folder under /tmp, removed with everything in it when the test ends.
#pragma once
#include <stdlib.h>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace p9test {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/xenos-test.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  void write(const std::string& rel, const std::string& text) const { std::ofstream(path + "/" + rel) << text; }
  std::string slurp(const std::string& rel) const {
    std::ifstream in(path + "/" + rel);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

}  // namespace p9test
