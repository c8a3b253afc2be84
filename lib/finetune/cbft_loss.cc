// Implementation of lib/finetune/cbft_loss.h.
#include "lib/finetune/cbft_loss.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "lib/util/random.h"

namespace mmc {
namespace {

constexpr uint64_t kPathPointStream = 0xcbf7001;
constexpr uint64_t kPathPointStream2 = 0xcbf7002;
constexpr uint64_t kCueBatchStream = 0xcbf7003;

// A double in [0, 1) from the top 53 bits of a hash.
double UnitInterval(uint64_t h) {
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// Per-class means [K, C] of features [N, C] with labels [N]; `counts` [K].
torch::Tensor ClassMeans(const torch::Tensor& features,
                         const torch::Tensor& labels, int num_classes,
                         torch::Tensor* counts) {
  torch::Tensor one_hot = torch::one_hot(labels.to(torch::kLong), num_classes)
                              .to(features.scalar_type());
  *counts = one_hot.sum(0);
  torch::Tensor sums = one_hot.t().matmul(features);
  return sums / counts->clamp_min(1.0).unsqueeze(1);
}

}  // namespace

torch::Tensor BarrierTerm(const Model& model, const ParamMap& theta,
                          const ParamMap& theta_c, double t,
                          const torch::Tensor& x, const torch::Tensor& y,
                          double lambda1) {
  ParamMap path;
  for (const auto& [name, value] : theta) {
    path[name] = value * (1.0 - t) + theta_c.at(name).detach() * t;
  }
  ForwardOptions options;
  options.bn = BnMode::kBatchStats;
  torch::Tensor logits = model.Forward(path, x, options).logits;
  return (lambda1 - torch::cross_entropy_loss(logits, y)).abs();
}

torch::Tensor InvarianceTerm(const torch::Tensor& features_a,
                             const torch::Tensor& labels_a,
                             const torch::Tensor& features_b,
                             const torch::Tensor& labels_b, int num_classes,
                             double lambda2, InvarianceForm form) {
  torch::Tensor counts_a, counts_b;
  torch::Tensor means_a =
      ClassMeans(features_a, labels_a, num_classes, &counts_a);
  torch::Tensor means_b =
      ClassMeans(features_b, labels_b, num_classes, &counts_b);
  // Classes present in both sets, as a mask rather than an index list
  // (nonzero() would wait for the device every step): absent classes add an
  // exact zero, so with every class present the sums are the same tensors as
  // over the present rows alone.
  const torch::Tensor present =
      torch::logical_and(counts_a > 0, counts_b > 0).unsqueeze(1);
  const double scale = lambda2 / static_cast<double>(num_classes);
  if (form == InvarianceForm::kPaper) {
    const torch::Tensor norms = (means_a - means_b).norm(2, {1}, true);
    return torch::where(present, norms, torch::zeros_like(norms)).sum() * scale;
  }
  auto normalise = [](const torch::Tensor& m) {
    return m / m.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  };
  const torch::Tensor squares =
      (normalise(means_a) - normalise(means_b)).pow(2);
  return torch::where(present, squares, torch::zeros_like(squares)).sum() *
         scale;
}

double UniformPathPoint(uint64_t seed, int64_t step) {
  return UnitInterval(
      CounterHash(seed, kPathPointStream, static_cast<uint64_t>(step)));
}

double AuthorsPathPoint(uint64_t seed, int64_t step) {
  // Their formula, written out (DrawPathPoint's defaults must equal it;
  // cbft_loss_test checks that).
  const double u1 = 1.0 - UniformPathPoint(seed, step);
  const double u2 = UnitInterval(
      CounterHash(seed, kPathPointStream2, static_cast<uint64_t>(step)));
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  return 0.5 + 0.5 * std::clamp(z, -0.5, 0.5);
}

double DrawPathPoint(const CbftSpec& options, uint64_t seed, int64_t step) {
  const double lo = options.t_min(), hi = options.t_max();
  if (options.t_draw() == CbftSpec::UNIFORM) {
    return lo + (hi - lo) * UniformPathPoint(seed, step);
  }
  // CLIPPED_NORMAL. Box-Muller: u1 in (0, 1], u2 in [0, 1).
  const double u1 = 1.0 - UniformPathPoint(seed, step);
  const double u2 = UnitInterval(
      CounterHash(seed, kPathPointStream2, static_cast<uint64_t>(step)));
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  return 0.5 * (lo + hi) + (hi - lo) * std::clamp(z, -0.5, 0.5);
}

absl::Status ValidatePathPointRange(const CbftSpec& options) {
  if (options.t_draw() == CbftSpec::PATH_POINT_DRAW_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "finetune.cbft_options.t_draw must be CLIPPED_NORMAL or UNIFORM");
  }
  if (!(options.t_min() >= 0.0 && options.t_min() < options.t_max() &&
        options.t_max() <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "finetune.cbft_options needs 0 <= t_min < t_max <= 1, got [%g, %g]",
        options.t_min(), options.t_max()));
  }
  return absl::OkStatus();
}

std::vector<int64_t> CueBatchIndices(uint64_t seed, int64_t step, int64_t batch,
                                     int64_t n) {
  const uint64_t step_seed =
      CounterHash(seed, kCueBatchStream, static_cast<uint64_t>(step));
  std::vector<int64_t> indices(static_cast<size_t>(batch));
  for (int64_t j = 0; j < batch; ++j) {
    indices[j] =
        UniformInt(step_seed, kCueBatchStream, static_cast<uint64_t>(j), n);
  }
  return indices;
}

}  // namespace mmc
