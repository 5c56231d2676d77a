// Running SimGrid work in a forked child process, and the plain byte encoding its answer comes
// back in. SimGrid 3.32's Engine is a process-wide singleton whose state outlives it (measured:
// a second Engine in one process starts its clock where the first one stopped), so every run
// gets a fresh process: runs are independent and deterministic, and any number may be made.
// Both ends of the pipe are the same binary, so values travel as their bytes. Not safe to call
// from several threads at once (fork).
#ifndef TRAINSIM_SIM_SIMGRID_CHILD_PROCESS_H_
#define TRAINSIM_SIM_SIMGRID_CHILD_PROCESS_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "sim/status.h"

namespace trainsim::simgrid {

// Appends the bytes of a trivially copyable value.
template <typename T>
void Put(std::string& out, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reads values back in the order they were put; Get is false once the data runs short.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (data_.size() < sizeof(T)) return false;
    std::memcpy(&value, data_.data(), sizeof(T));
    data_.remove_prefix(sizeof(T));
    return true;
  }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

struct ChildAnswer {
  std::string bytes;           // what the work returned
  int64_t peak_rss_bytes = 0;  // of the child process
};

// Runs `work` in a forked child and returns its answer. In the child, `work` runs, its answer
// goes back through a pipe and the child exits without running the parent's atexit handlers or
// destructors. Errors: kResourceExhausted when the child runs longer than `timeout_seconds`
// (0: no limit; the child is killed); kInternal when `work` throws (naming the exception's
// message), when the child dies (naming the signal or exit status) or when no process or pipe
// can be made.
StatusOr<ChildAnswer> RunInChildProcess(const std::function<std::string()>& work,
                                        double timeout_seconds);

}  // namespace trainsim::simgrid

#endif  // TRAINSIM_SIM_SIMGRID_CHILD_PROCESS_H_
