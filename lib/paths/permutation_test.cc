// Tests for lib/paths/permutation.h: permuted networks compute the same
// function; matching a network to a permuted copy of itself recovers the
// permutation exactly; linear assignment finds known optima; matching two
// independent networks raises their total channel correlation.
#include "lib/paths/permutation.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "gtest/gtest.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/spec/spec.pb.h"

namespace mmc {
namespace {

struct Arch {
  ModelSpec::Arch arch;
  int in_channels;
  int64_t size;  // Input height and width.
};

const Arch kVgg = {ModelSpec::VGG13, 1, 28};
const Arch kResNet = {ModelSpec::RESNET18, 3, 32};

std::unique_ptr<Model> MakeModel(const Arch& arch) {
  ModelSpec spec;
  spec.set_arch(arch.arch);
  spec.set_width(0.125);
  auto model = Model::Create(spec, arch.in_channels, 10);
  EXPECT_TRUE(model.ok()) << model.status();
  return std::move(*model);
}

torch::Tensor Inputs(const Arch& arch, int64_t n) {
  return torch::randn({n, arch.in_channels, arch.size, arch.size});
}

// A freshly initialised map made less symmetric: random BatchNorm affine
// parameters (so a wrongly permuted BN entry would show in the outputs), and
// running statistics set to the exact statistics of a batch of random
// inputs (one kAccumulate pass), as after training. Calibrated statistics
// keep eval-mode activations alive in every channel, as in a trained
// network; with the init statistics (or after a single kTrain pass) many
// deep channels of these random networks are constant 0 on random inputs,
// and such channels cannot be told apart by any activation statistic.
ParamMap Prepared(const Model& model, const Arch& arch, int64_t seed) {
  ParamMap p = model.Init(seed);
  torch::manual_seed(seed + 1000);
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (auto& [name, t] : p) {
    if (ends_with(name, ".bn.weight")) t = torch::rand_like(t) + 0.5;
    if (ends_with(name, ".bn.bias")) t = 0.1 * torch::randn_like(t);
  }
  torch::NoGradGuard no_grad;
  BnAccumulator acc;
  ForwardOptions options;
  options.bn = BnMode::kAccumulate;
  options.accumulator = &acc;
  model.Forward(p, Inputs(arch, 64), options);
  for (const auto& [bn, sums] : acc.by_layer) {
    torch::Tensor mean = sums.sum / sums.count;
    torch::Tensor var = sums.sum_sq / sums.count - mean.square();
    p[bn + ".running_mean"] = mean.to(torch::kFloat);
    p[bn + ".running_var"] = var.to(torch::kFloat);
  }
  return p;
}

double MaxLogitDiff(const Model& model, const ParamMap& p, const ParamMap& q,
                    const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return (model.Logits(p, x, BnMode::kEval) - model.Logits(q, x, BnMode::kEval))
      .abs()
      .max()
      .item<double>();
}

// Sum over groups of sum_i corr[g][i][perm[g][i]].
double MatchedTotal(const std::map<std::string, torch::Tensor>& corr,
                    const Permutation& perm) {
  double total = 0;
  for (const auto& [name, c] : corr) {
    const std::vector<int64_t>& order = perm.at(name);
    for (size_t i = 0; i < order.size(); ++i) {
      total += c[i][order[i]].item<double>();
    }
  }
  return total;
}

class PermutationTest : public ::testing::TestWithParam<Arch> {};

TEST_P(PermutationTest, PermutedNetworkComputesTheSameFunction) {
  const Arch arch = GetParam();
  auto model = MakeModel(arch);
  const ParamMap a = Prepared(*model, arch, 1);
  const ParamMap a_copy = CloneParams(a);
  const Permutation perm = RandomPermutation(*model, 7);
  ASSERT_EQ(perm.size(), model->PermutationGroups().size());
  const ParamMap b = ApplyPermutation(*model, a, perm);
  EXPECT_TRUE(ParamsEqual(a, a_copy));  // Input untouched.
  EXPECT_FALSE(ParamsEqual(a, b));
  EXPECT_GT(MaxAbsDiff(a, b), 0.1);  // Really permuted.
  torch::manual_seed(11);
  const torch::Tensor x = Inputs(arch, 16);
  const torch::Tensor logits = model->Logits(a, x, BnMode::kEval);
  EXPECT_GT(logits.abs().max().item<double>(), 1e-2);  // Not trivially 0.
  EXPECT_LE(MaxLogitDiff(*model, a, b, x), 1e-4);
  // The inverse undoes it bit for bit; the same seed gives the same draw.
  EXPECT_TRUE(
      ParamsEqual(ApplyPermutation(*model, b, InversePermutation(perm)), a));
  EXPECT_EQ(RandomPermutation(*model, 7), perm);
  EXPECT_NE(RandomPermutation(*model, 8), perm);
}

TEST_P(PermutationTest, MatchingRecoversARandomPermutationExactly) {
  const Arch arch = GetParam();
  auto model = MakeModel(arch);
  const ParamMap a = Prepared(*model, arch, 2);
  const Permutation random = RandomPermutation(*model, 3);
  const ParamMap b = ApplyPermutation(*model, a, random);
  torch::manual_seed(12);
  std::vector<torch::Tensor> batches;
  for (int i = 0; i < 3; ++i) batches.push_back(Inputs(arch, 16));
  absl::StatusOr<Permutation> matched = MatchActivations(*model, a, b, batches);
  ASSERT_TRUE(matched.ok()) << matched.status();
  EXPECT_EQ(*matched, InversePermutation(random));
  EXPECT_TRUE(ParamsEqual(ApplyPermutation(*model, b, *matched), a));
}

TEST_P(PermutationTest, MatchingIndependentNetworksRaisesCorrelation) {
  const Arch arch = GetParam();
  auto model = MakeModel(arch);
  const ParamMap a = Prepared(*model, arch, 4);
  const ParamMap b = Prepared(*model, arch, 5);
  torch::manual_seed(13);
  std::vector<torch::Tensor> batches;
  for (int i = 0; i < 2; ++i) batches.push_back(Inputs(arch, 16));
  auto corr = ActivationCorrelations(*model, a, b, batches);
  ASSERT_TRUE(corr.ok()) << corr.status();
  auto matched = MatchActivations(*model, a, b, batches);
  ASSERT_TRUE(matched.ok()) << matched.status();
  const double identity_total =
      MatchedTotal(*corr, IdentityPermutation(*model));
  const double matched_total = MatchedTotal(*corr, *matched);
  // Per channel, matched pairs correlate clearly better than arbitrary ones
  // (seen: +0.21 per channel-point for VGG, +0.10 for ResNet).
  int64_t channels = 0;
  for (const PermutationGroup& g : model->PermutationGroups()) {
    channels += g.size * static_cast<int64_t>(g.activations.size());
  }
  EXPECT_GT(matched_total, identity_total + 0.05 * channels)
      << "matched " << matched_total << " identity " << identity_total;
  // Permuting b is a symmetry of b ...
  const ParamMap b_perm = ApplyPermutation(*model, b, *matched);
  EXPECT_LE(MaxLogitDiff(*model, b, b_perm, batches[0]), 1e-4);
  // ... which only relabels its activations, so the correlations with the
  // permuted b are the old ones with columns permuted (one pass suffices),
  // and matching it again gives the identity. (Float32 rounding of the
  // permuted forward pass moves them by up to 5e-7.)
  auto corr_perm = ActivationCorrelations(*model, a, b_perm, batches);
  ASSERT_TRUE(corr_perm.ok()) << corr_perm.status();
  for (const auto& [name, c] : *corr) {
    torch::Tensor expected =
        c.index_select(1, torch::tensor(matched->at(name), torch::kLong));
    EXPECT_TRUE(torch::allclose(corr_perm->at(name), expected, 0, 1e-5))
        << name;
  }
  auto rematched = MatchActivations(*model, a, b_perm, batches);
  ASSERT_TRUE(rematched.ok()) << rematched.status();
  EXPECT_EQ(*rematched, IdentityPermutation(*model));
}

INSTANTIATE_TEST_SUITE_P(Archs, PermutationTest,
                         ::testing::Values(kVgg, kResNet),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return info.param.arch == ModelSpec::VGG13
                                      ? "Vgg13"
                                      : "ResNet18";
                         });

TEST(SolveAssignmentTest, KnownOptimum) {
  // Brute force over the 24 permutations: the unique maximum is 25 at
  // (2, 3, 0, 1); the runner-up is 24.
  const torch::Tensor w = torch::tensor({7., -3., 2., 5., 1., 4., -6., 8., 9.,
                                         0., 3., -2., -4., 6., 5., 1.},
                                        torch::kDouble)
                              .reshape({4, 4});
  const std::vector<int64_t> expected = {2, 3, 0, 1};
  EXPECT_EQ(SolveAssignment(w), expected);
  // Scale and offset do not matter.
  EXPECT_EQ(SolveAssignment(0.01 * w - 3.0), expected);
  EXPECT_EQ(SolveAssignment(torch::ones({1, 1}, torch::kDouble)),
            std::vector<int64_t>{0});
  EXPECT_TRUE(SolveAssignment(torch::zeros({0, 0}, torch::kDouble)).empty());
  // The identity matrix plus small noise off the diagonal: identity.
  torch::manual_seed(0);
  const torch::Tensor near_eye = torch::eye(20, torch::kDouble) +
                                 0.01 * torch::rand({20, 20}, torch::kDouble);
  std::vector<int64_t> identity(20);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(SolveAssignment(near_eye), identity);
}

TEST(SolveAssignmentTest, BeatsRandomPermutationsOn50x50) {
  torch::manual_seed(1);
  const torch::Tensor w = torch::randn({50, 50}, torch::kDouble);
  auto total = [&](const std::vector<int64_t>& cols) {
    double s = 0;
    for (size_t i = 0; i < cols.size(); ++i) s += w[i][cols[i]].item<double>();
    return s;
  };
  const std::vector<int64_t> best = SolveAssignment(w);
  ASSERT_EQ(best.size(), 50u);
  std::vector<int64_t> sorted = best;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);  // A permutation.
  const double best_total = total(best);
  // The row maxima bound any assignment from above.
  EXPECT_LE(best_total, std::get<0>(w.max(1)).sum().item<double>() + 1e-9);
  std::mt19937_64 rng(5);
  std::vector<int64_t> cols = identity;
  for (int trial = 0; trial < 200; ++trial) {
    std::shuffle(cols.begin(), cols.end(), rng);
    EXPECT_GE(best_total, total(cols));
  }
  // No single swap of two rows' columns improves it (2-opt optimality).
  for (int i = 0; i < 50; ++i) {
    for (int j = i + 1; j < 50; ++j) {
      std::vector<int64_t> swapped = best;
      std::swap(swapped[i], swapped[j]);
      EXPECT_GE(best_total, total(swapped) - 1e-9);
    }
  }
}

TEST(MatchActivationsTest, NoBatchesIsAnError) {
  auto model = MakeModel(kVgg);
  const ParamMap a = model->Init(1);
  auto matched = MatchActivations(*model, a, a, {});
  EXPECT_EQ(matched.status().code(), absl::StatusCode::kInvalidArgument);
  // Wrong input channel count: the forward pass fails, reported as a status.
  auto bad = MatchActivations(*model, a, a, {torch::randn({2, 3, 28, 28})});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mmc
