// The evaluation sets of a spec, materialised once and shared by every model
// evaluated in a task: the four counterfactual test sets (NC, C, RC, RI) and
// the two training views (trC, trNC), each `eval.test_size` /
// `eval.train_view_size` evenly spaced samples.
#ifndef LIB_EXPERIMENT_EVAL_SETS_H_
#define LIB_EXPERIMENT_EVAL_SETS_H_

#include <string>
#include <utility>
#include <vector>

#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
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

  // Accuracy and loss of `params` (kEval) on every set.
  std::vector<SetMetrics> EvaluateAll(const Model& model,
                                      const ParamMap& params) const;

 private:
  std::vector<std::pair<std::string, Batch>> sets_;
  int64_t batch_size_;
};

// Looks a set up in a metrics list; NaN if absent.
double AccuracyOf(const std::vector<SetMetrics>& metrics,
                  const std::string& set);
double LossOf(const std::vector<SetMetrics>& metrics, const std::string& set);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_EVAL_SETS_H_
