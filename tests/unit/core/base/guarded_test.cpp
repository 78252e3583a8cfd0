// Guarded (core/base/guarded.hpp): every access holds the lock, every handle releases it.

#include "mtasts/core/base/guarded.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

namespace mtasts::core {
namespace {

// The calls the mutexes of this thread received, in order.
thread_local std::string calls;

// Records the calls a Guarded makes and checks they pair up.
struct RecordingMutex {
  void lock() {
    EXPECT_FALSE(exclusive);
    EXPECT_EQ(shared, 0);
    exclusive = true;
    calls += "L";
  }
  void unlock() {
    EXPECT_TRUE(exclusive);
    exclusive = false;
    calls += "U";
  }
  bool exclusive = false;
  int shared = 0;
};

struct RecordingSharedMutex : RecordingMutex {
  void lock_shared() {
    EXPECT_FALSE(exclusive);
    ++shared;
    calls += "S";
  }
  void unlock_shared() {
    EXPECT_GT(shared, 0);
    --shared;
    calls += "s";
  }
};

TEST(Guarded, Lock_HeldWhileTheHandleLives) {
  calls.clear();
  Guarded<std::vector<int>, RecordingMutex> guarded(std::size_t{3}, 7);
  {
    auto handle = guarded.lock();
    EXPECT_EQ(calls, "L");
    handle->push_back(8);
    EXPECT_EQ((*handle).size(), 4U);
  }
  EXPECT_EQ(calls, "LU");
  guarded.lock()->clear();
  EXPECT_TRUE(guarded.lock()->empty());
  EXPECT_EQ(calls, "LULULU");
}

TEST(Guarded, SharedHandles_CoexistAndRelease) {
  calls.clear();
  Guarded<std::string, RecordingSharedMutex> guarded("policy");
  {
    auto first = guarded.lock_shared();
    auto second = guarded.lock_shared();
    EXPECT_EQ(*first, "policy");
    EXPECT_EQ(second->size(), 6U);
    EXPECT_EQ(calls, "SS");
  }
  EXPECT_EQ(calls, "SSss");
  guarded.lock()->append("!");
  EXPECT_EQ(*guarded.lock_shared(), "policy!");
  EXPECT_EQ(calls, "SSssLUSs");
}

TEST(Guarded, StdMutexes_SerialiseWriters) {
  Guarded<int, std::mutex> counter(0);
  Guarded<int, std::shared_mutex> shared_counter(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        ++*counter.lock();
        ++*shared_counter.lock();
        EXPECT_GE(*shared_counter.lock_shared(), 1);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(*counter.lock(), 40000);
  EXPECT_EQ(*shared_counter.lock_shared(), 40000);
}

static_assert(!SharedLockable<RecordingMutex>);
static_assert(SharedLockable<RecordingSharedMutex>);
static_assert(SharedLockable<std::shared_mutex>);

}  // namespace
}  // namespace mtasts::core
