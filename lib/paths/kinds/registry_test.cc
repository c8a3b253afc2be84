// Tests for lib/paths/kinds/registry.h: Fig. 3's four kinds in the paper's
// order, names unique, lookups exact (an unknown name is nullptr, never the
// first entry), and the quadratic kinds (only) train a midpoint.
#include "lib/paths/kinds/registry.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "lib/paths/kinds/linear.h"
#include "lib/paths/kinds/quadratic.h"
#include "lib/spec/spec.pb.h"

namespace mmc {
namespace {

TEST(PathKindRegistryTest, FigureThreeKindsInOrder) {
  std::vector<std::string> names;
  std::set<std::string> unique;
  for (const PathKind& kind : PathKinds()) {
    names.push_back(kind.name);
    unique.insert(kind.name);
    EXPECT_NE(kind.build, nullptr) << kind.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{kLinear, kLinearPermuted,
                                             kQuadraticCue, kQuadraticNoCue}));
  EXPECT_EQ(unique.size(), names.size());
}

TEST(PathKindRegistryTest, FindIsExact) {
  ASSERT_NE(FindPathKind(kQuadraticNoCue), nullptr);
  EXPECT_STREQ(FindPathKind(kQuadraticNoCue)->name, kQuadraticNoCue);
  EXPECT_EQ(FindPathKind("linear"), nullptr);
  EXPECT_EQ(FindPathKind(""), nullptr);
}

TEST(PathKindRegistryTest, OnlyQuadraticKindsTrainAMidpoint) {
  EXPECT_EQ(FindPathKind(kLinear)->trained_run, nullptr);
  EXPECT_EQ(FindPathKind(kLinear)->trained_with, nullptr);
  EXPECT_EQ(FindPathKind(kLinearPermuted)->trained_run, nullptr);
  Spec spec;
  spec.mutable_paths()->mutable_quadratic()->set_epochs(7);
  EXPECT_EQ(FindPathKind(kQuadraticCue)->trained_with(spec).epochs(), 7);
  EXPECT_STREQ(FindPathKind(kQuadraticCue)->trained_run, "midpoint w/ cue");
  EXPECT_STREQ(FindPathKind(kQuadraticNoCue)->trained_run, "midpoint w/o cue");
}

}  // namespace
}  // namespace mmc
