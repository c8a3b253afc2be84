// CpuSlots: never more slots in use than the capacity, a waiting child
// goes before waiting workers, capacity 0 never blocks.
#include "lib/util/cpu_slots.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

using namespace std::chrono_literals;

TEST(CpuSlotsTest, NeverMoreWorkersThanSlots) {
  CpuSlots slots(2);
  std::atomic<int> busy{0}, most{0}, items{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        CpuSlots::Scoped slot(slots);
        const int now = ++busy;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(1ms);
        --busy;
        ++items;
      }
    });
  }
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(items.load(), 120);
  EXPECT_LE(most.load(), 2);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(slots.in_use(), 0);
}

TEST(CpuSlotsTest, AWaitingChildGoesBeforeWaitingWorkers) {
  CpuSlots slots(1);
  slots.Acquire();                           // A worker's item in progress.
  EXPECT_FALSE(slots.TryAcquireForChild());  // The child claims the next.
  std::atomic<bool> worker_got_it{false};
  std::thread worker([&] {
    slots.Acquire();
    worker_got_it = true;
    slots.Release();
  });
  slots.Release();  // The item ends: the slot is free, but claimed.
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(worker_got_it.load()) << "a worker took the child's slot";
  EXPECT_TRUE(slots.TryAcquireForChild());
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(worker_got_it.load()) << "a worker took the child's slot";
  slots.Release();  // The child ends.
  worker.join();
  EXPECT_TRUE(worker_got_it.load());
  EXPECT_EQ(slots.in_use(), 0);
}

TEST(CpuSlotsTest, ACancelledClaimLetsWorkersGo) {
  CpuSlots slots(1);
  slots.Acquire();
  EXPECT_FALSE(slots.TryAcquireForChild());
  slots.Release();
  slots.CancelChildClaim();  // Nothing more will start.
  std::thread worker([&] { CpuSlots::Scoped slot(slots); });
  worker.join();  // Would hang with the claim still standing.
  EXPECT_EQ(slots.in_use(), 0);
}

TEST(CpuSlotsTest, CapacityZeroNeverBlocks) {
  CpuSlots slots;  // Unlimited, as Global() until a task sets it.
  for (int i = 0; i < 100; ++i) slots.Acquire();
  EXPECT_TRUE(slots.TryAcquireForChild());
  EXPECT_EQ(slots.in_use(), 101);
  for (int i = 0; i < 101; ++i) slots.Release();
  EXPECT_EQ(CpuSlots::Global().capacity(), 0);
}

TEST(CpuSlotsTest, RaisingTheCapacityWakesWaitingWorkers) {
  CpuSlots slots(1);
  slots.Acquire();
  std::atomic<bool> got_it{false};
  std::thread worker([&] {
    CpuSlots::Scoped slot(slots);
    got_it = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got_it.load());
  slots.SetCapacity(2);
  worker.join();
  EXPECT_TRUE(got_it.load());
  slots.Release();
}

TEST(CpuSlotsTest, RejectsANegativeCapacity) {
  EXPECT_THROW(CpuSlots(-1), std::invalid_argument);
  CpuSlots slots;
  EXPECT_THROW(slots.SetCapacity(-2), std::invalid_argument);
}

TEST(CpuSlotsDeathTest, AReleaseWithoutASlotAborts) {
  CpuSlots slots(1);
  EXPECT_DEATH(slots.Release(), "no slot is held");
}

}  // namespace
}  // namespace mmc
