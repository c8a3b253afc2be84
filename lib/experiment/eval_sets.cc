// Implementation of lib/experiment/eval_sets.h.
#include "lib/experiment/eval_sets.h"

#include <cmath>

#include "lib/train/evaluate.h"

namespace mmc {

EvalSets::EvalSets(const CueDataset& dataset, const EvalSpec& eval,
                   torch::Device device)
    : batch_size_(eval.batch_size()),
      dataset_(&dataset),
      eval_(eval),
      device_(device) {
  auto add = [&](const std::string& name, View view, int64_t n) {
    sets_.push_back({name, ToDevice(dataset.Materialize(view, n), device)});
  };
  add("NC", View::kTestNoCue, eval.test_size());
  add("C", View::kTestCue, eval.test_size());
  add("RC", View::kTestRandomCue, eval.test_size());
  add("RI", View::kTestRandomImage, eval.test_size());
  add("trC", View::kTrainCue, eval.train_view_size());
  add("trNC", View::kTrainNoCue, eval.train_view_size());
}

std::vector<SetMetrics> EvalSets::EvaluateAll(const Model& model,
                                              const ParamMap& params) const {
  std::vector<SetMetrics> out;
  for (const auto& [name, batch] : sets_) {
    const Metrics m = Evaluate(model, params, batch, batch_size_);
    SetMetrics s;
    s.set_set(name);
    s.set_accuracy(m.accuracy);
    s.set_loss(m.loss);
    out.push_back(s);
  }
  return out;
}

torch::Tensor EvalSets::BnResetData(double c) const {
  std::lock_guard<std::mutex> lock(bn_reset_mutex_);
  if (!bn_reset_.has_value() || bn_reset_->first != c) {
    bn_reset_.reset();  // Frees the last c's images before the next ones.
    bn_reset_.emplace(
        c, dataset_->Materialize(BnResetView(eval_), eval_.bn_reset_size(), c)
               .x.to(device_));
  }
  return bn_reset_->second;
}

EndpointMemo* EvalSets::EndpointMemoFor(double c) const {
  std::lock_guard<std::mutex> lock(memo_mutex_);
  std::unique_ptr<EndpointMemo>& memo = memos_[c];
  if (memo == nullptr) memo = std::make_unique<EndpointMemo>();
  return memo.get();
}

double AccuracyOf(const std::vector<SetMetrics>& metrics,
                  const std::string& set) {
  for (const SetMetrics& m : metrics) {
    if (m.set() == set) return m.accuracy();
  }
  return std::nan("");
}

double LossOf(const std::vector<SetMetrics>& metrics, const std::string& set) {
  for (const SetMetrics& m : metrics) {
    if (m.set() == set) return m.loss();
  }
  return std::nan("");
}

}  // namespace mmc
