// Regression check (evaluation layer, smoke_golden.h): the Fig. 3 pipeline
// on the smoke spec (real Fashion-MNIST, a tenth of the data, one cue
// proportion, five points per path) over the checked-in smoke models,
// against testdata/fig3_smoke.json with EvaluationTolerances(); plus exact
// invariants that need no golden.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/smoke_golden.h"
#include "lib/paths/bn_reset.h"
#include "lib/runs/endpoints.h"
#include "lib/train/evaluate.h"

namespace mmc {
namespace {

TEST(Fig3SmokeTest, MatchesGolden) {
  auto setup = MakeSmokeSetup(SmokeModels::kCheckedIn);
  ASSERT_TRUE(setup.ok()) << setup.status();
  auto results = RunFig3((*setup)->context);
  ASSERT_TRUE(results.ok()) << results.status();
  // Structure: 2 endpoints + control, 4 paths each for the pair and control.
  EXPECT_EQ(results->endpoints_size(), 3);
  EXPECT_EQ(results->paths_size(), 8);
  for (const PathResult& p : results->paths()) {
    EXPECT_EQ(p.points_size(), 5) << p.path();
  }
  // Exact invariants (no golden): every path of a pair runs between the same
  // two models, each evaluated after a BN reset on the same data, so the
  // t = 0 and t = 1 evaluations coincide; the permuted path's t = 0 is a
  // permutation of theta_a (the same function up to float summation order).
  for (const char* pair : {kMainPair, kControlPair}) {
    const double c = pair == std::string(kMainPair) ? 0.8 : 0.0;
    const PathResult* linear = FindPath(*results, pair, kLinear, c);
    ASSERT_NE(linear, nullptr) << pair;
    for (const char* kind : {kLinearPermuted, kQuadraticCue, kQuadraticNoCue}) {
      const PathResult* other = FindPath(*results, pair, kind, c);
      ASSERT_NE(other, nullptr) << pair << " " << kind;
      for (int end : {0, 4}) {
        const PathPoint& a = linear->points(end);
        const PathPoint& b = other->points(end);
        ASSERT_EQ(a.metrics_size(), b.metrics_size());
        for (int s = 0; s < a.metrics_size(); ++s) {
          const std::string where = absl::StrCat(pair, " ", kind, " t=", end,
                                                 " ", a.metrics(s).set());
          if (end == 0 && kind == std::string(kLinearPermuted)) {
            EXPECT_NEAR(a.metrics(s).loss(), b.metrics(s).loss(), 1e-4)
                << where;
            EXPECT_NEAR(a.metrics(s).accuracy(), b.metrics(s).accuracy(), 0.4)
                << where;  // At most two of 500 predictions flip.
          } else {
            EXPECT_EQ(a.metrics(s).loss(), b.metrics(s).loss()) << where;
            EXPECT_EQ(a.metrics(s).accuracy(), b.metrics(s).accuracy())
                << where;
          }
        }
      }
    }
  }
  // The evaluation sets still carry the science for these models: theta_NC's
  // RI near or below chance (10%: RI's image is of another class), theta_C
  // reads the cue (a misplaced cue or a swapped view breaks these).
  for (const ModelResult& m : results->endpoints()) {
    std::vector<SetMetrics> metrics(m.metrics().begin(), m.metrics().end());
    if (m.name() == "theta_NC") {
      EXPECT_LE(AccuracyOf(metrics, "RI"), 15.0);
    }
    if (m.name() == "theta_C") {
      // Relative to NC, not an absolute 97: the smoke theta_C trains for a
      // few steps only, and a change of float rounding alone (NHWC training,
      // issue 15) moved its C from 99.0 to 96.8; a cue that is missing or
      // misplaced leaves C near NC (about 78 here).
      EXPECT_GE(AccuracyOf(metrics, "C"), AccuracyOf(metrics, "NC") + 10);
      EXPECT_LE(AccuracyOf(metrics, "RC"), AccuracyOf(metrics, "NC") - 10);
    }
  }
  // The path's t = 0 is theta_C after a BatchNorm reset on theta_C's own
  // training mix (eval.bn_reset_data TRAIN_MIX at c), not on cued or clean
  // images: recompute it by hand and compare on every set.
  {
    const SmokeSetup& s = **setup;
    ASSERT_EQ(s.spec.eval().bn_reset_data(), EvalSpec::TRAIN_MIX);
    auto theta_c =
        TrainEndpoint(s.spec, *s.model, *s.dataset, 0.8, s.spec.seeds(0),
                      s.cache.get(), s.context.device,
                      /*progress=*/false);
    ASSERT_TRUE(theta_c.ok()) << theta_c.status();
    ASSERT_TRUE(theta_c->from_cache);
    ParamMap reset = CloneParams(theta_c->params);
    ResetBatchNorm(
        *s.model,
        s.dataset
            ->Materialize(View::kTrainMix, s.spec.eval().bn_reset_size(), 0.8)
            .x.to(s.context.device),
        s.spec.eval().batch_size(), s.spec.eval().bn_reset_mode(), &reset);
    const PathPoint& t0 =
        FindPath(*results, kMainPair, kLinear, 0.8)->points(0);
    for (const auto& [name, batch] : s.sets->sets()) {
      const Metrics m =
          Evaluate(*s.model, reset, batch, s.spec.eval().batch_size());
      for (const SetMetrics& got : t0.metrics()) {
        if (got.set() != name) continue;
        // EvaluatePath folds BN into the convs: float rounding only.
        EXPECT_NEAR(got.loss(), m.loss, 1e-4) << name;
        EXPECT_NEAR(got.accuracy(), m.accuracy, 0.4) << name;
      }
    }
  }
  for (const std::string& difference :
       CheckGolden("fig3_smoke", *results, EvaluationTolerances())) {
    ADD_FAILURE() << difference;
  }
}

}  // namespace
}  // namespace mmc
