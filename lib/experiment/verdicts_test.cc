// Tests of the claim verdicts (Fig3Verdicts, Fig4Verdicts, Table3Verdicts) on
// hand-built results: each asserted claim holds just inside its threshold
// and fails just outside, reads the set and path it names, and a missing
// input fails instead of passing. The thresholds are the quick tier's, read
// from specs/quick/fashion_box.textproto and pinned to QUICK_TIER.md's
// numbers, so a threshold typo in the spec fails here too.
#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/table3.h"
#include "lib/spec/spec_io.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

ClaimsSpec QuickClaims() {
  auto spec = LoadSpec("specs/quick/fashion_box.textproto");
  EXPECT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(RequireClaims(*spec).ok());
  return spec->claims();
}

TEST(ClaimsTest, QuickTierKeepsQuickTierMdNumbers) {
  const ClaimsSpec k = QuickClaims();
  // ../shared/QUICK_TIER.md, "Claims and verdicts".
  EXPECT_EQ(k.connected_max_barrier(), 0.15);
  EXPECT_EQ(k.connected_max_dip(), 3);
  EXPECT_EQ(k.barrier_min(), 0.5);
  EXPECT_EQ(k.barrier_min_dip(), 15);
  EXPECT_EQ(k.cue_reliant_min_c(), 99);
  EXPECT_EQ(k.cue_reliant_min_drop(), 25);
  EXPECT_EQ(k.cue_reliant_min_ri(), 40);
  EXPECT_EQ(k.no_cue_max_gap(), 3);
  EXPECT_EQ(k.no_cue_max_ri(), 5);
  EXPECT_EQ(k.quadratic_specificity_min(), 0.1);
  EXPECT_EQ(k.small_lr(), 0.001);
  EXPECT_EQ(k.small_lr_max_barrier(), 0.05);
  EXPECT_EQ(k.small_lr_min_drop(), 30);
  EXPECT_EQ(k.large_lr(), 0.1);
  EXPECT_EQ(k.large_lr_max_drop(), 5);
  EXPECT_EQ(k.ft_s_min_ri(), 50);
  EXPECT_EQ(k.cbft_max_drop(), 10);
  EXPECT_EQ(k.cbft_max_ri(), 15);
  EXPECT_TRUE(k.cbft_lowest_ri());
}

TEST(ClaimsTest, EveryShippedSpecStatesEveryThreshold) {
  for (const char* path :
       {"specs/smoke/fashion_box.textproto",
        "specs/quick/fashion_box.textproto", "specs/quick/dominoes.textproto",
        "specs/paper/resnet18_cifar10.textproto",
        "specs/paper/resnet18_cifar100.textproto",
        "specs/paper/resnet18_dominoes.textproto",
        "specs/paper/vgg13_cifar10.textproto",
        "specs/paper/vgg13_cifar100.textproto",
        "specs/paper/vgg13_dominoes.textproto"}) {
    auto spec = LoadSpec(path);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_TRUE(RequireClaims(*spec).ok()) << path;
    EXPECT_FALSE(spec->claims().source().empty()) << path;
  }
}

TEST(ClaimsTest, MissingThresholdIsAnErrorNamingIt) {
  auto spec = LoadSpec("specs/quick/fashion_box.textproto");
  ASSERT_TRUE(spec.ok());
  spec->mutable_claims()->clear_barrier_min();
  const absl::Status status = RequireClaims(*spec);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("claims.barrier_min"));
  spec->clear_claims();
  EXPECT_FALSE(RequireClaims(*spec).ok());
}

void AddMetric(google::protobuf::RepeatedPtrField<SetMetrics>* metrics,
               const std::string& set, double accuracy) {
  SetMetrics* m = metrics->Add();
  m->set_set(set);
  m->set_accuracy(accuracy);
}

ModelResult Model(const std::string& name, double c, double nc, double cc,
                  double rc, double ri, double lr = 0) {
  ModelResult m;
  m.set_name(name);
  m.set_cue_proportion(c);
  m.set_lr(lr);
  AddMetric(m.mutable_metrics(), "NC", nc);
  AddMetric(m.mutable_metrics(), "C", cc);
  AddMetric(m.mutable_metrics(), "RC", rc);
  AddMetric(m.mutable_metrics(), "RI", ri);
  return m;
}

// A path whose trC and trNC barriers are given separately.
PathResult Path(const std::string& kind, const std::string& pair, double c,
                double b_trc, double dip_trc, double b_trnc, double dip_trnc,
                double lr = 0) {
  PathResult p;
  p.set_path(kind);
  p.set_pair(pair);
  p.set_cue_proportion(c);
  p.set_lr(lr);
  PathBarrier* trc = p.add_barriers();
  trc->set_set("trC");
  trc->set_loss_barrier(b_trc);
  trc->set_accuracy_dip(dip_trc);
  PathBarrier* trnc = p.add_barriers();
  trnc->set_set("trNC");
  trnc->set_loss_barrier(b_trnc);
  trnc->set_accuracy_dip(dip_trnc);
  return p;
}

// The one verdict whose claim contains `text` (it must be unique).
const Verdict* Find(const std::vector<Verdict>& verdicts,
                    const std::string& text) {
  const Verdict* found = nullptr;
  for (const Verdict& v : verdicts) {
    if (v.claim().find(text) != std::string::npos) {
      EXPECT_EQ(found, nullptr) << "two verdicts match " << text;
      found = &v;
    }
  }
  EXPECT_NE(found, nullptr) << "no verdict matches " << text;
  return found;
}

bool Passes(const std::vector<Verdict>& verdicts, const std::string& text) {
  const Verdict* v = Find(verdicts, text);
  return v != nullptr && v->passed();
}

constexpr double kEps = 1e-6;

TEST(Fig3VerdictsTest, ThetaCReliesOnTheCueAtItsThresholds) {
  const ClaimsSpec k = QuickClaims();
  auto run = [&](double nc, double cc, double rc, double ri) {
    Fig3Results r;
    *r.add_endpoints() = Model("theta_C", 0.8, nc, cc, rc, ri);
    return Passes(Fig3Verdicts(r, k), "theta_C (c=0.8) relies on the cue");
  };
  EXPECT_TRUE(run(87, 99, 62, 40));  // C 99, RC = NC - 25, RI 40: inside.
  EXPECT_FALSE(run(87, 99 - kEps, 62, 40));
  EXPECT_FALSE(run(87, 99, 62 + kEps, 40));
  EXPECT_FALSE(run(87, 99, 62, 40 - kEps));
}

TEST(Fig3VerdictsTest, ThetaNcDoesNotRelyOnTheCue) {
  const ClaimsSpec k = QuickClaims();
  auto run = [&](double nc, double rc, double ri) {
    Fig3Results r;
    *r.add_endpoints() = Model("theta_NC", 0, nc, nc, rc, ri);
    return Passes(Fig3Verdicts(r, k), "theta_NC does not rely");
  };
  EXPECT_TRUE(run(91, 88, 5));
  EXPECT_TRUE(run(91, 94, 5));  // |NC - RC| is two-sided.
  EXPECT_FALSE(run(91, 88 - kEps, 5));
  EXPECT_FALSE(run(91, 94 + kEps, 5));
  EXPECT_FALSE(run(91, 91, 5 + kEps));
}

TEST(Fig3VerdictsTest, LinearBarrierReadsTrCAndNeedsBothNumbers) {
  const ClaimsSpec k = QuickClaims();
  auto run = [&](double b_trc, double dip_trc, double b_trnc) {
    Fig3Results r;
    *r.add_paths() =
        Path(kLinear, kMainPair, 0.8, b_trc, dip_trc, b_trnc, dip_trc);
    return Passes(Fig3Verdicts(r, k), "linear theta_C-theta_NC path");
  };
  EXPECT_TRUE(run(0.5, 15, 0.0));
  EXPECT_FALSE(run(0.5 - kEps, 15, 9.9));  // trNC's barrier does not count.
  EXPECT_FALSE(run(0.06, 40, 9.9));        // A 0.05 typo would pass this.
  EXPECT_FALSE(run(0.5, 15 - kEps, 0.0));
}

TEST(Fig3VerdictsTest, QuadraticPathsAreJudgedOnTheirOwnData) {
  const ClaimsSpec k = QuickClaims();
  auto run = [&](const char* kind, double b_trc, double dip_trc, double b_trnc,
                 double dip_trnc, const std::string& claim) {
    Fig3Results r;
    *r.add_paths() =
        Path(kind, kMainPair, 0.8, b_trc, dip_trc, b_trnc, dip_trnc);
    return Passes(Fig3Verdicts(r, k), claim);
  };
  const std::string cue = "quadratic path (w/ cue) connects";
  const std::string nocue = "quadratic path (w/o cue) connects";
  // w/ cue: trC.
  EXPECT_TRUE(run(kQuadraticCue, 0.15, 3, 9, 50, cue));
  EXPECT_FALSE(run(kQuadraticCue, 0.15 + kEps, 3, 0, 0, cue));
  EXPECT_FALSE(run(kQuadraticCue, 0.15, 3 + kEps, 0, 0, cue));
  // w/o cue: trNC, not trC.
  EXPECT_TRUE(run(kQuadraticNoCue, 9, 50, 0.15, 3, nocue));
  EXPECT_FALSE(run(kQuadraticNoCue, 0, 0, 0.15 + kEps, 3, nocue));
  EXPECT_FALSE(run(kQuadraticNoCue, 0, 0, 0.15, 3 + kEps, nocue));
  // Specificity: B(trNC) - B(trC) >= 0.1.
  const std::string specific = "is specific to its data";
  EXPECT_TRUE(run(kQuadraticCue, 0.0, 0, 0.1, 0, specific));
  EXPECT_FALSE(run(kQuadraticCue, 0.0, 0, 0.1 - kEps, 0, specific));
  EXPECT_FALSE(run(kQuadraticCue, 0.15, 0, 0.05, 0, specific));
}

TEST(Fig3VerdictsTest, AMissingSetFailsInsteadOfPassing) {
  const ClaimsSpec k = QuickClaims();
  Fig3Results r;
  PathResult p;  // A quadratic path with no barriers at all.
  p.set_path(kQuadraticCue);
  p.set_pair(kMainPair);
  p.set_cue_proportion(0.8);
  *r.add_paths() = p;
  const std::vector<Verdict> v = Fig3Verdicts(r, k);
  EXPECT_FALSE(Passes(v, "quadratic path (w/ cue) connects"));
  EXPECT_FALSE(Passes(v, "is specific to its data"));
  EXPECT_THAT(Find(v, "connects")->measured(), HasSubstr("nan"));
  EXPECT_TRUE(std::isnan(FindBarrier(p, "trC")->loss_barrier()));
}

TEST(Fig4VerdictsTest, SmallLrClaimReadsThePermutedPathOnTrC) {
  const ClaimsSpec k = QuickClaims();
  auto run = [&](double b_permuted, double b_plain, double nc, double rc) {
    Fig4Results r;
    *r.add_finetuned() = Model("theta_FT", 0.8, nc, 99, rc, 60, 0.001);
    *r.add_paths() = Path(kLinear, "theta_C-theta_FT lr=0.001", 0.8, b_plain, 0,
                          0, 0, 0.001);
    *r.add_paths() = Path(kLinearPermuted, "theta_C-theta_FT lr=0.001", 0.8,
                          b_permuted, 0, 9, 9, 0.001);
    return Passes(Fig4Verdicts(r, k), "small-LR FT stays linearly connected");
  };
  EXPECT_TRUE(run(0.05, 9.0, 87, 57));
  EXPECT_FALSE(run(0.05 + kEps, 0.0, 87, 57));  // The permuted path counts.
  EXPECT_FALSE(run(0.05, 0.0, 87, 57 + kEps));  // RC <= NC - 30.
}

TEST(Fig4VerdictsTest, LargeLrInvarianceAndTheReportedBarrier) {
  const ClaimsSpec k = QuickClaims();
  auto verdicts = [&](double lr, double nc, double rc, double b) {
    Fig4Results r;
    *r.add_finetuned() = Model("theta_FT", 0.8, nc, nc, rc, 3, lr);
    *r.add_paths() = Path(kLinear, "p", 0.8, 0, 0, 0, 0, lr);
    *r.add_paths() = Path(kLinearPermuted, "p", 0.8, b, 20, 0, 0, lr);
    return Fig4Verdicts(r, k);
  };
  EXPECT_TRUE(Passes(verdicts(0.1, 91, 86, 0), "becomes invariant"));
  EXPECT_FALSE(Passes(verdicts(0.1, 91, 86 - kEps, 0), "becomes invariant"));
  EXPECT_TRUE(Passes(verdicts(1.0, 91, 91, 0), "becomes invariant"));
  // Below large_lr no large-LR claim is made.
  for (const Verdict& v : verdicts(0.01, 91, 50, 0)) {
    EXPECT_THAT(v.claim(), ::testing::Not(HasSubstr("large-LR")));
  }
  const Verdict* breaks = Find(verdicts(0.1, 91, 91, 0.5), "breaks linear");
  ASSERT_NE(breaks, nullptr);
  EXPECT_FALSE(breaks->asserted());
  EXPECT_TRUE(breaks->passed());
  EXPECT_FALSE(
      Find(verdicts(0.1, 91, 91, 0.5 - kEps), "breaks linear")->passed());
}

Table3Entry Entry(const std::string& method, double nc, double cc, double rc,
                  double ri) {
  Table3Entry e;
  e.set_method(method);
  e.set_cue_proportion(0.8);
  for (double v : {nc, cc, rc, ri}) e.add_mean(v);
  return e;
}

Table3Results Table3(double cbft_nc, double cbft_rc, double cbft_ri,
                     double ft_s_ri, double lpft_ri) {
  Table3Results r;
  *r.add_entries() = Entry("FT_M", 86, 99, 30, 70);
  *r.add_entries() = Entry("FT_S", 86, 99, 25, ft_s_ri);
  *r.add_entries() = Entry("LLR", 80, 99, 40, 40);
  *r.add_entries() = Entry("LPFT", 85, 99, 50, lpft_ri);
  *r.add_entries() = Entry("CBFT", cbft_nc, 90, cbft_rc, cbft_ri);
  // Ablations never count as competitors (their RI may be lower).
  *r.add_entries() = Entry("CBFT (no barrier)", 86, 90, 85, 0.5);
  return r;
}

TEST(Table3VerdictsTest, ThresholdsAndTheRanking) {
  const ClaimsSpec k = QuickClaims();
  auto v = [&](double nc, double rc, double ri, double ft_s_ri,
               double lpft_ri) {
    return Table3Verdicts(Table3(nc, rc, ri, ft_s_ri, lpft_ri), k);
  };
  EXPECT_TRUE(Passes(v(86, 76, 15, 50, 30), "FT_S keeps the cue"));
  EXPECT_FALSE(Passes(v(86, 76, 15, 50 - kEps, 30), "FT_S keeps the cue"));
  EXPECT_TRUE(Passes(v(86, 76, 15, 50, 30), "CBFT removes the cue"));
  EXPECT_FALSE(Passes(v(86, 76 - kEps, 15, 50, 30), "CBFT removes the cue"));
  EXPECT_FALSE(Passes(v(86, 76, 15 + kEps, 50, 30), "CBFT removes the cue"));
  // Lowest RI of the five methods: LPFT at 15 ties, so CBFT is not lower.
  EXPECT_TRUE(Passes(v(86, 76, 15, 50, 15 + kEps), "lowest RI"));
  EXPECT_FALSE(Passes(v(86, 76, 15, 50, 15), "lowest RI"));
  EXPECT_TRUE(Find(v(86, 76, 15, 50, 30), "lowest RI")->asserted());
  ClaimsSpec reported = k;
  reported.set_cbft_lowest_ri(false);
  EXPECT_FALSE(
      Find(Table3Verdicts(Table3(86, 76, 15, 50, 30), reported), "lowest RI")
          ->asserted());
}

}  // namespace
}  // namespace mmc
