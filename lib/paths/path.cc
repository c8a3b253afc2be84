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

std::vector<PointMetrics> EvaluatePath(
    const Model& model, const Path& path, const std::vector<double>& ts,
    const std::vector<std::pair<std::string, Batch>>& sets,
    const torch::Tensor& bn_data, const EvalSpec& eval) {
  std::vector<PointMetrics> out;
  for (double t : ts) {
    ParamMap params;
    {
      torch::NoGradGuard no_grad;
      params = path.At(t);
      // Never write into the endpoints' own tensors.
      params =
          MapParams(params, [](const std::string&, const torch::Tensor& x) {
            return x.detach();
          });
    }
    ResetBatchNorm(model, bn_data, eval.batch_size(), eval.bn_reset_mode(),
                   &params);
    PointMetrics point;
    point.t = t;
    for (const auto& [name, batch] : sets) {
      const Metrics m = Evaluate(model, params, batch, eval.batch_size());
      point.sets.push_back({name, {m.accuracy, m.loss}});
    }
    out.push_back(std::move(point));
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
