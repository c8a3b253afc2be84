// Implementation of lib/experiment/eval_sets.h.
#include "lib/experiment/eval_sets.h"

#include <ATen/Parallel.h>

#include <cmath>

#include "lib/train/evaluate.h"
#include "lib/util/cpus.h"
#include "lib/util/slot_workers.h"

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
  std::vector<SetMetrics> out(sets_.size());
  // On a CPU at one intra-op thread (the quick tier), the sets are
  // evaluated side by side, each by one thread at one thread, as a
  // sequential evaluation would: the same numbers, and the other core is
  // not left idle while the parent of //tasks:paper evaluates a model
  // (Table 3's 18, Fig. 4's per fine-tuning; issue 15). Each set holds a CPU
  // slot (lib/util/cpu_slots.h). Elsewhere each set uses every thread.
  const int workers =
      device_.is_cpu() && at::get_num_threads() == 1 ? AvailableCpus() : 1;
  RunOnSlotWorkers(sets_.size(), workers, [&](size_t i) {
    const auto& [name, batch] = sets_[i];
    const Metrics m = Evaluate(model, params, batch, batch_size_);
    out[i].set_set(name);
    out[i].set_accuracy(m.accuracy);
    out[i].set_loss(m.loss);
  });
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
