#pragma once

// Shared mutable state behind a mutex that makes it unreachable without the lock (after
// PowerDNS lock.hh): the only way to the value is a Handle, which holds the lock while it lives.

#include <mutex>
#include <utility>

namespace mtasts::store {

template <class T>
class Locked {
 public:
  template <class... Args>
  explicit Locked(Args&&... args) : value_(std::forward<Args>(args)...) {}

  class Handle {
   public:
    T* operator->() { return value_; }
    T& operator*() { return *value_; }

   private:
    friend class Locked;
    Handle(std::mutex& mutex, T& value) : lock_(mutex), value_(&value) {}
    std::unique_lock<std::mutex> lock_;
    T* value_;
  };

  // Blocks until the lock is free; the value is reachable through the handle until it dies.
  [[nodiscard]] Handle lock() { return Handle(mutex_, value_); }

 private:
  std::mutex mutex_;
  T value_;
};

}  // namespace mtasts::store
