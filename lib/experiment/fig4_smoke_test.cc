// Regression check (evaluation layer, smoke_golden.h): the Fig. 4 pipeline
// on the smoke spec (two learning rates, five points per path) over the
// checked-in smoke models, against testdata/fig4_smoke.json.
#include <ATen/Parallel.h>

#include "gtest/gtest.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/smoke_golden.h"
#include "lib/paths/kinds/path_kind.h"
#include "lib/paths/path.h"
#include "lib/paths/permutation.h"
#include "lib/runs/endpoints.h"

namespace mmc {
namespace {

TEST(Fig4SmokeTest, MatchesGolden) {
  auto setup = MakeSmokeSetup(SmokeModels::kCheckedIn);
  ASSERT_TRUE(setup.ok()) << setup.status();
  auto results = RunFig4((*setup)->context);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->endpoints_size(), 1);
  EXPECT_EQ(results->finetuned_size(), 2);
  // Per learning rate, the plain and the permuted linear path.
  ASSERT_EQ(results->paths_size(), 4);
  EXPECT_EQ(results->paths(0).path(), kLinear);
  EXPECT_EQ(results->paths(1).path(), kLinearPermuted);
  // The path starts at theta_C: its t = 0 point is theta_C after a BN reset
  // on its own training mix, which keeps its cue reliance (C near 100).
  EXPECT_GT(results->paths(0).points(0).metrics(1).accuracy(), 90.0);
  // Permuting theta_FT does not change its function: both paths end at the
  // same model evaluated the same way (float rounding of the permuted
  // weights' sums only).
  for (int lr = 0; lr < 2; ++lr) {
    const PathResult& plain = results->paths(2 * lr);
    const PathResult& permuted = results->paths(2 * lr + 1);
    const PathPoint& a = plain.points(plain.points_size() - 1);
    const PathPoint& b = permuted.points(permuted.points_size() - 1);
    ASSERT_EQ(a.metrics_size(), b.metrics_size());
    for (int s = 0; s < a.metrics_size(); ++s) {
      EXPECT_NEAR(a.metrics(s).loss(), b.metrics(s).loss(), 1e-4)
          << a.metrics(s).set();
      EXPECT_NEAR(a.metrics(s).accuracy(), b.metrics(s).accuracy(), 0.5)
          << a.metrics(s).set();
    }
  }
  for (const std::string& difference :
       CheckGolden("fig4_smoke", *results, EvaluationTolerances())) {
    ADD_FAILURE() << difference;
  }
}

// EvaluateLinearAndPermutedInto matches the permutation on a thread of its
// own while the plain path is evaluated (one intra-op thread, as the smoke
// spec sets): every number equals the sequential computation's.
TEST(Fig4SmokeTest, OverlappedMatchingChangesNoNumber) {
  auto setup = MakeSmokeSetup(SmokeModels::kCheckedIn);
  ASSERT_TRUE(setup.ok()) << setup.status();
  ASSERT_EQ(at::get_num_threads(), 1);
  const ExperimentContext& ctx = (*setup)->context;
  const double c = ctx.spec->cue_proportions(0);
  const int64_t seed = ctx.spec->seeds(0);
  auto theta_c = TrainEndpoint(*ctx.spec, *ctx.model, *ctx.dataset, c, seed,
                               ctx.cache, ctx.device, false);
  auto theta_nc = TrainEndpoint(*ctx.spec, *ctx.model, *ctx.dataset, 0.0, seed,
                                ctx.cache, ctx.device, false);
  ASSERT_TRUE(theta_c.ok()) << theta_c.status();
  ASSERT_TRUE(theta_nc.ok()) << theta_nc.status();
  const ParamMap& a = theta_c->params;
  const ParamMap& b = theta_nc->params;
  const std::vector<torch::Tensor> batches = PermutationBatches(ctx, c);

  PathResult linear, permuted;
  ASSERT_TRUE(
      EvaluateLinearAndPermutedInto(ctx, a, b, batches, c, &linear, &permuted)
          .ok());
  PathResult want_linear, want_permuted;
  EvaluatePathInto(ctx, LinearPath(a, b), c, &want_linear);
  auto perm = MatchActivations(*ctx.model, a, b, batches);
  ASSERT_TRUE(perm.ok()) << perm.status();
  EvaluatePathInto(ctx, LinearPath(a, ApplyPermutation(*ctx.model, b, *perm)),
                   c, &want_permuted);
  EXPECT_EQ(linear.SerializeAsString(), want_linear.SerializeAsString());
  EXPECT_EQ(permuted.SerializeAsString(), want_permuted.SerializeAsString());
  // The permuted path is not the plain one (the check compares something).
  EXPECT_NE(linear.SerializeAsString(), permuted.SerializeAsString());
}

// When the matching finds the identity permutation (here: b is a with every
// parameter scaled by 1.01, the same channels in the same order), the
// permuted path is copied from the linear one; its points and barriers equal
// those of evaluating the path to ApplyPermutation(b, identity) in full.
TEST(Fig4SmokeTest, IdentityMatchGivesTheEvaluatedNumbers) {
  auto setup = MakeSmokeSetup(SmokeModels::kCheckedIn);
  ASSERT_TRUE(setup.ok()) << setup.status();
  const ExperimentContext& ctx = (*setup)->context;
  const double c = ctx.spec->cue_proportions(0);
  auto theta_c =
      TrainEndpoint(*ctx.spec, *ctx.model, *ctx.dataset, c, ctx.spec->seeds(0),
                    ctx.cache, ctx.device, false);
  ASSERT_TRUE(theta_c.ok()) << theta_c.status();
  const ParamMap& a = theta_c->params;
  ParamMap b;
  for (const auto& [name, value] : a) {
    b[name] = value.is_floating_point() ? value * 1.01 : value.clone();
  }
  const std::vector<torch::Tensor> batches = PermutationBatches(ctx, c);
  auto perm = MatchActivations(*ctx.model, a, b, batches);
  ASSERT_TRUE(perm.ok()) << perm.status();
  ASSERT_EQ(*perm, IdentityPermutation(*ctx.model));

  PathResult linear, permuted;
  ASSERT_TRUE(
      EvaluateLinearAndPermutedInto(ctx, a, b, batches, c, &linear, &permuted)
          .ok());
  EXPECT_EQ(permuted.note(), kIdentityPermutationNote);
  EXPECT_EQ(linear.note(), "");
  PathResult want_permuted;
  EvaluatePathInto(ctx, LinearPath(a, ApplyPermutation(*ctx.model, b, *perm)),
                   c, &want_permuted);
  ASSERT_EQ(permuted.points_size(), ctx.spec->paths().num_points());
  ASSERT_EQ(permuted.points_size(), want_permuted.points_size());
  for (int i = 0; i < permuted.points_size(); ++i) {
    EXPECT_EQ(permuted.points(i).SerializeAsString(),
              want_permuted.points(i).SerializeAsString())
        << "point " << i;
  }
  ASSERT_EQ(permuted.barriers_size(), want_permuted.barriers_size());
  ASSERT_GT(permuted.barriers_size(), 0);
  for (int i = 0; i < permuted.barriers_size(); ++i) {
    EXPECT_EQ(permuted.barriers(i).SerializeAsString(),
              want_permuted.barriers(i).SerializeAsString())
        << "barrier " << i;
  }
  // Results that already hold points are refused, not appended to.
  PathResult fresh;
  EXPECT_EQ(
      EvaluateLinearAndPermutedInto(ctx, a, b, batches, c, &linear, &fresh)
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      EvaluateLinearAndPermutedInto(ctx, a, b, batches, c, &fresh, &permuted)
          .code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mmc
