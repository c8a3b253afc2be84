// Independent items of work run on single-threaded workers that each hold
// one of the process's CPU slots (cpu_slots.h) while computing an item: the
// pattern of lib/paths' path workers, for other work of //tasks:paper's
// parent process (a model's evaluation set by set, issue 15). Each item is
// computed by one thread alone at one intra-op thread, so its numbers are
// those of a sequential run at one thread, whichever worker took it.
#ifndef LIB_UTIL_SLOT_WORKERS_H_
#define LIB_UTIL_SLOT_WORKERS_H_

#include <cstddef>
#include <functional>

namespace mmc {

// Runs item(0) ... item(n - 1) on min(workers, n) threads at one intra-op
// thread each (workers <= 1: in order on this thread, which then takes no
// slot). Every item holds a slot of CpuSlots::Global() while it runs; the
// calling thread must hold none (it waits for the workers, which may need
// every slot). After the first exception no new item starts; it is
// rethrown here once every worker has stopped. The caller's intra-op
// thread count is restored.
void RunOnSlotWorkers(size_t n, int workers,
                      const std::function<void(size_t)>& item);

// The threads under RunOnSlotWorkers, for workers that take their slots
// themselves (lib/paths/path.cc's, whose items depend on each other): runs
// body() on `count` new threads, each at one intra-op thread (a new thread
// would start at the count last set anywhere), waits for them and restores
// the caller's intra-op thread count (at::set_num_threads also stores a
// process-wide default). body must not throw.
void RunOnOneThreadWorkers(int count, const std::function<void()>& body);

}  // namespace mmc

#endif  // LIB_UTIL_SLOT_WORKERS_H_
