// Progress lines for long work, one format for every artifact:
//   "fig3: [3/20] theta_C-theta_NC c=0.7 Linear: ... (41 s so far, ETA 232 s)"
// on stderr: what was just finished, n of N, the elapsed time and the time
// left at the mean pace so far. Thread-compatible (one owner).
#ifndef LIB_UTIL_PROGRESS_H_
#define LIB_UTIL_PROGRESS_H_

#include <chrono>
#include <ostream>
#include <string>

namespace mmc {

class ProgressMeter {
 public:
  // `task` prefixes every line ("fig3"); `total` items are expected;
  // nothing is printed when `enabled` is false. Lines go to `out` (stderr
  // when null).
  ProgressMeter(std::string task, int total, bool enabled = true,
                std::ostream* out = nullptr);

  // Marks one more item done and prints its line.
  void Done(const std::string& what);

  int done() const { return done_; }
  int total() const { return total_; }

  // The line Done prints for item `done` of `total` after `elapsed`
  // seconds: the ETA is elapsed / done x (total - done); none once done >=
  // total.
  static std::string Line(const std::string& task, int done, int total,
                          const std::string& what, double elapsed);

 private:
  std::string task_;
  int total_;
  bool enabled_;
  std::ostream* out_;
  int done_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace mmc

#endif  // LIB_UTIL_PROGRESS_H_
