// Implementation of lib/util/progress.h.
#include "lib/util/progress.h"

#include <iostream>
#include <utility>

#include "absl/strings/str_format.h"

namespace mmc {

ProgressMeter::ProgressMeter(std::string task, int total, bool enabled,
                             std::ostream* out)
    : task_(std::move(task)),
      total_(total),
      enabled_(enabled),
      out_(out != nullptr ? out : &std::cerr),
      start_(std::chrono::steady_clock::now()) {}

void ProgressMeter::Done(const std::string& what) {
  ++done_;
  if (!enabled_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  *out_ << Line(task_, done_, total_, what, elapsed) << std::flush;
}

std::string ProgressMeter::Line(const std::string& task, int done, int total,
                                const std::string& what, double elapsed) {
  if (done >= total || done <= 0) {
    return absl::StrFormat("%s: [%d/%d] %s (%.0f s so far)\n", task, done,
                           total, what, elapsed);
  }
  return absl::StrFormat("%s: [%d/%d] %s (%.0f s so far, ETA %.0f s)\n", task,
                         done, total, what, elapsed,
                         elapsed / done * (total - done));
}

}  // namespace mmc
