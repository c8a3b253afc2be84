// Sharding: running the smoke spec's work units as N shards in sequence
// against one cache, then rendering, gives the same numbers as one
// unsharded run in a fresh cache.
#include <cstdlib>

#include "gtest/gtest.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/golden.h"
#include "lib/experiment/smoke_golden.h"
#include "lib/experiment/table3.h"
#include "lib/util/test_tmpdir.h"
#include "tasks/artifacts.h"

namespace mmc {
namespace {

TEST(ShardingTest, UnitsCoverEveryProportionAndSeed) {
  auto setup = MakeSmokeSetup(SmokeModels::kTrainFromScratch);
  ASSERT_TRUE(setup.ok()) << setup.status();
  Spec spec = (*setup)->spec;
  spec.clear_cue_proportions();
  for (double c : {0.6, 0.7, 0.8, 0.9}) spec.add_cue_proportions(c);
  spec.clear_seeds();
  spec.add_seeds(0);
  spec.add_seeds(1);
  const auto units = WorkUnits("all", spec);
  // fig3: 4; fig4: 4; table3: 4 proportions x 2 seeds.
  ASSERT_EQ(units.size(), 16u);
  EXPECT_TRUE(units[0].spec.paths().control_pair());
  EXPECT_FALSE(units[1].spec.paths().control_pair());
  EXPECT_EQ(units[15].label, "table3 c=0.9 seed=1");
  EXPECT_EQ(units[15].spec.seeds_size(), 1);
}

TEST(ShardingTest, ShardsThenRenderEqualsOneRun) {
  auto sharded = MakeSmokeSetup(SmokeModels::kTrainFromScratch);
  ASSERT_TRUE(sharded.ok()) << sharded.status();
  const ExperimentContext& ctx = (*sharded)->context;
  const auto units = WorkUnits("all", (*sharded)->spec);
  ASSERT_EQ(units.size(), 3u);
  for (int shard = 0; shard < 2; ++shard) {
    ASSERT_TRUE(RunShard(ctx, units, shard, 2).ok());
  }
  // The render finds every model in the cache.
  auto fig3 = RunFig3(ctx);
  auto fig4 = RunFig4(ctx);
  auto table3 = RunTable3(ctx);
  ASSERT_TRUE(fig3.ok() && fig4.ok() && table3.ok());
  for (const ModelResult& m : fig3->endpoints()) EXPECT_TRUE(m.from_cache());

  // One unsharded run in a fresh cache.
  RunCache fresh(TestTmpPath("fresh_cache"));
  ExperimentContext other = ctx;
  other.cache = &fresh;
  auto fig3_direct = RunFig3(other);
  auto fig4_direct = RunFig4(other);
  auto table3_direct = RunTable3(other);
  ASSERT_TRUE(fig3_direct.ok() && fig4_direct.ok() && table3_direct.ok());
  GoldenTolerances exact;  // Every number equal (1e-9).
  for (const auto& d : CompareToGolden(*fig3, *fig3_direct, exact))
    ADD_FAILURE() << d;
  for (const auto& d : CompareToGolden(*fig4, *fig4_direct, exact))
    ADD_FAILURE() << d;
  for (const auto& d : CompareToGolden(*table3, *table3_direct, exact))
    ADD_FAILURE() << d;
}

TEST(ShardingTest, BadShardIsAnError) {
  auto setup = MakeSmokeSetup(SmokeModels::kTrainFromScratch);
  ASSERT_TRUE(setup.ok());
  EXPECT_FALSE(RunShard((*setup)->context, {}, 2, 2).ok());
  EXPECT_FALSE(RunShard((*setup)->context, {}, 0, 0).ok());
}

}  // namespace
}  // namespace mmc
