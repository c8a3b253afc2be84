// A Table 3 fine-tuning method as data: the Method enumerator, what a run
// returns (MethodResult), how Table 3 treats it (MethodRole), the stages it
// trains (MethodStage) and its registry entry (MethodInfo). Every method file
// (ft.h, llr.h, lpft.h, cbft.h) exports its MethodInfo entries built from
// these types; finetune.h lists them in Methods().
#ifndef LIB_FINETUNE_METHOD_H_
#define LIB_FINETUNE_METHOD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

enum class Method {
  kFtMedium,
  kFtSmall,
  kLlr,
  kLpft,
  kCbft,
  kCbftNoBarrier,
  kCbftPaired,
  kCbftAuthors,
};

struct MethodResult {
  // The final stage's model (its hash and from_cache); train_seconds is the
  // sum over all stages (LLR + every LPFT lr, CBFT warm-up + main), and
  // from_cache is true only if every stage came from the cache.
  TrainedModel model;
  // One line for reports, e.g. LPFT's chosen lr and validation accuracies.
  std::string detail;
};

// How Table 3 treats a method.
enum class MethodRole {
  kBaseline,  // One of the paper's methods CBFT is compared with (ranked).
  kCbft,      // The paper's CBFT (Eq. 4): ranked; Table 3's claims ask
              // whether it beats the baselines.
  kAblation,  // Ours: reported below the ranked rows, never ranked and never
              // a baseline.
};

// One training stage a method runs (for --dry_run): its name, its settings
// and the share of the clean hold-out it trains on.
struct MethodStage {
  std::string name;
  TrainSpec train;
  double holdout_fraction = 1.0;
};

// A Table 3 method as data: the one place that names it, says how Table 3
// treats it, what it trains and how. Adding a method: an enumerator, its
// settings in spec.proto's FinetuneSpec, and an entry in Methods() (the
// files to touch: "Adding a method" in finetune.h).
struct MethodInfo {
  Method method;
  // Row name in results and reports: "FT_M", "FT_S", "LLR", "LPFT", "CBFT",
  // "CBFT (no barrier)", "CBFT, paired counterfactuals (needs a cue
  // remover)", "CBFT (authors' variant)".
  const char* name;
  // The cache role suffix ("finetune/<slug>"): the name, or for the
  // ablations "CBFT_no_barrier", "CBFT_paired", "CBFT_authors".
  const char* slug;
  MethodRole role;
  // The stages `run` trains under `finetune`, in order.
  std::vector<MethodStage> (*stages)(const FinetuneSpec& finetune);
  // Fine-tunes theta_C (checked by RunMethod) on the clean hold-out.
  // `info` is this entry (its method, name and slug).
  absl::StatusOr<MethodResult> (*run)(const RunContext& ctx,
                                      const MethodInfo& info,
                                      const TrainedModel& theta_c,
                                      double cue_proportion, int64_t seed);
};

}  // namespace mmc

#endif  // LIB_FINETUNE_METHOD_H_
