// Implementation of lib/util/slot_workers.h.
#include "lib/util/slot_workers.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/util/cpu_slots.h"

namespace mmc {

void RunOnSlotWorkers(size_t n, int workers,
                      const std::function<void(size_t)>& item) {
  if (workers <= 1 || n <= 1) {
    for (size_t i = 0; i < n; ++i) item(i);
    return;
  }
  std::mutex mu;  // Guards next and error.
  size_t next = 0;
  std::exception_ptr error;
  RunOnOneThreadWorkers(static_cast<int>(std::min<size_t>(workers, n)), [&] {
    for (;;) {
      size_t i = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (error || next == n) return;
        i = next++;
      }
      try {
        CpuSlots::Scoped slot(CpuSlots::Global());
        item(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
      }
    }
  });
  if (error) std::rethrow_exception(error);
}

void RunOnOneThreadWorkers(int count, const std::function<void()>& body) {
  const int threads = at::get_num_threads();
  std::vector<std::thread> pool;
  for (int w = 0; w < count; ++w) {
    pool.emplace_back([&] {
      at::set_num_threads(1);
      body();
    });
  }
  for (std::thread& t : pool) t.join();
  at::set_num_threads(threads);
}

}  // namespace mmc
