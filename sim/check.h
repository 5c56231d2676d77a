// Invariant checks that stay on in release builds. A failed check is a bug in trainsim, never a
// user error: user input is validated into trainsim::Status values at the edges. A failure prints
// the condition and its source location to stderr and aborts (exit status 134).
#ifndef TRAINSIM_SIM_CHECK_H_
#define TRAINSIM_SIM_CHECK_H_

#include <sstream>
#include <string_view>

namespace trainsim::internal {

[[noreturn]] void Fatal(std::string_view message);

// Collects the streamed message of a failed TRAINSIM_CHECK and aborts when destroyed.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return out_; }

 private:
  std::ostringstream out_;
};

}  // namespace trainsim::internal

// TRAINSIM_CHECK(cond) << "context";
#define TRAINSIM_CHECK(cond)                                   \
  if (__builtin_expect(static_cast<bool>(cond), 1)) {          \
  } else                                                       \
    ::trainsim::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

#endif  // TRAINSIM_SIM_CHECK_H_
