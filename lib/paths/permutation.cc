// Implementation of lib/paths/permutation.h: applying channel permutations to
// parameter maps, activation correlations between two networks, and linear
// assignment through dlib.
#include "lib/paths/permutation.h"

#include <dlib/matrix.h>
#include <dlib/optimization/max_cost_assignment.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/util/random.h"

namespace mmc {
namespace {

// Largest number of activation values per network converted to float64 at
// once (128 MiB), so full-width networks at batch 512 stay within memory.
constexpr int64_t kMaxChunkElements = int64_t{1} << 24;

// Integer range of the assignment costs handed to dlib. Sums of n <= 2^20
// such costs stay far below the int64 limit.
constexpr double kAssignmentScale = 1099511627776.0;  // 2^40

// Stream id of RandomPermutation's draws (lib/util/random.h).
constexpr uint64_t kPermutationStream = 0x7065726d;  // "perm"

// Running float64 sums for the correlation of two networks' activations at
// one point.
struct PointSums {
  int64_t count = 0;             // Values per channel so far.
  torch::Tensor sum_a, sum_b;    // [C]
  torch::Tensor sum_aa, sum_bb;  // [C]
  torch::Tensor sum_ab;          // [C, C]: sum of a_i * b_j.
};

// [C, M] float64 view of activations [N, C, H, W] (channels as rows).
torch::Tensor ChannelRows(const torch::Tensor& x) {
  return x.transpose(0, 1).reshape({x.size(1), -1}).to(torch::kDouble);
}

void Accumulate(const torch::Tensor& a, const torch::Tensor& b,
                PointSums* sums) {
  const int64_t n = a.size(0);
  const int64_t per_item =
      std::max<int64_t>(1, a.numel() / std::max<int64_t>(n, 1));
  const int64_t chunk = std::max<int64_t>(1, kMaxChunkElements / per_item);
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t len = std::min(chunk, n - start);
    torch::Tensor x = ChannelRows(a.narrow(0, start, len));
    torch::Tensor y = ChannelRows(b.narrow(0, start, len));
    torch::Tensor sa = x.sum(1), sb = y.sum(1);
    torch::Tensor saa = x.square().sum(1), sbb = y.square().sum(1);
    torch::Tensor sab = x.matmul(y.t());
    if (!sums->sum_a.defined()) {
      sums->sum_a = sa;
      sums->sum_b = sb;
      sums->sum_aa = saa;
      sums->sum_bb = sbb;
      sums->sum_ab = sab;
    } else {
      sums->sum_a += sa;
      sums->sum_b += sb;
      sums->sum_aa += saa;
      sums->sum_bb += sbb;
      sums->sum_ab += sab;
    }
    sums->count += x.size(1);
  }
}

// Pearson correlation matrix [C, C] (CPU float64) from the sums. Channels
// with zero variance get correlation 0.
torch::Tensor Correlation(const PointSums& s) {
  const double n = static_cast<double>(s.count);
  torch::Tensor mean_a = s.sum_a / n, mean_b = s.sum_b / n;
  torch::Tensor std_a = (s.sum_aa / n - mean_a.square()).clamp_min(0).sqrt();
  torch::Tensor std_b = (s.sum_bb / n - mean_b.square()).clamp_min(0).sqrt();
  torch::Tensor cov = s.sum_ab / n - torch::outer(mean_a, mean_b);
  torch::Tensor denom = torch::outer(std_a, std_b);
  torch::Tensor corr = torch::where(denom > 0, cov / denom.clamp_min(1e-300),
                                    torch::zeros_like(cov));
  // Rounding in the raw moments can push |corr| a hair past 1.
  return corr.clamp(-1.0, 1.0).cpu();
}

std::map<std::string, PermutationGroup> GroupsByName(const Model& model) {
  std::map<std::string, PermutationGroup> groups;
  for (PermutationGroup& g : model.PermutationGroups()) {
    std::string name = g.name;
    groups.emplace(std::move(name), std::move(g));
  }
  return groups;
}

}  // namespace

ParamMap ApplyPermutation(const Model& model, const ParamMap& params,
                          const Permutation& perm) {
  const std::map<std::string, PermutationGroup> groups = GroupsByName(model);
  ParamMap out = params;  // Shares storage until an entry is replaced.
  std::set<std::string> replaced;
  for (const auto& [name, order] : perm) {
    auto it = groups.find(name);
    TORCH_CHECK(it != groups.end(), "unknown permutation group ", name);
    const PermutationGroup& g = it->second;
    TORCH_CHECK(static_cast<int64_t>(order.size()) == g.size,
                "permutation of group ", name, " has length ", order.size(),
                ", the group has ", g.size, " channels");
    std::vector<bool> seen(order.size(), false);
    for (int64_t i : order) {
      TORCH_CHECK(i >= 0 && i < g.size && !seen[i], "permutation of group ",
                  name, " is not a permutation of 0..", g.size - 1);
      seen[i] = true;
    }
    torch::Tensor index =
        torch::tensor(order, torch::dtype(torch::kLong).device(torch::kCPU));
    for (const auto& [param, axis] : g.axes) {
      auto p = out.find(param);
      TORCH_CHECK(p != out.end(), "parameter map has no entry ", param);
      TORCH_CHECK(p->second.size(axis) == g.size, "entry ", param, " axis ",
                  axis, " has size ", p->second.size(axis), ", group ", name,
                  " has ", g.size);
      p->second = p->second.index_select(axis, index.to(p->second.device()));
      replaced.insert(param);
    }
  }
  for (auto& [name, value] : out) {
    if (replaced.count(name) == 0) value = value.clone();
  }
  return out;
}

Permutation RandomPermutation(const Model& model, uint64_t seed) {
  Permutation perm;
  uint64_t group_index = 0;
  for (const PermutationGroup& g : model.PermutationGroups()) {
    std::vector<int64_t> order(g.size);
    for (int64_t i = 0; i < g.size; ++i) order[i] = i;
    // Fisher-Yates with counter-based draws: deterministic on any platform.
    const uint64_t stream = Mix64(kPermutationStream ^ group_index++);
    for (int64_t i = g.size - 1; i > 0; --i) {
      std::swap(order[i], order[UniformInt(seed, stream, i, i + 1)]);
    }
    perm[g.name] = std::move(order);
  }
  return perm;
}

Permutation InversePermutation(const Permutation& perm) {
  Permutation inverse;
  for (const auto& [name, order] : perm) {
    std::vector<int64_t> inv(order.size());
    for (size_t i = 0; i < order.size(); ++i) inv[order[i]] = i;
    inverse[name] = std::move(inv);
  }
  return inverse;
}

Permutation IdentityPermutation(const Model& model) {
  Permutation perm;
  for (const PermutationGroup& g : model.PermutationGroups()) {
    std::vector<int64_t> order(g.size);
    for (int64_t i = 0; i < g.size; ++i) order[i] = i;
    perm[g.name] = std::move(order);
  }
  return perm;
}

absl::StatusOr<std::map<std::string, torch::Tensor>> ActivationCorrelations(
    const Model& model, const ParamMap& a, const ParamMap& b,
    const std::vector<torch::Tensor>& batches) {
  if (batches.empty()) {
    return absl::InvalidArgumentError(
        "activation matching needs at least one batch");
  }
  const std::vector<PermutationGroup> groups = model.PermutationGroups();
  std::map<std::string, PointSums> sums;  // Key: activation point.
  for (const PermutationGroup& g : groups) {
    for (const std::string& point : g.activations) sums[point];
  }

  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> acts_a;
  const ActivationSink sink_a = [&](const std::string& point,
                                    const torch::Tensor& value) {
    if (sums.count(point) > 0) acts_a[point] = value.detach();
  };
  std::string error;
  const ActivationSink sink_b = [&](const std::string& point,
                                    const torch::Tensor& value) {
    auto s = sums.find(point);
    if (s == sums.end() || !error.empty()) return;
    auto it = acts_a.find(point);
    if (it == acts_a.end() || it->second.sizes() != value.sizes()) {
      error = absl::StrCat("activation point ", point,
                           " differs between the two networks");
      return;
    }
    Accumulate(it->second, value.detach(), &s->second);
    acts_a.erase(it);  // Frees network a's activation early.
  };
  for (const torch::Tensor& x : batches) {
    if (x.dim() != 4 || x.size(0) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "activation matching needs non-empty [N, C, H, W] batches, got ",
          x.sizes().vec().size(), "-d"));
    }
    acts_a.clear();
    try {
      ForwardOptions options;
      options.bn = BnMode::kEval;
      options.sink = &sink_a;
      model.Forward(a, x, options);
      options.sink = &sink_b;
      model.Forward(b, x, options);
    } catch (const c10::Error& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("forward pass failed: ", e.what_without_backtrace()));
    }
    if (!error.empty()) return absl::InvalidArgumentError(error);
  }

  std::map<std::string, torch::Tensor> result;
  for (const PermutationGroup& g : groups) {
    torch::Tensor total = torch::zeros(
        {g.size, g.size}, torch::dtype(torch::kDouble).device(torch::kCPU));
    for (const std::string& point : g.activations) {
      const PointSums& s = sums.at(point);
      if (s.count == 0) {
        return absl::InternalError(
            absl::StrCat("the forward pass emitted no activation ", point,
                         " of group ", g.name));
      }
      if (s.sum_a.size(0) != g.size) {
        return absl::InternalError(
            absl::StrCat("activation ", point, " has ", s.sum_a.size(0),
                         " channels, group ", g.name, " has ", g.size));
      }
      total += Correlation(s);
    }
    result[g.name] = total;
  }
  return result;
}

absl::StatusOr<Permutation> MatchActivations(
    const Model& model, const ParamMap& a, const ParamMap& b,
    const std::vector<torch::Tensor>& batches) {
  absl::StatusOr<std::map<std::string, torch::Tensor>> corr =
      ActivationCorrelations(model, a, b, batches);
  if (!corr.ok()) return corr.status();
  // Row i is channel i of a, column j channel j of b: the assignment gives
  // b's channel to place at position i, which is perm[i] by definition.
  Permutation perm;
  for (const auto& [name, c] : *corr) perm[name] = SolveAssignment(c);
  return perm;
}

std::vector<int64_t> SolveAssignment(const torch::Tensor& weights) {
  TORCH_CHECK(weights.dim() == 2 && weights.size(0) == weights.size(1),
              "SolveAssignment needs a square matrix, got ", weights.sizes());
  const int64_t n = weights.size(0);
  if (n == 0) return {};
  torch::Tensor w =
      weights.detach().to(torch::kCPU, torch::kDouble).contiguous();
  TORCH_CHECK(torch::isfinite(w).all().item<bool>(),
              "SolveAssignment needs finite weights");
  const double lo = w.min().item<double>();
  const double range = w.max().item<double>() - lo;
  const double scale = range > 0 ? kAssignmentScale / range : 0.0;
  const double* data = w.data_ptr<double>();
  dlib::matrix<long> cost(n, n);  // NOLINT(runtime/int): dlib's type.
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      cost(i, j) = std::llround((data[i * n + j] - lo) * scale);
    }
  }
  const std::vector<long> assignment =  // NOLINT(runtime/int)
      dlib::max_cost_assignment(cost);
  return std::vector<int64_t>(assignment.begin(), assignment.end());
}

}  // namespace mmc
