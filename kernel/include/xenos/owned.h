// Owned<T>: a heap object with one owner, deleted with it. Move-only. Older than the kernel's
// use of <memory>: std::unique_ptr does the same job and works in the guest too (posix/
// sockets.cpp uses it); Owned stays because the kernel's interfaces are written with it.
#pragma once
#include <type_traits>
#include <utility>

namespace xenos {

template <typename T>
class Owned {
 public:
  Owned() = default;
  explicit Owned(T* p) : p_(p) {}
  Owned(Owned&& o) : p_(std::exchange(o.p_, nullptr)) {}
  // From an Owned of a derived type (a Share as a p9::Connection): T needs a virtual destructor.
  template <typename U>
    requires(!std::is_same_v<U, T> && std::is_convertible_v<U*, T*>)
  Owned(Owned<U>&& o) : p_(o.release()) {}
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
