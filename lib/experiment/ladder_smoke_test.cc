// Regression check (evaluation layer, smoke_golden.h): the scale ladder on
// the smoke spec's two tiny rungs (x1/16 for 1 epoch, and the spec's own
// x1/8 for 2 epochs) over the checked-in smoke models, against
// testdata/ladder_smoke.json; plus the invariants that tie it to Fig. 3 and
// Fig. 4: the spec's own rung reproduces fig3_smoke.json's and
// fig4_smoke.json's paths (same models, same code), and permuting a model
// does not change what it computes.
#include <string>

#include "gtest/gtest.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/golden.h"
#include "lib/experiment/ladder.h"
#include "lib/experiment/smoke_golden.h"

namespace mmc {
namespace {

// The metrics of point `i` of `a` and `b` agree (losses 1e-4 nats, float
// rounding of permuted sums; accuracies within one of 500 predictions).
void ExpectSamePoint(const PathResult& a, int i, const PathResult& b, int j,
                     const std::string& what) {
  const PathPoint& p = a.points(i);
  const PathPoint& q = b.points(j);
  ASSERT_EQ(p.metrics_size(), q.metrics_size()) << what;
  for (int s = 0; s < p.metrics_size(); ++s) {
    EXPECT_NEAR(p.metrics(s).loss(), q.metrics(s).loss(), 1e-4)
        << what << " " << p.metrics(s).set();
    EXPECT_NEAR(p.metrics(s).accuracy(), q.metrics(s).accuracy(), 0.2)
        << what << " " << p.metrics(s).set();
  }
}

TEST(LadderSmokeTest, MatchesGoldenAndFig3Fig4) {
  auto setup = MakeSmokeSetup(SmokeModels::kCheckedIn);
  ASSERT_TRUE(setup.ok()) << setup.status();
  const Spec& spec = (*setup)->spec;
  const double c = spec.ladder().cue_proportion();
  const double lr = spec.ladder().finetune_lr();
  auto results = RunLadder((*setup)->context);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->rungs_size(), 2);
  // Sorted by width: x1/16 first, and a narrower network has fewer
  // parameters.
  EXPECT_EQ(results->rungs(0).width(), 0.0625);
  EXPECT_EQ(results->rungs(1).width(), 0.125);
  EXPECT_LT(results->rungs(0).parameters(), results->rungs(1).parameters());
  for (const LadderRungResult& rung : results->rungs()) {
    EXPECT_EQ(rung.fig3().endpoints_size(), 3);
    EXPECT_EQ(rung.fig3().paths_size(), 4);  // 2 pairs x (linear, permuted)
    EXPECT_EQ(rung.fig4().finetuned_size(), 1);
    EXPECT_EQ(rung.fig4().paths_size(), 2);
    EXPECT_EQ(rung.verdicts_size(), 4);
    // Permuting theta_C onto theta_NC leaves its function: both main-pair
    // paths start at the same network (after the same BN reset).
    const PathResult* linear = FindPath(rung.fig3(), kMainPair, kLinear, c);
    const PathResult* permuted =
        FindPath(rung.fig3(), kMainPair, kLinearPermuted, c);
    ASSERT_NE(linear, nullptr);
    ASSERT_NE(permuted, nullptr);
    ExpectSamePoint(*linear, 0, *permuted, 0, "theta_C, permuted or not");
  }
  EXPECT_EQ(results->conclusions_size(), 4);

  // The spec's own rung is Fig. 3 and Fig. 4 on the same models.
  const LadderRungResult& own = results->rungs(1);
  Fig3Results fig3;
  Fig4Results fig4;
  ASSERT_TRUE(ReadGolden("testdata/fig3_smoke.json", &fig3).ok());
  ASSERT_TRUE(ReadGolden("testdata/fig4_smoke.json", &fig4).ok());
  for (const auto& [pair, pc] : std::vector<std::pair<std::string, double>>{
           {kMainPair, c}, {kControlPair, 0.0}}) {
    for (const char* kind : {kLinear, kLinearPermuted}) {
      const PathResult* ours = FindPath(own.fig3(), pair, kind, pc);
      const PathResult* theirs = FindPath(fig3, pair, kind, pc);
      ASSERT_NE(ours, nullptr) << pair << " " << kind;
      ASSERT_NE(theirs, nullptr) << pair << " " << kind;
      ASSERT_EQ(ours->points_size(), theirs->points_size());
      for (int i = 0; i < ours->points_size(); ++i) {
        ExpectSamePoint(*ours, i, *theirs, i, pair + " " + kind);
      }
    }
  }
  for (const char* kind : {kLinear, kLinearPermuted}) {
    const PathResult* ours = FindFig4Path(own.fig4(), c, lr, kind);
    const PathResult* theirs = FindFig4Path(fig4, c, lr, kind);
    ASSERT_NE(ours, nullptr) << kind;
    ASSERT_NE(theirs, nullptr) << kind;
    for (int i = 0; i < ours->points_size(); ++i) {
      ExpectSamePoint(*ours, i, *theirs, i, std::string("fig4 ") + kind);
    }
  }

  for (const std::string& difference :
       CheckGolden("ladder_smoke", *results, EvaluationTolerances())) {
    ADD_FAILURE() << difference;
  }
}

}  // namespace
}  // namespace mmc
