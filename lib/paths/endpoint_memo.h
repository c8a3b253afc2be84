// A memo of evaluated path endpoints, so that a network evaluated as one
// path's end is not evaluated again as another's (issue 15). A pair's
// endpoints recur across paths: theta_C (t = 0) in each of the four Fig. 3
// path kinds of its cue proportion, in all eight Fig. 4 paths of its c and
// in Table 2's method paths; theta_NC (t = 1) in the Fig. 3 kinds. An
// endpoint's numbers depend only on its parameters and buffers, the BN
// reset data, the evaluation sets, the eval settings and the threads that
// computed them; the owner of a memo keeps the data, sets and settings
// fixed for it (EvalSets: one memo per BN reset cue proportion), and
// EvaluatePath adds the threads to the key. Entries match value for value
// (torch::equal on every tensor of a deep copy), never by hash, so a reused
// result is the result a new evaluation would compute, bit for bit.
#ifndef LIB_PATHS_ENDPOINT_MEMO_H_
#define LIB_PATHS_ENDPOINT_MEMO_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/models/param_map.h"

namespace mmc {

class EndpointMemo {
 public:
  // Per evaluation set, in the caller's order: (accuracy %, mean loss).
  using SetResults =
      std::vector<std::pair<std::string, std::pair<double, double>>>;

  // Entries are dropped oldest first beyond this many bytes of parameters
  // (deep copies; a VGG-13 x1/8 is ~0.4 MB, a ResNet-18 x1 ~45 MB).
  explicit EndpointMemo(int64_t max_bytes = int64_t{512} << 20)
      : max_bytes_(max_bytes) {}
  EndpointMemo(const EndpointMemo&) = delete;
  EndpointMemo& operator=(const EndpointMemo&) = delete;

  // The results stored for a network equal to `params` (same names, and
  // every tensor equal in dtype, shape and values) computed with
  // `threads_per_point` threads; nullopt if none.
  std::optional<SetResults> Find(const ParamMap& params,
                                 int threads_per_point) const;
  // Stores a deep copy of `params` with its results.
  void Insert(const ParamMap& params, int threads_per_point,
              SetResults results);

  int64_t hits() const;
  int64_t size() const;

 private:
  struct Entry {
    ParamMap params;  // Deep copy.
    int threads_per_point = 0;
    SetResults results;
    int64_t bytes = 0;
  };
  const int64_t max_bytes_;
  mutable std::mutex mu_;       // Guards everything below.
  std::vector<Entry> entries_;  // Oldest first.
  int64_t bytes_ = 0;
  mutable int64_t hits_ = 0;
};

}  // namespace mmc

#endif  // LIB_PATHS_ENDPOINT_MEMO_H_
