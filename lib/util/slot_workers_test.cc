// RunOnSlotWorkers runs every item once, holds a CPU slot per item, never
// more items at once than workers or slots, restores the caller's thread
// count and rethrows an item's exception.
#include "lib/util/slot_workers.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/util/cpu_slots.h"

namespace mmc {
namespace {

// Sets the global budget for a test and puts it back to unlimited.
class SlotBudget {
 public:
  explicit SlotBudget(int capacity) {
    CpuSlots::Global().SetCapacity(capacity);
  }
  ~SlotBudget() { CpuSlots::Global().SetCapacity(0); }
};

TEST(SlotWorkersTest, RunsEveryItemOnceOnOneIntraOpThread) {
  SlotBudget budget(2);
  // ATen hands a new thread the count last set anywhere: 2 here.
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  std::vector<std::atomic<int>> runs(50);
  std::atomic<int> wrong_threads{0};
  std::atomic<int> in_use_seen{0};
  RunOnSlotWorkers(runs.size(), 2, [&](size_t i) {
    ++runs[i];
    if (at::get_num_threads() != 1) ++wrong_threads;
    in_use_seen = std::max(in_use_seen.load(), CpuSlots::Global().in_use());
  });
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i], 1) << i;
  EXPECT_EQ(wrong_threads, 0);
  EXPECT_GE(in_use_seen, 1);  // Each item holds a slot.
  EXPECT_EQ(CpuSlots::Global().in_use(), 0);
  EXPECT_EQ(at::get_num_threads(), 2);
  at::set_num_threads(threads);
}

TEST(SlotWorkersTest, NeverRunsMoreItemsThanSlots) {
  SlotBudget budget(1);
  std::atomic<int> running{0}, most{0};
  RunOnSlotWorkers(8, 4, [&](size_t) {
    const int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    --running;
  });
  EXPECT_EQ(most, 1);
}

TEST(SlotWorkersTest, RunsInOrderOnTheCallerWithOneWorker) {
  std::vector<size_t> order;
  const std::thread::id caller = std::this_thread::get_id();
  bool elsewhere = false;
  RunOnSlotWorkers(5, 1, [&](size_t i) {
    order.push_back(i);
    elsewhere |= std::this_thread::get_id() != caller;
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(elsewhere);
}

TEST(SlotWorkersTest, RestoresThreadsAndRethrows) {
  SlotBudget budget(2);
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  std::atomic<int> after{0};
  EXPECT_THROW(RunOnSlotWorkers(100, 2,
                                [&](size_t i) {
                                  if (i == 3) throw std::runtime_error("x");
                                  std::this_thread::sleep_for(
                                      std::chrono::milliseconds(1));
                                  if (i > 50) ++after;
                                }),
               std::runtime_error);
  EXPECT_EQ(at::get_num_threads(), 2);
  EXPECT_LT(after, 10);  // Items stop being handed out after the error.
  EXPECT_EQ(CpuSlots::Global().in_use(), 0);
  at::set_num_threads(threads);
}

}  // namespace
}  // namespace mmc
