// Helpers shared by the fine-tuning methods (ft.cc, llr.cc, lpft.cc,
// cbft.cc) and FineTuneNoCue (finetune.cc): the run key and loop of a
// fine-tuning run, its progress label, and the two training stages that
// more than one method runs (whole-network fine-tuning; LLR's new head on a
// frozen body). Internal to lib/finetune: callers use finetune.h.
#ifndef LIB_FINETUNE_FINETUNE_COMMON_H_
#define LIB_FINETUNE_FINETUNE_COMMON_H_

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/models/param_map.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"
#include "lib/train/train_loop.h"

namespace mmc {

// Produces a (CPU) batch; called only when a run must train.
using DataFn = std::function<Batch()>;

// Detached copy on `device`.
ParamMap OnDevice(const ParamMap& params, torch::Device device);

// BaseRunKey(spec, "finetune/<role>", train, seed) with cue_proportion c,
// data_view `view`, `parents` and `extra` (unless empty).
RunKey FinetuneKey(const RunContext& ctx, const std::string& role,
                   const TrainSpec& train, int64_t seed, double c,
                   const std::string& view,
                   const std::vector<std::string>& parents,
                   const std::string& extra);

// The loop of a run: shuffle_seed = CounterHash(seed, 0xf17e, 0).
LoopConfig MakeLoop(const RunContext& ctx, const std::string& label,
                    int64_t num_samples, const TrainSpec& train, int64_t seed);

// The progress label "<what> c=<c> seed=<seed>".
std::string Label(const std::string& what, double c, int64_t seed);

// Whole-network fine-tuning from `start` with BN in kTrain mode.
absl::StatusOr<TrainedModel> FullFineTune(
    const RunContext& ctx, const std::string& role, const std::string& label,
    const TrainSpec& train, int64_t seed, double c, const std::string& view,
    const std::vector<std::string>& parents, const std::string& extra,
    const ParamMap& start, int64_t num_samples, const DataFn& make_data);

// LLR: a fresh head on the frozen body of `body` (BN kEval), trained on
// the body's features of `make_data()`.
absl::StatusOr<TrainedModel> TrainHead(
    const RunContext& ctx, const std::string& label, int64_t seed, double c,
    const std::string& view, const std::vector<std::string>& parents,
    const std::string& extra, const ParamMap& body, int64_t num_samples,
    const DataFn& make_data);

// The whole clean hold-out (View::kHoldout), materialised when called.
DataFn HoldoutData(const CueDataset* dataset);

}  // namespace mmc

#endif  // LIB_FINETUNE_FINETUNE_COMMON_H_
