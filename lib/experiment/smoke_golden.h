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
// 0.1 nats, accuracy dips 5 points. On this machine kind with the pinned
// kernels (.bazelrc: OPENBLAS_CORETYPE, the smoke spec's 1 thread) the
// numbers are bit-reproducible. They do NOT hold across kernels: measured
// (issue 14) with MMC_SMOKE_THREADS=2 and/or oneDNN capped at AVX2
// (DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA), the smoke runs, which train from
// scratch for 2 epochs on a tenth of the data, amplify float rounding into
// differences of up to 4 points in the endpoints' accuracies, 13 points in
// Table 3 cells, 0.33 nats in barriers and 83 nats in LPFT's RI loss (its
// lr-30 head). No tolerance is both wider than that and tighter than the
// claim thresholds; the fix is two layers (a training golden on the pinned
// kernels, evaluation goldens from checked-in weights with tight
// tolerances), not wider numbers here.
GoldenTolerances SmokeTolerances();

// Compares `actual` with testdata/<name>.json, or rewrites that file when
// MMC_REGENERATE_GOLDENS=1 (then returns no differences).
std::vector<std::string> CheckGolden(const std::string& name,
                                     const google::protobuf::Message& actual);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_SMOKE_GOLDEN_H_
