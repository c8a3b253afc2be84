// Sharding and --jobs: the smoke spec's work units run as shards (in one
// process, or as parallel child processes of //tasks:paper) and a render
// from their cache give the same numbers as one unsharded run in a fresh
// cache.
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/experiment/artifacts/registry.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/golden.h"
#include "lib/experiment/smoke_golden.h"
#include "lib/experiment/table2.h"
#include "lib/experiment/table3.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

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
  const auto units = WorkUnitsOf("paper", spec);
  // fig3: 4; fig4: 4; table3: 4 proportions x 2 seeds.
  ASSERT_EQ(units.size(), 16u);
  EXPECT_TRUE(units[0].spec.paths().control_pair());
  EXPECT_FALSE(units[1].spec.paths().control_pair());
  EXPECT_EQ(units[15].label, "table3 c=0.9 seed=1");
  EXPECT_EQ(units[15].spec.seeds_size(), 1);
}

// Runs the whole-paper binary on the smoke spec with `jobs` into a fresh
// cache and output directory (under the test's temporary directory).
std::string RunAll(int jobs) {
  const std::string dir = TestTmpPath(absl::StrCat("jobs", jobs));
  const std::string out = JoinPath(dir, "reports");
  EXPECT_TRUE(MakeDirs(out).ok());
  const std::string command = absl::StrCat(
      "tasks/paper --spec=specs/smoke/fashion_box.textproto --cache_dir=", dir,
      "/cache --out_dir=", out, " --jobs=", jobs, " > ", dir, "/log 2>&1");
  EXPECT_EQ(std::system(command.c_str()), 0)
      << command << ": see " << dir << "/log";
  return out;
}

template <typename Results>
void ExpectSameNumbers(const std::string& a_dir, const std::string& b_dir,
                       const std::string& name) {
  Results a, b;
  ASSERT_TRUE(ReadGolden(JoinPath(a_dir, name + ".json"), &a).ok()) << name;
  ASSERT_TRUE(ReadGolden(JoinPath(b_dir, name + ".json"), &b).ok()) << name;
  GoldenTolerances exact;  // Every number equal (1e-9).
  for (const auto& d : CompareToGolden(a, b, exact)) {
    ADD_FAILURE() << name << ": " << d;
  }
}

// --jobs=2 trains the work units in two child processes (--shard=i/3 each,
// training only) and then renders from the cache; --jobs=1 does everything
// in one process. Every report's numbers are equal: the parallel mode, the
// shards and the render change nothing (issue 15).
TEST(ShardingTest, ParallelJobsEqualOneProcess) {
  const std::string parallel = RunAll(2);
  const std::string serial = RunAll(1);
  // Each child left its log and its work tally.
  for (const char* name :
       {"paper_shard00_of03.log", "paper_shard02_of03.work"}) {
    const std::string path =
        JoinPath(TestTmpPath("jobs2"), JoinPath("cache/logs", name));
    EXPECT_TRUE(FileExists(path)) << "no child ran: " << path;
  }
  // The render found the children's models (none retrained by it).
  Fig3Results fig3;
  ASSERT_TRUE(ReadGolden(JoinPath(parallel, "fig3.json"), &fig3).ok());
  for (const ModelResult& m : fig3.endpoints()) {
    EXPECT_TRUE(m.from_cache()) << m.name();
  }
  ExpectSameNumbers<Fig3Results>(parallel, serial, "fig3");
  ExpectSameNumbers<Fig4Results>(parallel, serial, "fig4");
  ExpectSameNumbers<Table3Results>(parallel, serial, "table3");
  ExpectSameNumbers<Table2Results>(parallel, serial, "table2");
}

// The shards of one process, then the render, find every model: a unit
// trains everything its artifact needs, and evaluates no path.
TEST(ShardingTest, ShardsTrainEverythingTheRenderNeeds) {
  auto sharded = MakeSmokeSetup(SmokeModels::kTrainFromScratch);
  ASSERT_TRUE(sharded.ok()) << sharded.status();
  ExperimentContext ctx = (*sharded)->context;
  const auto units = WorkUnitsOf("paper", (*sharded)->spec);
  ASSERT_EQ(units.size(), 3u);
  for (int shard = 0; shard < 2; ++shard) {
    ASSERT_TRUE(RunShard(ctx, units, shard, 2).ok());
  }
  ctx.cache->set_training_enabled(false);
  auto fig3 = RunFig3(ctx);
  auto fig4 = RunFig4(ctx);
  auto table3 = RunTable3(ctx);
  ASSERT_TRUE(fig3.ok()) << fig3.status();
  ASSERT_TRUE(fig4.ok()) << fig4.status();
  ASSERT_TRUE(table3.ok()) << table3.status();
  for (const ModelResult& m : fig3->endpoints()) EXPECT_TRUE(m.from_cache());
  EXPECT_EQ(fig3->paths_size(), 8);  // Evaluated by the render.
  // A unit alone evaluates no path.
  ExperimentContext unit_ctx = ctx;
  unit_ctx.evaluate_paths = false;
  auto fig3_unit = RunFig3(unit_ctx);
  auto fig4_unit = RunFig4(unit_ctx);
  ASSERT_TRUE(fig3_unit.ok() && fig4_unit.ok());
  EXPECT_EQ(fig3_unit->paths_size(), 0);
  EXPECT_EQ(fig4_unit->paths_size(), 0);
  EXPECT_EQ(fig4_unit->finetuned_size(), fig4->finetuned_size());
}

TEST(ShardingTest, BadShardIsAnError) {
  auto setup = MakeSmokeSetup(SmokeModels::kTrainFromScratch);
  ASSERT_TRUE(setup.ok());
  EXPECT_FALSE(RunShard((*setup)->context, {}, 2, 2).ok());
  EXPECT_FALSE(RunShard((*setup)->context, {}, 0, 0).ok());
}

}  // namespace
}  // namespace mmc
