// Regression checks of smoke-tier results against goldens in testdata/:
// field-by-field comparison of two result protos with per-field tolerances,
// and golden files in protobuf JSON.
#ifndef LIB_EXPERIMENT_GOLDEN_H_
#define LIB_EXPERIMENT_GOLDEN_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace mmc {

struct GoldenTolerances {
  // Absolute tolerance per double field name (e.g. "accuracy" -> 3.0).
  // Doubles not listed must match within 1e-9.
  std::map<std::string, double> by_field;
  // Relative tolerance per double field name, added to the absolute one:
  // a field passes when |actual - golden| <= by_field + relative * |golden|
  // (for values whose rounding error scales with them, e.g. losses of 50
  // nats next to losses of 0.05).
  std::map<std::string, double> relative_by_field;
  // Fields not compared (timings, cache provenance, and a path's "note":
  // how its points were obtained, e.g. copied from the linear path when the
  // permutation matching returned the identity; the points themselves are
  // compared, and fig4_smoke_test checks when the copy happens).
  // Verdicts' "passed" and "measured" are derived from compared numbers and
  // may flip within tolerance near a threshold; the smoke checks compare
  // "passed" (smoke_golden.h).
  std::set<std::string> ignored = {
      "info",         "seconds", "train_seconds", "from_cache", "cache_key",
      "midpoint_key", "note",    "wall_seconds",  "passed",     "measured"};
};

// Every difference beyond tolerance, as "path.to.field: got X, golden Y".
std::vector<std::string> CompareToGolden(
    const google::protobuf::Message& actual,
    const google::protobuf::Message& golden,
    const GoldenTolerances& tolerances);

absl::Status ReadGolden(const std::string& path,
                        google::protobuf::Message* message);
absl::Status WriteGolden(const std::string& path,
                         const google::protobuf::Message& message);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_GOLDEN_H_
