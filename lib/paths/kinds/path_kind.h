// A path kind as data: how one kind of path between two trained models is
// built (and what it trains first), the google/benchmark way: one interface,
// one file per implementation (linear.h, quadratic.h), a registry
// (registry.h). Fig. 3 evaluates every registered kind between each of its
// pairs; Fig. 4, Table 2 and the ladder ask for kinds by name.
//
// Adding a path kind: a file pair in this folder whose function returns its
// PathKind (a Path with its own `curve` when it is not linear or quadratic,
// lib/paths/path.h), one line in registry.cc's list and a dep in BUILD. Its
// paths then appear in Fig. 3's results, report, plots and plan.
#ifndef LIB_PATHS_KINDS_PATH_KIND_H_
#define LIB_PATHS_KINDS_PATH_KIND_H_

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/paths/path.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// What a kind builds a path from.
struct PathRequest {
  const RunContext* ctx = nullptr;
  const TrainedModel* a = nullptr;  // t = 0.
  const TrainedModel* b = nullptr;  // t = 1.
  std::string pair;                 // The pair's label, for progress lines.
  // The pair's cue proportion: the data a trained control point (a
  // midpoint) trains on.
  double c = 0.0;
  // The cue proportion of the BatchNorm-reset data, on which permutations
  // are matched too.
  double bn_c = 0.0;
  int64_t seed = 0;
  // False (work units, ExperimentContext::evaluate_paths): train and cache
  // whatever the path needs, build nothing.
  bool evaluate = true;
};

struct BuiltPath {
  Path path;
  // The cache hash of a trained control point (a midpoint); empty if none.
  std::string midpoint_key;
};

struct PathKind {
  // Its name in results, reports and plots: "Quadratic w/ Cue".
  const char* name;
  // What it trains per pair, for plans: the run ("midpoint w/ cue") and its
  // settings in the spec; both nullptr when it trains nothing.
  const char* trained_run;
  const TrainSpec& (*trained_with)(const Spec& spec);
  // The path from request.a to request.b; std::nullopt when
  // !request.evaluate (after training what it needs).
  absl::StatusOr<std::optional<BuiltPath>> (*build)(const PathRequest& request);
};

// The data BatchNorm statistics are reset on (eval.bn_reset_data): its view.
View BnResetView(const EvalSpec& eval);

// The images of permutation matching, one definition for every path kind and
// experiment: paths.permutation_samples images (0: all) of the BatchNorm-reset
// data at cue proportion c, in batches of paths.permutation_batch_size, on
// the context's device.
std::vector<torch::Tensor> PermutationBatches(const RunContext& ctx, double c);

}  // namespace mmc

#endif  // LIB_PATHS_KINDS_PATH_KIND_H_
