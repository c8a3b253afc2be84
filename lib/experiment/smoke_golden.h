// Shared plumbing of the smoke-tier regression tests: load the smoke spec and
// the real Fashion-MNIST data, build the experiment context, and compare a
// results proto with its golden in testdata/ — or, with
// MMC_REGENERATE_GOLDENS=1 under `bazel run`, rewrite the golden
// (scripts/regenerate_goldens.sh).
#ifndef LIB_EXPERIMENT_SMOKE_GOLDEN_H_
#define LIB_EXPERIMENT_SMOKE_GOLDEN_H_

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/golden.h"

namespace mmc {

struct SmokeSetup {
  Spec spec;
  std::shared_ptr<const CueDataset> dataset;
  std::unique_ptr<Model> model;
  std::unique_ptr<EvalSets> sets;
  std::unique_ptr<RunCache> cache;
  ExperimentContext context;
};

// Loads specs/smoke/fashion_box.textproto and its data; the cache lives in
// the test's temporary directory, so every test run trains from scratch.
absl::StatusOr<std::unique_ptr<SmokeSetup>> MakeSmokeSetup();

// Tolerances of the smoke goldens: accuracies 3 points, losses and barriers
// 0.1 nats, accuracy dips 5 points (same machine kind: the numbers are
// bit-reproducible; the slack covers other CPUs' kernels).
GoldenTolerances SmokeTolerances();

// Compares `actual` with testdata/<name>.json, or rewrites that file when
// MMC_REGENERATE_GOLDENS=1 (then returns no differences).
std::vector<std::string> CheckGolden(const std::string& name,
                                     const google::protobuf::Message& actual);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_SMOKE_GOLDEN_H_
