#pragma once

// State read by many threads and written by few, behind a shared mutex that makes it
// unreachable without the lock (after PowerDNS lock.hh): readers get a const view under a
// shared lock, writers a mutable one under the exclusive lock. Private to mtasts::net.

#include <mutex>
#include <shared_mutex>
#include <utility>

namespace mtasts::net::detail {

template <class T>
class SharedLocked {
 public:
  template <class... Args>
  explicit SharedLocked(Args&&... args) : value_(std::forward<Args>(args)...) {}

  class ReadHandle {
   public:
    const T* operator->() const { return value_; }
    const T& operator*() const { return *value_; }

   private:
    friend class SharedLocked;
    ReadHandle(std::shared_mutex& mutex, const T& value) : lock_(mutex), value_(&value) {}
    std::shared_lock<std::shared_mutex> lock_;
    const T* value_;
  };

  class WriteHandle {
   public:
    T* operator->() { return value_; }
    T& operator*() { return *value_; }

   private:
    friend class SharedLocked;
    WriteHandle(std::shared_mutex& mutex, T& value) : lock_(mutex), value_(&value) {}
    std::unique_lock<std::shared_mutex> lock_;
    T* value_;
  };

  [[nodiscard]] ReadHandle read() const { return ReadHandle(mutex_, value_); }
  [[nodiscard]] WriteHandle write() { return WriteHandle(mutex_, value_); }

 private:
  mutable std::shared_mutex mutex_;
  T value_;
};

}  // namespace mtasts::net::detail
