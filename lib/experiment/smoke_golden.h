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

// The smoke checks come in two layers, because training from scratch
// amplifies float rounding: measured (issue 14) with MMC_SMOKE_THREADS=2
// and/or oneDNN capped at AVX2 (DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA), the
// smoke recipe (2 epochs on a tenth of the data) trained on other kernels
// moves endpoint accuracies by up to 4 points, Table 3 cells by 13 points,
// barriers by 0.33 nats and LPFT's RI loss by 83 nats. No tolerance is both
// wider than that and tighter than the claim thresholds. So:
//
//  - Evaluation layer (kSmokeSpec with SmokeModels::kCheckedIn): every model
//    the smoke spec trains is checked in (testdata/smoke_models, a run
//    cache); the checks evaluate them with training disabled, so paths,
//    BN resets, permutation matching, Table 3's assembly and every verdict
//    are compared with tight tolerances (EvaluationTolerances()).
//  - Training layer: every trainer runs two to four SGD steps with large
//    batches, too few for rounding to grow, and the trained models'
//    evaluations are compared with tight tolerances too (StepsTolerances()):
//    the endpoints from scratch, everything downstream of them (kStepsSpec
//    with SmokeModels::kCheckedInEndpoints) from the checked-in endpoints,
//    because BN resets along paths between near-initial networks amplify
//    rounding (measured: 0.05 nats after 8 steps from scratch) where paths
//    between trained ones do not. The smoke recipe's science (theta_C learns
//    the cue, theta_NC does not) is asserted on endpoints trained from
//    scratch with the full recipe, with margins instead of a golden.
//
// Both layers regenerate with scripts/regenerate_goldens.sh, which retrains
// testdata/smoke_models on the pinned kernels (.bazelrc).
inline constexpr char kSmokeSpec[] = "specs/smoke/fashion_box.textproto";
inline constexpr char kStepsSpec[] = "specs/smoke/fashion_box_steps.textproto";
inline constexpr char kSmokeModelsDir[] = "testdata/smoke_models";

enum class SmokeModels {
  // The run cache is testdata/smoke_models with training disabled: a model
  // missing there is an error (regenerate). Under MMC_REGENERATE_GOLDENS=1
  // the same directory in the workspace, with training enabled, so the
  // missing models are trained into it.
  kCheckedIn,
  // A fresh cache in the test's temporary directory, seeded with the
  // checked-in models whose role is "endpoint": for a spec whose dataset,
  // model and endpoint training are the smoke spec's (kStepsSpec), theta_C,
  // theta_NC and theta_NC' load and everything downstream trains.
  kCheckedInEndpoints,
  // A fresh cache in the test's temporary directory: everything trains.
  kTrainFromScratch,
};

// Loads `spec_path` and its data, and builds the context around a cache as
// `models` says. One intra-op thread (the specs' `threads`) unless
// MMC_SMOKE_THREADS says otherwise.
absl::StatusOr<std::unique_ptr<SmokeSetup>> MakeSmokeSetup(
    SmokeModels models, const std::string& spec_path = kSmokeSpec);

// How the tolerances were chosen (issue 14). The spread is the largest
// |actual - golden| over every field of a layer's goldens, measured on this
// machine kind (AMD EPYC, AVX-512) with the tests' defaults, with
// MMC_SMOKE_THREADS=2, with oneDNN capped at AVX2 (DNNL_MAX_CPU_ISA and
// ONEDNN_MAX_CPU_ISA) and with both (OPENBLAS_CORETYPE left as .bazelrc pins
// it). Each tolerance sits well above that spread, so other x86-64 kernels
// pass, and far below the smallest claim threshold it guards (0.05 nats:
// Fig. 4's small-lr barrier; 3 points: the connectivity dip), so a drift
// that could flip a claim (Fig. 4's B = 0.000 moving to 0.09) fails.
// Verdicts' `passed` is compared exactly: every verdict of the goldens is
// decided by a margin wider than these tolerances (the narrowest: 0.6
// points, table3_steps' "CBFT has the lowest RI", 25.8 vs LLR's 25.2).
//
// Evaluation layer (fixed weights). Spread: 1.6e-5 nats in losses (LPFT's
// RI loss of 83 nats: 2e-7 relative), 5.5e-7 nats in barriers, 0 points in
// every accuracy, dip and Table 3 mean. Tolerances: losses 1e-3 nats plus
// 1e-5 x |golden| (60x the absolute, 50x the relative spread); barriers
// 1e-3 nats (50x below the 0.05-nat threshold); accuracies, dips, means and
// stds 0.5 points (two of 500 predictions may flip on a near-tie; a misread
// set or view moves accuracies by points).
GoldenTolerances EvaluationTolerances();
// Training layer (two to four SGD steps per trainer). Spread: 2.8e-3 nats
// in losses, all of it LPFT's and LLR's RI losses of ~49 nats after their
// lr-30 head (6e-5 relative; every other loss within 1e-4), 2.2e-6 nats in
// barriers, 0 points in every accuracy. Tolerances: the evaluation layer's,
// with losses 1e-3 nats plus 5e-4 x |golden| (the absolute part covers the
// ordinary losses 10x, the relative part the lr-30 heads' 8x: 0.025 nats at
// 49 nats).
GoldenTolerances StepsTolerances();

// Compares `actual` with testdata/<name>.json, or rewrites that file when
// MMC_REGENERATE_GOLDENS=1 (then returns no differences).
std::vector<std::string> CheckGolden(const std::string& name,
                                     const google::protobuf::Message& actual,
                                     const GoldenTolerances& tolerances);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_SMOKE_GOLDEN_H_
