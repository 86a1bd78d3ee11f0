// Errors as values: Result<T> holds a T or an Error (an errno plus a short Plan 9-style
// message that names what failed; the message is static, never freed by the caller).
#pragma once
#include <optional>
#include <utility>

namespace xenos {

struct Error {
  int code = 0;                 // errno value (EIO, ENOENT, ...)
  const char* message = "";     // static text, e.g. "xenstore: reply longer than the ring"
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Error error) : error_(error) {}
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  const Error& error() const { return error_; }

 private:
  std::optional<T> value_;
  Error error_{};
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(error), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{};
  bool ok_ = true;
};

}  // namespace xenos

// Unwraps a Result or returns its error from the enclosing function.
#define TRY(expr)                                   \
  ({                                                \
    auto _try_result = (expr);                      \
    if (!_try_result) return _try_result.error();   \
    std::move(*_try_result);                        \
  })
#define TRY_VOID(expr)                              \
  do {                                              \
    auto _try_result = (expr);                      \
    if (!_try_result) return _try_result.error();   \
  } while (0)
