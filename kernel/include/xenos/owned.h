// Owned<T>: a heap object with one owner, deleted with it (the guest's libstdc++ headers
// cannot give <memory> yet). Move-only.
#pragma once
#include <utility>

namespace xenos {

template <typename T>
class Owned {
 public:
  Owned() = default;
  explicit Owned(T* p) : p_(p) {}
  Owned(Owned&& o) : p_(std::exchange(o.p_, nullptr)) {}
  Owned& operator=(Owned&& o) {
    if (this != &o) {
      delete p_;
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() { delete p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  T* get() const { return p_; }
  T* release() { return std::exchange(p_, nullptr); }  // the caller owns it now
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace xenos
