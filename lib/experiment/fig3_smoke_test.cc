// Regression check: the Fig. 3 pipeline on the smoke spec (real
// Fashion-MNIST, a tenth of the data, one cue proportion, five points per
// path) against testdata/fig3_smoke.json, with SmokeTolerances().
#include "gtest/gtest.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/smoke_golden.h"

namespace mmc {
namespace {

TEST(Fig3SmokeTest, MatchesGolden) {
  auto setup = MakeSmokeSetup();
  ASSERT_TRUE(setup.ok()) << setup.status();
  auto results = RunFig3((*setup)->context);
  ASSERT_TRUE(results.ok()) << results.status();
  // Structure: 2 endpoints + control, 4 paths each for the pair and control.
  EXPECT_EQ(results->endpoints_size(), 3);
  EXPECT_EQ(results->paths_size(), 8);
  for (const PathResult& p : results->paths()) {
    EXPECT_EQ(p.points_size(), 5) << p.path();
  }
  for (const std::string& difference : CheckGolden("fig3_smoke", *results)) {
    ADD_FAILURE() << difference;
  }
}

}  // namespace
}  // namespace mmc
