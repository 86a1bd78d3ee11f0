// Host side of kernel/contract.h: a broken contract throws, so a test can expect it.
#include <stdexcept>
#include <string>
#include "contract.h"

void contract_violation(const char* expression, const char* file, int line) {
  throw std::logic_error(std::string("contract violated: ") + expression + " (" + file + ":" +
                         std::to_string(line) + ")");
}
