// Tests for lib/experiment/table2.h: invariance sets of known counterfactual
// profiles, and Table 2 marks and Conjecture 1 contradictions from
// hand-built results.
#include "lib/experiment/table2.h"

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(Table2Test, InvarianceSets) {
  // theta_NC (QUICK_TIER.md): invariant to the cue, relies on the image.
  EXPECT_EQ(InvarianceSet(91.0, 90.8, 90.6, 1.0, 10), "{cue}");
  // theta_C 80%: relies on the cue, keeps accuracy when the image changes.
  EXPECT_EQ(InvarianceSet(86.8, 100.0, 37.3, 61.2, 10), "{image}");
  // Tolerances: |RC - NC| <= 5 and RI > chance + 10 = 20.
  EXPECT_EQ(InvarianceSet(80.0, 80.0, 75.0, 20.0, 10), "{cue}");
  EXPECT_EQ(InvarianceSet(80.0, 80.0, 74.9, 20.1, 10), "{image}");
}

ModelResult Model(const std::string& name, double c, double nc, double cc,
                  double rc, double ri) {
  ModelResult m;
  m.set_name(name);
  m.set_cue_proportion(c);
  const char* sets[] = {"NC", "C", "RC", "RI"};
  const double values[] = {nc, cc, rc, ri};
  for (int k = 0; k < 4; ++k) {
    SetMetrics* s = m.add_metrics();
    s->set_set(sets[k]);
    s->set_accuracy(values[k]);
  }
  return m;
}

PathResult Path(const std::string& path, const std::string& pair, double c,
                double barrier, double dip) {
  PathResult p;
  p.set_path(path);
  p.set_pair(pair);
  p.set_cue_proportion(c);
  for (const char* set : {"trC", "trNC"}) {
    PathBarrier* b = p.add_barriers();
    b->set_set(set);
    b->set_loss_barrier(barrier);
    b->set_accuracy_dip(dip);
  }
  return p;
}

TEST(Table2Test, MarksAndContradictionsFromFig3) {
  Fig3Results fig3;
  *fig3.add_endpoints() = Model("theta_NC", 0, 91, 91, 90, 1);
  *fig3.add_endpoints() = Model("theta_C", 0.8, 87, 100, 37, 61);
  *fig3.add_endpoints() = Model("theta_NC'", 0, 90, 90, 90, 1);
  // Dissimilar pair: linear barrier, but linearly connected after
  // permutation (a Conjecture 1 contradiction); quadratic connects.
  *fig3.add_paths() = Path(kLinear, kMainPair, 0.8, 2.0, 60);
  *fig3.add_paths() = Path(kLinearPermuted, kMainPair, 0.8, 0.1, 2);
  *fig3.add_paths() = Path(kQuadraticCue, kMainPair, 0.8, 0.0, 0);
  // Similar control pair: not linearly connected even after permutation.
  *fig3.add_paths() = Path(kLinear, kControlPair, 0.0, 1.7, 50);
  *fig3.add_paths() = Path(kLinearPermuted, kControlPair, 0.0, 0.3, 6);
  *fig3.add_paths() = Path(kQuadraticNoCue, kControlPair, 0.0, 0.05, 1);
  ExperimentContext ctx;  // No model or cache: Table 3 pairs are skipped.
  auto t2 = RunTable2(ctx, fig3, Fig4Results(), Table3Results());
  ASSERT_TRUE(t2.ok()) << t2.status();
  ASSERT_EQ(t2->pairs_size(), 2);
  EXPECT_FALSE(t2->pairs(0).similar());
  EXPECT_EQ(t2->pairs(0).linear(), "no");
  EXPECT_EQ(t2->pairs(0).linear_permuted(), "yes");
  EXPECT_EQ(t2->pairs(0).quadratic(), "yes");
  EXPECT_TRUE(t2->pairs(1).similar());
  EXPECT_EQ(t2->pairs(1).linear_permuted(), "no");
  EXPECT_EQ(t2->contradictions_size(), 2);
  // Dissimilar x "Linearly Mode Connected": 1 of 1 (the paper says ✗).
  bool found = false;
  for (const Table2Mark& m : t2->marks()) {
    if (!m.similar() && m.column() == "Linearly Mode Connected") {
      found = true;
      EXPECT_EQ(m.paper(), "✗");
      EXPECT_EQ(m.yes(), 1);
      EXPECT_EQ(m.measured(), 1);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace mmc
