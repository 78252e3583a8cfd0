#pragma once

// Shared mutable state behind a mutex that makes it unreachable without the lock (after
// PowerDNS lock.hh). The only way to the value is a handle, which holds the lock while it
// lives. Generic over the mutex so that core includes no threading header: the layers that
// run threads instantiate it with std::mutex or std::shared_mutex.
//
//   core::Guarded<Map, std::mutex> entries;
//   entries.lock()->insert(...);                 // exclusive
//   core::Guarded<Tables, std::shared_mutex> tables;
//   auto view = tables.lock_shared();            // shared, const access
//
// Mutex needs lock() and unlock(); lock_shared() exists only when it also has lock_shared()
// and unlock_shared(). A handle must not outlive its Guarded and is neither copied nor moved.

#include <utility>

namespace mtasts::core {

template <class Mutex>
concept SharedLockable = requires(Mutex& mutex) {
  mutex.lock_shared();
  mutex.unlock_shared();
};

template <class T, class Mutex>
class Guarded {
 public:
  template <class... Args>
  explicit Guarded(Args&&... args) : value_(std::forward<Args>(args)...) {}

  // Exclusive access: the mutex is locked from construction to destruction.
  class Handle {
   public:
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { mutex_.unlock(); }

    T* operator->() const { return &value_; }
    T& operator*() const { return value_; }

   private:
    friend class Guarded;
    Handle(Mutex& mutex, T& value) : mutex_(mutex), value_(value) { mutex_.lock(); }
    Mutex& mutex_;
    T& value_;
  };

  // Shared, read-only access.
  class SharedHandle {
   public:
    SharedHandle(const SharedHandle&) = delete;
    SharedHandle& operator=(const SharedHandle&) = delete;
    ~SharedHandle() { mutex_.unlock_shared(); }

    const T* operator->() const { return &value_; }
    const T& operator*() const { return value_; }

   private:
    friend class Guarded;
    SharedHandle(Mutex& mutex, const T& value) : mutex_(mutex), value_(value) {
      mutex_.lock_shared();
    }
    Mutex& mutex_;
    const T& value_;
  };

  // Blocks until the lock is free; the value is reachable through the handle until it dies.
  [[nodiscard]] Handle lock() { return Handle(mutex_, value_); }

  // Blocks until no exclusive holder is left; many shared handles may live at once.
  [[nodiscard]] SharedHandle lock_shared() const requires SharedLockable<Mutex> {
    return SharedHandle(mutex_, value_);
  }

 private:
  mutable Mutex mutex_;
  T value_;
};

}  // namespace mtasts::core
