#include "sim/huge_pages.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace trainsim {
namespace {

constexpr const char* kTunables = "GLIBC_TUNABLES";
constexpr const char* kHugeHeap = "glibc.malloc.hugetlb";

// The kernel's THP mode, as "always [madvise] never" marks it. Only "madvise" needs the
// tunable: "always" gives the heap huge pages anyway, "never" refuses them.
bool TransparentHugePagesOnRequest() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(in, modes);
  return modes.find("[madvise]") != std::string::npos;
}

}  // namespace

void ReexecWithHugePageHeap(char** argv) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35)) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  const char* set = std::getenv(kTunables);
  const std::string before = set != nullptr ? set : "";
  if (before.find(kHugeHeap) != std::string::npos || !TransparentHugePagesOnRequest()) return;
  const std::string after = (before.empty() ? "" : before + ":") + kHugeHeap + "=1";
  if (setenv(kTunables, after.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // The exec failed (no /proc, say): go on with the environment as it was.
  if (set != nullptr) {
    setenv(kTunables, before.c_str(), 1);
  } else {
    unsetenv(kTunables);
  }
#else
  (void)argv;
#endif
}

}  // namespace trainsim
