// The evaluation sets of a spec, materialised once and shared by every model
// evaluated in a task: the four counterfactual test sets (NC, C, RC, RI) and
// the two training views (trC, trNC), each `eval.test_size` /
// `eval.train_view_size` evenly spaced samples; and the data BatchNorm
// statistics are recomputed on for a path's models.
#ifndef LIB_EXPERIMENT_EVAL_SETS_H_
#define LIB_EXPERIMENT_EVAL_SETS_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/paths/endpoint_memo.h"
#include "lib/paths/kinds/path_kind.h"  // BnResetView
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// Names in report order.
inline const std::vector<std::string>& EvalSetNames() {
  static const auto* names =
      new std::vector<std::string>{"NC", "C", "RC", "RI", "trC", "trNC"};
  return *names;
}

class EvalSets {
 public:
  EvalSets(const CueDataset& dataset, const EvalSpec& eval,
           torch::Device device);

  const std::vector<std::pair<std::string, Batch>>& sets() const {
    return sets_;
  }

  // Accuracy and loss of `params` (kEval) on every set. On a CPU at one
  // intra-op thread the sets run side by side on slot workers
  // (lib/util/slot_workers.h): call it holding no CPU slot.
  std::vector<SetMetrics> EvaluateAll(const Model& model,
                                      const ParamMap& params) const;

  // The images BatchNorm statistics are recomputed on for every model of a
  // path, at cue proportion c: eval.bn_reset_size samples of
  // BnResetView(eval) (App. B.4), on the sets' device. Materialised and
  // uploaded once per c: kept for the last c asked (tasks evaluate their
  // paths c by c; the paper tier's reset set is all 45k training images).
  // Thread-safe.
  torch::Tensor BnResetData(double c) const;

  // The endpoint memo of paths reset on BnResetData(c) and evaluated on
  // these sets (lib/paths/endpoint_memo.h), for EvaluatePath: one per c,
  // living as long as this object, so every artifact of a task reuses the
  // endpoints the others evaluated. Thread-safe.
  EndpointMemo* EndpointMemoFor(double c) const;

 private:
  std::vector<std::pair<std::string, Batch>> sets_;
  int64_t batch_size_;
  const CueDataset* dataset_;
  EvalSpec eval_;
  torch::Device device_;
  mutable std::mutex bn_reset_mutex_;
  mutable std::optional<std::pair<double, torch::Tensor>> bn_reset_;
  mutable std::mutex memo_mutex_;
  mutable std::map<double, std::unique_ptr<EndpointMemo>> memos_;
};

// Looks a set up in a metrics list; NaN if absent.
double AccuracyOf(const std::vector<SetMetrics>& metrics,
                  const std::string& set);
double LossOf(const std::vector<SetMetrics>& metrics, const std::string& set);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_EVAL_SETS_H_
