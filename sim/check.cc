#include "sim/check.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace trainsim::internal {

void Fatal(std::string_view message) {
  std::fprintf(stderr, "trainsim internal error: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::abort();
}

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  out_ << file << ":" << line << ": check failed: " << condition << " ";
}

CheckFailure::~CheckFailure() { Fatal(out_.str()); }

}  // namespace trainsim::internal
