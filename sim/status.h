// Status and StatusOr<T>: user errors as values (STYLE.md point 7). A Status is OK or carries a
// code and a message that names the subject, the bad value and what would be valid. Bugs are not
// Statuses: they fail a TRAINSIM_CHECK. (Debian 12's Abseil is built without std::string_view
// interop, so trainsim keeps this small equivalent of absl::Status.)
#ifndef TRAINSIM_SIM_STATUS_H_
#define TRAINSIM_SIM_STATUS_H_

#include <optional>
#include <string>
#include <utility>

#include "sim/check.h"

namespace trainsim {

enum class StatusCode {
  kOk,
  kInvalidArgument,    // bad user input: exit code 2, gRPC INVALID_ARGUMENT
  kNotFound,           // an unknown name (preset, GPU, format)
  kFailedPrecondition, // valid input that cannot run (e.g. a plan that does not fit)
  kUnimplemented,      // a capability trainsim does not have yet
  kResourceExhausted,
  kCancelled,
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status UnimplementedError(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}
inline Status FailedPreconditionError(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit like absl::StatusOr
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    TRAINSIM_CHECK(!status_.ok()) << "StatusOr built from an OK Status without a value";
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  const T& value() const& { return Checked(); }
  T& value() & { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  const T& operator*() const& { return Checked(); }
  T& operator*() & { return Checked(); }
  const T* operator->() const { return &Checked(); }
  T* operator->() { return &Checked(); }

 private:
  T& Checked() {
    TRAINSIM_CHECK(ok()) << "value() of a failed StatusOr: " << status_.message();
    return *value_;
  }
  const T& Checked() const {
    TRAINSIM_CHECK(ok()) << "value() of a failed StatusOr: " << status_.message();
    return *value_;
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace trainsim

#endif  // TRAINSIM_SIM_STATUS_H_
