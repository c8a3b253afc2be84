// Implementation of lib/util/cpu_slots.h.
#include "lib/util/cpu_slots.h"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

namespace mmc {
namespace {

int CheckedCapacity(int capacity) {
  if (capacity < 0) {
    throw std::invalid_argument("CpuSlots: capacity must be >= 0, got " +
                                std::to_string(capacity));
  }
  return capacity;
}

}  // namespace

CpuSlots::CpuSlots(int capacity) : capacity_(CheckedCapacity(capacity)) {}

CpuSlots& CpuSlots::Global() {
  static CpuSlots* slots = new CpuSlots();
  return *slots;
}

void CpuSlots::SetCapacity(int capacity) {
  CheckedCapacity(capacity);
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = capacity;
  changed_.notify_all();
}

int CpuSlots::capacity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return capacity_;
}

int CpuSlots::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

bool CpuSlots::Free() const { return capacity_ == 0 || in_use_ < capacity_; }

bool CpuSlots::TryAcquireForChild() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!Free()) {
    child_waiting_ = true;
    return false;
  }
  ++in_use_;
  child_waiting_ = false;
  changed_.notify_all();
  return true;
}

void CpuSlots::CancelChildClaim() {
  std::lock_guard<std::mutex> lock(mu_);
  child_waiting_ = false;
  changed_.notify_all();
}

void CpuSlots::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return Free() && !child_waiting_; });
  ++in_use_;
}

void CpuSlots::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  if (in_use_ == 0) {
    // A caller's bug (a release without a slot): never absorbed silently.
    std::cerr << "CpuSlots::Release: no slot is held\n";
    std::abort();
  }
  --in_use_;
  changed_.notify_all();
}

}  // namespace mmc
