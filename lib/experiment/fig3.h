// The Fig. 3 experiment (paper §3, App. D): for each cue proportion c,
// theta_C (trained with cue) and theta_NC (without) are connected by four
// paths, each evaluated on NC / C / RC / RI and the training views:
//   Linear              theta_C -> theta_NC
//   Linear Permuted     theta_C permuted to match theta_NC's activations
//   Quadratic w/ Cue    midpoint trained on training images with cue (trC)
//   Quadratic w/o Cue   midpoint trained on training images without (trNC)
// Every path runs from theta_C (t = 0) to theta_NC (t = 1). The control the
// paper lacks: the same four paths between theta_NC (first seed) and theta_NC
// trained with the spec's second seed (or first seed + 1), two models with
// the same mechanism.
//
// Choices: the first of spec.seeds trains the main pair; BatchNorm is reset
// on eval.bn_reset_size images of the data eval.bn_reset_data names (for
// TRAIN_MIX: theta_C's own mix at c; the control pair: c = 0); permutation
// matching uses paths.permutation_samples images of the same data.
#ifndef LIB_EXPERIMENT_FIG3_H_
#define LIB_EXPERIMENT_FIG3_H_

#include <cmath>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/experiment/eval_sets.h"
#include "lib/models/model.h"
#include "lib/paths/kinds/linear.h"
#include "lib/paths/kinds/path_kind.h"
#include "lib/paths/kinds/quadratic.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"
#include "lib/util/progress.h"

namespace mmc {

// A RunContext (lib/runs/run_context.h) plus what evaluation needs.
struct ExperimentContext : RunContext {
  const EvalSets* sets = nullptr;
  // False in work units (--shard, --jobs): every model is trained and
  // cached, but no path is evaluated and no permutation matched; the
  // results are incomplete and only the render that follows (a run without
  // --shard, reading the cache) evaluates the paths.
  bool evaluate_paths = true;
  // Counts the running artifact's evaluated paths (n of N, ETA) and prints
  // each path's line through it; null: the line alone (when progress).
  ProgressMeter* meter = nullptr;
};

inline constexpr char kMainPair[] = "theta_C-theta_NC";
inline constexpr char kControlPair[] = "control theta_NC-theta_NC'";

// Reports one evaluated path: through context.meter when set (n of N,
// ETA), else as "<task>: <what>" on stderr when context.progress.
void ReportPathProgress(const ExperimentContext& context, const char* task,
                        const std::string& what);

// The paths Fig. 3 evaluates: every registered kind between each cue
// proportion's pair and, when the spec asks for it, the control pair.
int Fig3PathCount(const Spec& spec);

// Runs the whole experiment; fills everything but `info`.
absl::StatusOr<Fig3Results> RunFig3(const ExperimentContext& context);

// The paths of `kinds` (lib/paths/kinds) between `a` (t = 0) and `b`
// (t = 1), labelled `pair`, appended to results->paths in that order: each
// kind trains what it needs (a quadratic kind its midpoint on the training
// data at cue proportion c, cached under the endpoints' hashes and `seed`),
// then, when context.evaluate_paths, its path is evaluated with BatchNorm
// reset on the data at cue proportion bn_c (where permutations are matched
// too).
absl::Status RunPairPathKinds(const ExperimentContext& context,
                              const TrainedModel& a, const TrainedModel& b,
                              const std::string& pair, double c, double bn_c,
                              int64_t seed,
                              const std::vector<const PathKind*>& kinds,
                              Fig3Results* results);

// Every registered kind (PathKinds(): Fig. 3's linear, linear after
// permuting `a` onto `b`, and the quadratic paths whose midpoints train on
// trC and trNC).
absl::Status RunPairPaths(const ExperimentContext& context,
                          const TrainedModel& a, const TrainedModel& b,
                          const std::string& pair, double c, double bn_c,
                          int64_t seed, Fig3Results* results);

// The first two of them: linear and linear after permuting `a` onto `b`.
absl::Status RunLinearPairPaths(const ExperimentContext& context,
                                const TrainedModel& a, const TrainedModel& b,
                                const std::string& pair, double c, double bn_c,
                                int64_t seed, Fig3Results* results);

// Evaluates a path (any endpoints) on the context's sets and fills points and
// barriers of `result`.
void EvaluatePathInto(const ExperimentContext& context, const struct Path& path,
                      double bn_cue_proportion, PathResult* result);

// The linear path a-b into `linear` and, with b's channels matched to a's
// on `batches` (MatchActivations), the linear path from a to permuted b
// into `permuted` (Fig. 4, Table 2). On a CPU at one intra-op thread (the
// quick tier's setting) the matching runs on a thread of its own while the
// plain path is evaluated, on a core of CpuSlots::Global() as the path's
// workers: it computes on one core and would otherwise leave the other
// idle (issue 15). Each computation is single-threaded either way, so the
// numbers are the same. When the matching finds the identity permutation
// the permuted path is the linear path itself: its points and barriers are
// copied from `linear` (on a CPU, the numbers a second evaluation gives bit
// for bit) and its note says so (kIdentityPermutationNote). Both results
// must start without points or barriers (InvalidArgument otherwise).
inline constexpr char kIdentityPermutationNote[] =
    "matched permutation is the identity: the linear path's points";
absl::Status EvaluateLinearAndPermutedInto(
    const ExperimentContext& context, const ParamMap& a, const ParamMap& b,
    const std::vector<torch::Tensor>& batches, double bn_cue_proportion,
    PathResult* linear, PathResult* permuted);

// A trained model evaluated on every set of the context, with provenance.
ModelResult EvaluateModel(const ExperimentContext& context,
                          const TrainedModel& trained, const std::string& name,
                          double c, int64_t seed);

Verdict MakeVerdict(const std::string& claim, bool asserted, bool passed,
                    const std::string& measured, const std::string& threshold);

// The asserted and reported claims that concern Fig. 3, with the tier's
// thresholds (spec.claims()).
std::vector<Verdict> Fig3Verdicts(const Fig3Results& results,
                                  const ClaimsSpec& claims);

// The tier's one definition of "connected" (barrier and dip at most
// claims.connected_max_*) and of "has a barrier" (at least barrier_min*),
// used by Fig. 3, Fig. 4 and Table 2 alike.
bool IsConnected(const PathBarrier& barrier, const ClaimsSpec& claims);
bool HasBarrier(const PathBarrier& barrier, const ClaimsSpec& claims);
// The four counterfactual numbers of one model (accuracies or losses) from
// its metrics; a missing set reads as NaN.
struct Counterfactuals {
  double nc = NAN, c = NAN, rc = NAN, ri = NAN;
};
Counterfactuals AccuraciesOf(
    const google::protobuf::RepeatedPtrField<SetMetrics>& metrics);
Counterfactuals LossesOf(
    const google::protobuf::RepeatedPtrField<SetMetrics>& metrics);

// The tier's one definition of a model's use of the cue, from its
// counterfactual accuracies (points), used by Fig. 3, Fig. 4 and the ladder:
// it relies on the cue when C >= cue_reliant_min_c, RC <= NC -
// cue_reliant_min_drop and RI >= cue_reliant_min_ri; it does not when
// |NC - RC| <= no_cue_max_gap and RI <= no_cue_max_ri; a fine-tune became
// invariant to it when RC >= NC - large_lr_max_drop. NaN (a missing set)
// fails each.
bool ReliesOnCue(const Counterfactuals& a, const ClaimsSpec& claims);
bool DoesNotRelyOnCue(const Counterfactuals& a, const ClaimsSpec& claims);
bool InvariantToCue(const Counterfactuals& a, const ClaimsSpec& claims);
// As report text: "C >= 99, RC <= NC - 25, RI >= 40", "|NC - RC| <= 3,
// RI <= 5", "RC >= NC - 5".
std::string ReliesOnCueThreshold(const ClaimsSpec& claims);
std::string DoesNotRelyOnCueThreshold(const ClaimsSpec& claims);
std::string InvariantToCueThreshold(const ClaimsSpec& claims);

// The thresholds as report text: "B <= 0.15 and dip <= 3",
// "B(trC) >= 0.5 and dip >= 15".
std::string ConnectedThreshold(const ClaimsSpec& claims);
std::string BarrierThreshold(const ClaimsSpec& claims);

// Helpers for verdicts and reports. A set the path lacks gives a barrier
// whose numbers are NaN (every threshold comparison fails).
const PathBarrier* FindBarrier(const PathResult& path, const std::string& set);
// The same for a path that may be missing (nullptr: NaN numbers).
const PathBarrier* FindBarrier(const PathResult* path, const std::string& set);
const PathResult* FindPath(const Fig3Results& results, const std::string& pair,
                           const std::string& path, double c);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_FIG3_H_
