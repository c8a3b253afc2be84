// Regression check: the Fig. 4 pipeline on the smoke spec (two learning
// rates, five points per path) against testdata/fig4_smoke.json.
#include "gtest/gtest.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/smoke_golden.h"

namespace mmc {
namespace {

TEST(Fig4SmokeTest, MatchesGolden) {
  auto setup = MakeSmokeSetup();
  ASSERT_TRUE(setup.ok()) << setup.status();
  auto results = RunFig4((*setup)->context);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->endpoints_size(), 1);
  EXPECT_EQ(results->finetuned_size(), 2);
  ASSERT_EQ(results->paths_size(), 2);
  // The path starts at theta_C: its t = 0 point is theta_C after a BN reset
  // on its own training mix, which keeps its cue reliance (C near 100).
  EXPECT_GT(results->paths(0).points(0).metrics(1).accuracy(), 90.0);
  for (const std::string& difference : CheckGolden("fig4_smoke", *results)) {
    ADD_FAILURE() << difference;
  }
}

}  // namespace
}  // namespace mmc
