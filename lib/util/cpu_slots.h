// Shares this process's CPUs between the child processes it runs and its
// own single-threaded workers. //tasks:paper trains its work units in
// child processes (--jobs) while it evaluates the paths of the artifacts
// whose units are already done; without a common budget the two compete
// for the cores (four busy threads on two cores made the children's
// training 30% slower per process in issue 15's measurements and cost as
// much as the idle cores it recovered). With a budget of one slot per
// core, a child takes a slot for its whole life and a path worker one per
// item of work (a BN reset or one set of one point, a fraction of a
// second), children first: a worker does not start an item while a child
// waits for a slot. Workers therefore only use the cores that no child
// needs: the end of the training, when fewer units are left than cores.
//
// Scheduling only: which thread computes an item never changes a number
// (each item is computed by one thread alone, lib/paths/path.h).
#ifndef LIB_UTIL_CPU_SLOTS_H_
#define LIB_UTIL_CPU_SLOTS_H_

#include <condition_variable>
#include <mutex>

namespace mmc {

class CpuSlots {
 public:
  // capacity 0: unlimited (every acquisition succeeds at once).
  explicit CpuSlots(int capacity = 0);
  CpuSlots(const CpuSlots&) = delete;
  CpuSlots& operator=(const CpuSlots&) = delete;

  // The process's budget, shared by lib/paths' workers and RunChildren;
  // unlimited until a task sets its capacity.
  static CpuSlots& Global();

  // Changes the budget (0: unlimited); slots already held stay held.
  void SetCapacity(int capacity);
  int capacity() const;
  int in_use() const;

  // For a child process: takes a slot if one is free and returns true;
  // else returns false and, until the next successful call, keeps workers
  // from taking a slot that frees up (children first). Never blocks.
  bool TryAcquireForChild();
  // Withdraws a child's claim made by a failed TryAcquireForChild (when
  // nothing more will start).
  void CancelChildClaim();
  // For a worker: waits until a slot is free and no child waits for one.
  void Acquire();
  // Returns a slot taken by either.
  void Release();

  // A worker's slot for the scope.
  class Scoped {
   public:
    explicit Scoped(CpuSlots& slots) : slots_(slots) { slots_.Acquire(); }
    ~Scoped() { slots_.Release(); }
    Scoped(const Scoped&) = delete;
    Scoped& operator=(const Scoped&) = delete;

   private:
    CpuSlots& slots_;
  };

 private:
  bool Free() const;  // Under mu_.

  mutable std::mutex mu_;
  std::condition_variable changed_;
  int capacity_;
  int in_use_ = 0;
  bool child_waiting_ = false;
};

}  // namespace mmc

#endif  // LIB_UTIL_CPU_SLOTS_H_
