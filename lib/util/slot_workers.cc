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
  auto work = [&] {
    // A new thread starts at OpenMP's default thread count.
    at::set_num_threads(1);
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
  };
  const int threads = at::get_num_threads();
  std::vector<std::thread> pool;
  const size_t size = std::min<size_t>(static_cast<size_t>(workers), n);
  for (size_t w = 0; w < size; ++w) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  // at::set_num_threads also stores a process-wide default; restore it.
  at::set_num_threads(threads);
  if (error) std::rethrow_exception(error);
}

}  // namespace mmc
