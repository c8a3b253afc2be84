// The artifact registry: names are unique and exact, inputs come before the
// artifact that reads them, work units narrow the spec as each artifact
// says, and every artifact plans the shipped quick spec without data.
#include "lib/experiment/artifacts/registry.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "lib/experiment/plan.h"
#include "lib/models/model.h"
#include "lib/spec/spec_io.h"

namespace mmc {
namespace {

Spec QuickSpec() {
  absl::StatusOr<Spec> spec = LoadSpec("specs/quick/fashion_box.textproto");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : Spec();
}

TEST(ArtifactRegistryTest, NamesAreUniqueAndLookupIsExact) {
  std::set<std::string> names;
  for (const Artifact* a : Artifacts()) {
    EXPECT_TRUE(names.insert(a->name()).second) << a->name();
    EXPECT_EQ(FindArtifact(a->name()), a);
    EXPECT_FALSE(a->title().empty()) << a->name();
  }
  // The paper's artifacts and the ladder are registered (others may be).
  for (const char* name : {"fig3", "fig4", "table3", "table2", "ladder"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
  }
  EXPECT_EQ(FindArtifact("Fig3"), nullptr);
  EXPECT_EQ(FindArtifact("paper"), nullptr);
  EXPECT_EQ(FindArtifact(""), nullptr);
}

TEST(ArtifactRegistryTest, InputsComeFirstAndAreInThePaper) {
  std::set<std::string> seen;
  for (const Artifact* a : Artifacts()) {
    for (const std::string& input : a->inputs()) {
      EXPECT_EQ(seen.count(input), 1u)
          << a->name() << " reads " << input << ", registered after it";
      const Artifact* in = FindArtifact(input);
      ASSERT_NE(in, nullptr) << input;
      EXPECT_TRUE(!a->in_paper() || in->in_paper()) << input;
    }
    seen.insert(a->name());
  }
  EXPECT_EQ(FindArtifact("table2")->inputs(),
            (std::vector<std::string>{"fig3", "fig4", "table3"}));
}

TEST(ArtifactRegistryTest, PaperUnitsAreTheTrainingArtifactsInOrder) {
  Spec spec = QuickSpec();
  spec.clear_cue_proportions();
  for (double c : {0.6, 0.9}) spec.add_cue_proportions(c);
  spec.mutable_finetune()->clear_table3_cue_proportions();
  spec.clear_seeds();
  spec.add_seeds(0);
  spec.add_seeds(1);
  const std::vector<WorkUnit> units = WorkUnitsOf("paper", spec);
  // fig3: 2; fig4: 2; table3: 2 proportions x 2 seeds; no ladder.
  ASSERT_EQ(units.size(), 8u);
  EXPECT_EQ(units[0].artifact, "fig3");
  EXPECT_EQ(units[0].label, "fig3 c=0.6");
  EXPECT_TRUE(units[0].spec.paths().control_pair());
  EXPECT_FALSE(units[1].spec.paths().control_pair());
  EXPECT_EQ(units[1].spec.cue_proportions_size(), 1);
  EXPECT_EQ(units[1].spec.cue_proportions(0), 0.9);
  EXPECT_EQ(units[2].label, "fig4 c=0.6");
  EXPECT_EQ(units[7].label, "table3 c=0.9 seed=1");
  EXPECT_EQ(units[7].spec.seeds_size(), 1);
  EXPECT_EQ(units[7].spec.seeds(0), 1);
  EXPECT_EQ(WorkUnitsOf("table2", spec).size(), 0u);
  EXPECT_EQ(WorkUnitsOf("no such artifact", spec).size(), 0u);
  EXPECT_EQ(WorkUnitsOf("ladder", spec).size(),
            static_cast<size_t>(spec.ladder().rungs_size()));
}

TEST(ArtifactRegistryTest, BadUnitsAndShardsAreErrors) {
  ExperimentContext context;
  const absl::Status unknown =
      RunWorkUnit(context, WorkUnit{"fig5", "fig5 c=0.8", Spec()});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("registered: fig3, fig4"), std::string::npos)
      << unknown;
  EXPECT_FALSE(
      FindArtifact("table2")->RunUnit(context).ok());  // Trains nothing.
  EXPECT_EQ(RunShard(context, {}, 2, 2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunShard(context, {}, -1, 2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RunShard(context, {}, 0, 2).ok());
}

TEST(ArtifactRegistryTest, EveryArtifactPlansTheQuickSpec) {
  const Spec spec = QuickSpec();
  const DatasetFacts facts = FactsOf(spec.dataset().kind());
  absl::StatusOr<std::unique_ptr<Model>> model =
      Model::Create(spec.model(), facts.channels, facts.classes);
  ASSERT_TRUE(model.ok()) << model.status();
  for (const Artifact* a : Artifacts()) {
    const std::string plan = a->Plan(spec, **model);
    EXPECT_FALSE(plan.empty()) << a->name();
    EXPECT_EQ(plan.find("cannot run"), std::string::npos) << plan;
  }
  // Fig. 3 counts one path per registered kind and pair (4 proportions + the
  // control pair on the quick spec).
  const std::string fig3 = FindArtifact("fig3")->Plan(spec, **model);
  EXPECT_NE(fig3.find("paths: 20,"), std::string::npos) << fig3;
}

}  // namespace
}  // namespace mmc
