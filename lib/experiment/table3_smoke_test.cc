// Regression check (evaluation layer, smoke_golden.h): the Table 3 pipeline
// on the smoke spec (one cue proportion, one seed, every method) over the
// checked-in smoke models, against testdata/table3_smoke.json; plus the
// paper's bold rule.
#include "gtest/gtest.h"
#include "lib/experiment/smoke_golden.h"
#include "lib/experiment/table3.h"
#include "lib/finetune/finetune.h"

namespace mmc {
namespace {

TEST(Table3Test, BestPerColumnFollowsThePapersRule) {
  // NC highest; C and RC closest to NC; RI lowest.
  const std::vector<std::vector<double>> rows = {
      {75.7, 98.4, 23.6, 83.4},  // FT_M (paper, C-10 60%)
      {75.8, 98.7, 17.5, 90.1},  // FT_S
      {74.1, 71.5, 73.4, 8.75},  // CBFT
  };
  EXPECT_EQ(BestPerColumn(rows), (std::vector<int>{1, 2, 2, 2}));
}

TEST(Table3SmokeTest, MatchesGolden) {
  auto setup = MakeSmokeSetup(SmokeModels::kCheckedIn);
  ASSERT_TRUE(setup.ok()) << setup.status();
  auto results = RunTable3((*setup)->context);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->theta_c_size(), 1);
  EXPECT_EQ(results->runs_size(), static_cast<int>(Methods().size()));
  EXPECT_EQ(results->entries_size(), static_cast<int>(Methods().size()));
  for (const std::string& difference :
       CheckGolden("table3_smoke", *results, EvaluationTolerances())) {
    ADD_FAILURE() << difference;
  }
}

}  // namespace
}  // namespace mmc
