// Implementation of lib/paths/path.h.
#include "lib/paths/path.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "lib/paths/bn_reset.h"
#include "lib/train/evaluate.h"

namespace mmc {

ParamMap Path::At(double t) const {
  if (t == 0.0) return a;
  if (t == 1.0) return b;
  if (mid.has_value()) return Bezier(a, *mid, b, t);
  return Interpolate(a, b, t);
}

std::vector<double> PathGrid(int num_points) {
  std::vector<double> ts;
  for (int i = 0; i < num_points; ++i) {
    ts.push_back(num_points == 1 ? 0.0
                                 : static_cast<double>(i) / (num_points - 1));
  }
  return ts;
}

int64_t PointsPerPass(const Model& model, const ParamMap& params,
                      const EvalSpec& eval, int64_t num_points) {
  if (eval.points_per_pass() > 0) {
    return std::min<int64_t>(eval.points_per_pass(), num_points);
  }
  // Stacking pays where the network is narrow (grouped convolutions of
  // many thin networks use the cores better than one thin conv at a time);
  // wide networks run each point alone (measured in
  // benchmarks/path_eval_benchmark; reports/benchmarks.md).
  return CountParameters(params) <= kMaxStackedParameters ? num_points : 1;
}

std::vector<PointMetrics> EvaluatePath(
    const Model& model, const Path& path, const std::vector<double>& ts,
    const std::vector<std::pair<std::string, Batch>>& sets,
    const torch::Tensor& bn_data, const EvalSpec& eval) {
  std::vector<PointMetrics> out;
  const int64_t per_pass = PointsPerPass(model, path.a, eval, ts.size());
  for (size_t first = 0; first < ts.size(); first += per_pass) {
    const size_t last = std::min(ts.size(), first + per_pass);
    const int64_t stacked = last - first;
    ParamMap params;
    {
      torch::NoGradGuard no_grad;
      std::vector<ParamMap> points;
      for (size_t i = first; i < last; ++i) points.push_back(path.At(ts[i]));
      // Detached: never write into the endpoints' own tensors.
      params = MapParams(StackParams(points),
                         [](const std::string&, const torch::Tensor& x) {
                           return x.detach();
                         });
    }
    ResetBatchNorm(model, bn_data, eval.batch_size(), eval.bn_reset_mode(),
                   &params, stacked);
    const ParamMap folded = FoldBatchNorm(model, params);
    std::vector<PointMetrics> points(stacked);
    for (int64_t k = 0; k < stacked; ++k) points[k].t = ts[first + k];
    for (const auto& [name, batch] : sets) {
      const std::vector<Metrics> metrics = EvaluateStacked(
          model, folded, stacked, batch, eval.batch_size(), BnMode::kFolded);
      for (int64_t k = 0; k < stacked; ++k) {
        points[k].sets.push_back(
            {name, {metrics[k].accuracy, metrics[k].loss}});
      }
    }
    for (PointMetrics& p : points) out.push_back(std::move(p));
  }
  return out;
}

BarrierMetrics ComputeBarrier(const std::vector<double>& ts,
                              const std::vector<double>& accuracies,
                              const std::vector<double>& losses) {
  BarrierMetrics b;
  if (ts.empty()) return b;
  const double l0 = losses.front(), l1 = losses.back();
  const double t0 = ts.front(), t1 = ts.back();
  double barrier = -std::numeric_limits<double>::infinity();
  double lowest = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < ts.size(); ++i) {
    const double u = (ts[i] - t0) / std::max(t1 - t0, 1e-12);
    barrier = std::max(barrier, losses[i] - ((1.0 - u) * l0 + u * l1));
    lowest = std::min(lowest, accuracies[i]);
  }
  b.loss_barrier = barrier;
  b.accuracy_dip = std::min(accuracies.front(), accuracies.back()) - lowest;
  return b;
}

}  // namespace mmc
