// Errors as values, for lib9p and the kernel alike (xenos/result.h names these in xenos::): an
// errno and a message (often the server's own words or a path, so it is owned). Result<T> holds
// a T or an Error.
#pragma once
#include <optional>
#include <string>
#include <utility>

namespace p9 {

struct Error {
  int code = 0;         // errno value
  std::string message;  // "walk: no such file: etc/hostz", "server: permission denied"
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : value_(value) {}
  Result(T&& value) : value_(std::move(value)) {}
  Result(const Error& error) : error_(error) {}
  Result(Error&& error) : error_(std::move(error)) {}
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  std::optional<T> value_;
  Error error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(const Error& error) : error_(error), ok_(false) {}
  Result(Error&& error) : error_(std::move(error)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace p9

// Unwraps a Result or returns its error from the enclosing function.
#define TRY(expr)                                            \
  ({                                                         \
    auto _try_result = (expr);                               \
    if (!_try_result) return std::move(_try_result).error(); \
    std::move(*_try_result);                                 \
  })
#define TRY_VOID(expr)                                       \
  do {                                                       \
    auto _try_result = (expr);                               \
    if (!_try_result) return std::move(_try_result).error(); \
  } while (0)
