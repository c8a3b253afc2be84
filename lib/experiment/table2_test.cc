// Tests for lib/experiment/table2.h: Def. 3 invariance sets from losses and
// accuracies, the path-relative mechanistic-connectivity check, and Table 2
// marks and Conjecture 1 contradictions from hand-built results.
#include "lib/experiment/table2.h"

#include "gtest/gtest.h"

namespace mmc {
namespace {

ClaimsSpec Claims() {
  ClaimsSpec k;
  k.set_connected_max_barrier(0.15);
  k.set_connected_max_dip(3);
  k.set_invariance_max_loss_gap(0.1);
  k.set_invariance_max_accuracy_gap(5);
  return k;
}

TEST(Table2Test, InvarianceSetsFollowDef3) {
  // theta_NC (QUICK_TIER.md accuracies): invariant to the cue (RC ~ NC);
  // not to the image (RI at chance vs C 90.8).
  EXPECT_EQ(InvarianceSet({91.0, 90.8, 90.6, 1.0}, 5), "{cue}");
  // theta_C 80%: neither: RC far below NC, and C 100 vs RI 61.2 is not
  // image-invariance (the old rule RI > chance + 10 called it {image}).
  EXPECT_EQ(InvarianceSet({86.8, 100.0, 37.3, 61.2}, 5), "{}");
  // A cue reader keeps its accuracy when the image is randomised.
  EXPECT_EQ(InvarianceSet({40.0, 100.0, 10.0, 99.0}, 5), "{image}");
  // Both, and the tolerance edges (inclusive): |RC - NC| = 5, |RI - C| = 5.
  EXPECT_EQ(InvarianceSet({80.0, 80.0, 75.0, 75.0}, 5), "{cue, image}");
  EXPECT_EQ(InvarianceSet({80.0, 80.0, 74.9, 74.9}, 5), "{}");
  // Counterfactual above factual counts the same as below.
  EXPECT_EQ(InvarianceSet({0.30, 0.30, 0.39, 2.0}, 0.1), "{cue}");
  EXPECT_EQ(InvarianceSet({0.30, 0.30, 0.41, 2.0}, 0.1), "{}");
  // A missing set (NaN) is never invariant.
  EXPECT_EQ(InvarianceSet({NAN, 80.0, 80.0, 80.0}, 5), "{image}");
}

void AddSet(google::protobuf::RepeatedPtrField<SetMetrics>* metrics,
            const std::string& set, double accuracy, double loss) {
  SetMetrics* s = metrics->Add();
  s->set_set(set);
  s->set_accuracy(accuracy);
  s->set_loss(loss);
}

// Losses NC, C, RC, RI; accuracies derived so accuracy and loss disagree
// only where a test says so.
ModelResult Model(const std::string& name, double c,
                  std::array<double, 4> losses,
                  std::array<double, 4> accuracies) {
  ModelResult m;
  m.set_name(name);
  m.set_cue_proportion(c);
  const char* sets[] = {"NC", "C", "RC", "RI"};
  for (int k = 0; k < 4; ++k) {
    AddSet(m.mutable_metrics(), sets[k], accuracies[k], losses[k]);
  }
  return m;
}

// A cue-invariant profile (theta_NC-like) and a cue-reliant one.
constexpr std::array<double, 4> kNcLoss = {0.30, 0.31, 0.32, 6.0};
constexpr std::array<double, 4> kNcAcc = {91, 91, 90, 1};
constexpr std::array<double, 4> kCLoss = {0.50, 0.01, 2.50, 1.20};
constexpr std::array<double, 4> kCAcc = {87, 100, 37, 61};

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

void AddPoint(PathResult* path, double t, std::array<double, 4> losses) {
  PathPoint* point = path->add_points();
  point->set_t(t);
  const char* sets[] = {"NC", "C", "RC", "RI"};
  for (int k = 0; k < 4; ++k)
    AddSet(point->mutable_metrics(), sets[k], 50, losses[k]);
}

TEST(Table2Test, MechanisticConnectivityIsRelativeToThePathsOwnEnds) {
  const ClaimsSpec k = Claims();
  EXPECT_EQ(MechanisticallyConnected(nullptr, k), "n/a");
  PathResult path;
  // Both ends cue-invariant after the path's own BN reset, and the middle.
  AddPoint(&path, 0.0, kNcLoss);
  AddPoint(&path, 0.5, {0.40, 0.40, 0.45, 5.0});
  AddPoint(&path, 1.0, kNcLoss);
  EXPECT_EQ(MechanisticallyConnected(&path, k), "yes");
  // A middle point that relies on the cue breaks it.
  PathResult broken = path;
  for (SetMetrics& m : *broken.mutable_points(1)->mutable_metrics()) {
    if (m.set() == "RC") m.set_loss(1.0);
  }
  EXPECT_EQ(MechanisticallyConnected(&broken, k), "no");
  // Ends with different sets: not connected, even if every point equals t=0.
  PathResult ends_differ = path;
  for (SetMetrics& m : *ends_differ.mutable_points(2)->mutable_metrics()) {
    if (m.set() == "RC") m.set_loss(2.0);
  }
  EXPECT_EQ(MechanisticallyConnected(&ends_differ, k), "no");
}

TEST(Table2Test, MarksAndContradictionsFromFig3) {
  Fig3Results fig3;
  *fig3.add_endpoints() = Model("theta_NC", 0, kNcLoss, kNcAcc);
  *fig3.add_endpoints() = Model("theta_C", 0.8, kCLoss, kCAcc);
  *fig3.add_endpoints() = Model("theta_NC'", 0, kNcLoss, kNcAcc);
  // Dissimilar pair: linear barrier, but linearly connected after
  // permutation (a Conjecture 1 contradiction); quadratic connects.
  *fig3.add_paths() = Path(kLinear, kMainPair, 0.8, 2.0, 60);
  *fig3.add_paths() = Path(kLinearPermuted, kMainPair, 0.8, 0.1, 2);
  *fig3.add_paths() = Path(kQuadraticCue, kMainPair, 0.8, 0.0, 0);
  // Similar control pair: not linearly connected even after permutation
  // (dip 6 > 3 although B 0.1 <= 0.15).
  *fig3.add_paths() = Path(kLinear, kControlPair, 0.0, 1.7, 50);
  *fig3.add_paths() = Path(kLinearPermuted, kControlPair, 0.0, 0.1, 6);
  *fig3.add_paths() = Path(kQuadraticNoCue, kControlPair, 0.0, 0.05, 1);
  ExperimentContext ctx;  // No model or cache: Table 3 pairs are skipped.
  auto t2 = RunTable2(ctx, Claims(), fig3, Fig4Results(), Table3Results());
  ASSERT_TRUE(t2.ok()) << t2.status();
  ASSERT_EQ(t2->pairs_size(), 2);
  EXPECT_EQ(t2->pairs(0).invariances_a(), "{}");
  EXPECT_EQ(t2->pairs(0).invariances_b(), "{cue}");
  EXPECT_FALSE(t2->pairs(0).similar());
  EXPECT_EQ(t2->pairs(0).linear(), "no");
  EXPECT_EQ(t2->pairs(0).linear_permuted(), "yes");
  EXPECT_EQ(t2->pairs(0).quadratic(), "yes");
  EXPECT_TRUE(t2->pairs(1).similar());
  EXPECT_EQ(t2->pairs(1).linear_permuted(), "no");
  EXPECT_EQ(t2->contradictions_size(), 2);
  int by_construction = 0;
  bool found = false;
  for (const Table2Mark& m : t2->marks()) {
    by_construction += m.by_construction();
    if (!m.similar() && m.column() == "Linearly Mode Connected") {
      // Dissimilar x "Linearly Mode Connected": 1 of 1 (the paper says ✗),
      // and that pair is listed as disagreeing.
      found = true;
      EXPECT_EQ(m.paper(), "✗");
      EXPECT_EQ(m.yes(), 1);
      EXPECT_EQ(m.measured(), 1);
      ASSERT_EQ(m.disagreeing_size(), 1);
      EXPECT_EQ(m.disagreeing(0), "theta_C-theta_NC c=0.8");
    }
    if (m.by_construction()) {
      EXPECT_FALSE(m.similar());
      EXPECT_NE(m.column().find("Mech."), std::string::npos);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(by_construction, 2);
}

TEST(Table2Test, TighterConnectivityThresholdChangesTheMark) {
  Fig3Results fig3;
  *fig3.add_endpoints() = Model("theta_NC", 0, kNcLoss, kNcAcc);
  *fig3.add_endpoints() = Model("theta_C", 0.8, kCLoss, kCAcc);
  *fig3.add_paths() = Path(kLinearPermuted, kMainPair, 0.8, 0.1, 2);
  ClaimsSpec k = Claims();
  auto loose =
      RunTable2(ExperimentContext(), k, fig3, Fig4Results(), Table3Results());
  ASSERT_TRUE(loose.ok());
  EXPECT_EQ(loose->pairs(0).linear_permuted(), "yes");
  k.set_connected_max_barrier(0.05);  // The claims are read, not constants.
  auto tight =
      RunTable2(ExperimentContext(), k, fig3, Fig4Results(), Table3Results());
  ASSERT_TRUE(tight.ok());
  EXPECT_EQ(tight->pairs(0).linear_permuted(), "no");
}

}  // namespace
}  // namespace mmc
