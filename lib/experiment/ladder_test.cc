// Unit tests of lib/experiment/ladder.h without data: spec validation, the
// rung specs (and that the quick spec's own rung reuses //tasks:fig3's cached
// endpoints), rung order and labels, each claim's verdict on hand-made
// results, and the conclusions.
#include "lib/experiment/ladder.h"

#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/experiment/fig4.h"
#include "lib/runs/endpoints.h"
#include "lib/spec/spec_io.h"

namespace mmc {
namespace {

Spec QuickSpec() {
  auto spec = LoadSpec("specs/quick/fashion_box.textproto");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

LadderRung Rung(double width, int epochs) {
  LadderRung r;
  r.set_width(width);
  r.set_epochs(epochs);
  return r;
}

TEST(LadderSpecTest, QuickSpecHasAValidLadder) {
  const Spec spec = QuickSpec();
  EXPECT_TRUE(ValidateLadder(spec).ok()) << ValidateLadder(spec);
  EXPECT_GE(spec.ladder().rungs_size(), 2);
}

TEST(LadderSpecTest, BadLaddersAreErrorsNamingTheProblem) {
  const Spec good = QuickSpec();
  auto expect_error = [&](const std::function<void(Spec*)>& edit,
                          const std::string& needle) {
    Spec spec = good;
    edit(&spec);
    const absl::Status s = ValidateLadder(spec);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << needle;
    EXPECT_NE(std::string(s.message()).find(needle), std::string::npos)
        << s.message();
  };
  expect_error([](Spec* s) { s->mutable_ladder()->clear_rungs(); },
               "at least one rung");
  expect_error(
      [](Spec* s) { s->mutable_ladder()->mutable_rungs(1)->set_width(0); },
      "rungs[1]: width");
  expect_error(
      [](Spec* s) { s->mutable_ladder()->mutable_rungs(0)->clear_epochs(); },
      "rungs[0]: epochs");
  expect_error(
      [](Spec* s) { *s->mutable_ladder()->add_rungs() = s->ladder().rungs(0); },
      "repeats rungs[0]");
  expect_error([](Spec* s) { s->mutable_ladder()->set_cue_proportion(0); },
               "cue_proportion");
  expect_error([](Spec* s) { s->mutable_ladder()->set_cue_proportion(1.5); },
               "cue_proportion");
  expect_error([](Spec* s) { s->mutable_ladder()->clear_finetune_lr(); },
               "finetune_lr is required");
  expect_error([](Spec* s) { s->mutable_ladder()->set_finetune_lr(0.01); },
               "below claims.large_lr");
  expect_error([](Spec* s) { s->clear_seeds(); }, "seed");
}

TEST(LadderSpecTest, MilestoneEpochsScaleWithTheRungsEpochs) {
  Spec spec = QuickSpec();
  spec.mutable_train()->set_epochs(100);
  ScheduleSpec* schedule = spec.mutable_train()->mutable_schedule();
  schedule->clear_milestone_fractions();
  schedule->add_milestone_epochs(40);
  schedule->add_milestone_epochs(80);
  const Spec short_rung = RungSpec(spec, Rung(1.0, 30));
  ASSERT_EQ(short_rung.train().schedule().milestone_epochs_size(), 2);
  EXPECT_EQ(short_rung.train().schedule().milestone_epochs(0), 12);
  EXPECT_EQ(short_rung.train().schedule().milestone_epochs(1), 24);
  const Spec own = RungSpec(spec, Rung(1.0, 100));
  EXPECT_EQ(CanonicalText(own.train()), CanonicalText(spec.train()));
}

TEST(LadderSpecTest, RungSpecChangesWidthEpochsAndNothingElse) {
  const Spec quick = QuickSpec();
  const Spec rung = RungSpec(quick, Rung(0.25, 10));
  EXPECT_EQ(rung.model().width(), 0.25);
  EXPECT_EQ(rung.train().epochs(), 10);
  ASSERT_EQ(rung.cue_proportions_size(), 1);
  EXPECT_EQ(rung.cue_proportions(0), quick.ladder().cue_proportion());
  ASSERT_EQ(rung.finetune().fig4_lrs_size(), 1);
  EXPECT_EQ(rung.finetune().fig4_lrs(0), quick.ladder().finetune_lr());
  EXPECT_EQ(rung.ladder().rungs_size(), 1);
  // Everything that trains a model, other than width and epochs, is the
  // spec's: the same learning rate, batch, schedule, data, seeds.
  TrainSpec train = rung.train();
  train.set_epochs(quick.train().epochs());
  EXPECT_EQ(CanonicalText(train), CanonicalText(quick.train()));
  EXPECT_EQ(CanonicalText(rung.dataset()), CanonicalText(quick.dataset()));
  EXPECT_EQ(CanonicalText(rung.finetune().fig4()),
            CanonicalText(quick.finetune().fig4()));
  EXPECT_EQ(CanonicalText(rung.eval()), CanonicalText(quick.eval()));
}

TEST(LadderSpecTest, TheSpecsOwnRungReusesItsCachedModels) {
  const Spec quick = QuickSpec();
  const double c = quick.ladder().cue_proportion();
  const Spec own =
      RungSpec(quick, Rung(quick.model().width(), quick.train().epochs()));
  for (double cue : {0.0, c}) {
    EXPECT_EQ(CanonicalText(EndpointKey(own, cue, 0)),
              CanonicalText(EndpointKey(quick, cue, 0)));
  }
  // Another width or training length is another model.
  EXPECT_NE(CanonicalText(EndpointKey(RungSpec(quick, Rung(0.25, 3)), c, 0)),
            CanonicalText(EndpointKey(quick, c, 0)));
  EXPECT_NE(CanonicalText(EndpointKey(RungSpec(quick, Rung(0.125, 10)), c, 0)),
            CanonicalText(EndpointKey(quick, c, 0)));
}

TEST(LadderSpecTest, RungsSortByWidthThenEpochs) {
  Spec spec = QuickSpec();
  spec.mutable_ladder()->clear_rungs();
  for (const LadderRung& r :
       {Rung(0.5, 3), Rung(0.125, 10), Rung(0.25, 3), Rung(0.125, 3)}) {
    *spec.mutable_ladder()->add_rungs() = r;
  }
  const std::vector<LadderRung> sorted = SortedRungs(spec);
  ASSERT_EQ(sorted.size(), 4u);
  EXPECT_EQ(RungLabel(sorted[0].width(), sorted[0].epochs()), "x1/8, 3 epochs");
  EXPECT_EQ(RungLabel(sorted[1].width(), sorted[1].epochs()),
            "x1/8, 10 epochs");
  EXPECT_EQ(RungLabel(sorted[2].width(), sorted[2].epochs()), "x1/4, 3 epochs");
  EXPECT_EQ(RungLabel(sorted[3].width(), sorted[3].epochs()), "x1/2, 3 epochs");
  EXPECT_EQ(RungLabel(1.0, 1), "x1, 1 epoch");
  EXPECT_EQ(RungLabel(1.5, 2), "x1.5, 2 epochs");
  EXPECT_EQ(RungLabel(0.3, 2), "x0.3, 2 epochs");
}

// Hand-made results of one rung: endpoint accuracies and trC barriers.
struct FakeRung {
  double theta_c_drop = 45;  // NC - RC of theta_C
  double control_gap = 1;    // |NC - RC| of theta_NC and theta_NC'
  double linear = 1.0;       // B(trC) of the main pair, plain linear
  double main_permuted = 0.8;
  double control_permuted = 0.05;
  double ft_drop = 2;  // NC - RC of theta_FT
  double ft_permuted = 0.7;
  bool drop_control_path = false;
};

void AddModel(const std::string& name, double c, double nc, double rc,
              double ri, google::protobuf::RepeatedPtrField<ModelResult>* to) {
  ModelResult* m = to->Add();
  m->set_name(name);
  m->set_cue_proportion(c);
  for (const auto& [set, acc] : std::vector<std::pair<std::string, double>>{
           {"NC", nc}, {"C", 100.0}, {"RC", rc}, {"RI", ri}}) {
    SetMetrics* s = m->add_metrics();
    s->set_set(set);
    s->set_accuracy(acc);
  }
}

void AddPath(const std::string& pair, const std::string& kind, double c,
             double lr, double barrier,
             google::protobuf::RepeatedPtrField<PathResult>* to) {
  PathResult* p = to->Add();
  p->set_pair(pair);
  p->set_path(kind);
  p->set_cue_proportion(c);
  p->set_lr(lr);
  // The verdicts read trC; trNC is set far off so reading it would show.
  for (const auto& [set, b] : std::vector<std::pair<std::string, double>>{
           {"trC", barrier}, {"trNC", 5.0 - barrier}}) {
    PathBarrier* pb = p->add_barriers();
    pb->set_set(set);
    pb->set_loss_barrier(b);
    // Dips follow barriers: 40 points per nat.
    pb->set_accuracy_dip(40 * b);
  }
}

LadderRungResult MakeRung(const Spec& spec, const FakeRung& f, double width,
                          int epochs) {
  const double c = spec.ladder().cue_proportion();
  const double lr = spec.ladder().finetune_lr();
  LadderRungResult r;
  r.set_width(width);
  r.set_epochs(epochs);
  Fig3Results* fig3 = r.mutable_fig3();
  AddModel("theta_C", c, 88, 88 - f.theta_c_drop, 60,
           fig3->mutable_endpoints());
  AddModel("theta_NC", 0, 90, 90 - f.control_gap, 1, fig3->mutable_endpoints());
  AddModel("theta_NC'", 0, 90, 90 - f.control_gap, 1,
           fig3->mutable_endpoints());
  AddPath(kMainPair, kLinear, c, 0, f.linear, fig3->mutable_paths());
  AddPath(kMainPair, kLinearPermuted, c, 0, f.main_permuted,
          fig3->mutable_paths());
  AddPath(kControlPair, kLinear, 0, 0, 1.2, fig3->mutable_paths());
  if (!f.drop_control_path) {
    AddPath(kControlPair, kLinearPermuted, 0, 0, f.control_permuted,
            fig3->mutable_paths());
  }
  Fig4Results* fig4 = r.mutable_fig4();
  AddModel("theta_FT", c, 89, 89 - f.ft_drop, 2, fig4->mutable_finetuned());
  fig4->mutable_finetuned(0)->set_lr(lr);
  AddPath("theta_C-theta_FT lr=0.1", kLinear, c, lr, 0.9,
          fig4->mutable_paths());
  AddPath("theta_C-theta_FT lr=0.1", kLinearPermuted, c, lr, f.ft_permuted,
          fig4->mutable_paths());
  return r;
}

std::map<std::string, bool> Passed(const std::vector<Verdict>& verdicts) {
  std::map<std::string, bool> out;
  for (const Verdict& v : verdicts) {
    EXPECT_FALSE(v.asserted()) << v.claim();
    out[v.claim()] = v.passed();
  }
  return out;
}

TEST(LadderVerdictsTest, EveryClaimHoldsOnAConjectureShapedRung) {
  const Spec spec = QuickSpec();
  const auto passed =
      Passed(RungVerdicts(MakeRung(spec, FakeRung(), 0.5, 3), spec));
  ASSERT_EQ(passed.size(), 4u);
  EXPECT_TRUE(passed.at(kLadderEndpointsClaim));
  EXPECT_TRUE(passed.at(kLadderLinearClaim));
  EXPECT_TRUE(passed.at(kLadderConjectureClaim));
  EXPECT_TRUE(passed.at(kLadderLargeLrClaim));
}

TEST(LadderVerdictsTest, EachClaimFailsOnItsOwnNumbers) {
  const Spec spec = QuickSpec();
  auto check = [&](FakeRung f, const char* failing) {
    const auto passed = Passed(RungVerdicts(MakeRung(spec, f, 0.5, 3), spec));
    for (const auto& [claim, ok] : passed) {
      EXPECT_EQ(ok, claim != failing) << claim << " with " << failing;
    }
  };
  FakeRung f;
  // The quick tier's measured picture: permutation connects both pairs.
  f.main_permuted = 0.2;
  check(f, kLadderConjectureClaim);
  // The control pair keeps a barrier after permutation.
  f = FakeRung();
  f.control_permuted = 0.3;
  check(f, kLadderConjectureClaim);
  // A missing control path is a failure, never a vacuous pass.
  f = FakeRung();
  f.drop_control_path = true;
  check(f, kLadderConjectureClaim);
  f = FakeRung();
  f.linear = 0.3;
  check(f, kLadderLinearClaim);
  // Large-LR FT stays connected after permutation (the quick tier's B <=
  // 0.001), or keeps the cue.
  f = FakeRung();
  f.ft_permuted = 0.001;
  check(f, kLadderLargeLrClaim);
  f = FakeRung();
  f.ft_drop = 20;
  check(f, kLadderLargeLrClaim);
  f = FakeRung();
  f.theta_c_drop = 5;
  check(f, kLadderEndpointsClaim);
  f = FakeRung();
  f.control_gap = 10;
  check(f, kLadderEndpointsClaim);
}

TEST(LadderConclusionsTest, NamesTheFirstRungOrTheLargest) {
  const Spec spec = QuickSpec();
  LadderResults results;
  FakeRung small;
  small.main_permuted = 0.2;  // Conjecture 1 fails at the small rungs.
  small.ft_permuted = 0.0;
  for (const auto& [width, epochs, f] :
       std::vector<std::tuple<double, int, FakeRung>>{
           {0.125, 3, small}, {0.25, 3, FakeRung()}, {0.5, 3, small}}) {
    LadderRungResult* r = results.add_rungs();
    *r = MakeRung(spec, f, width, epochs);
    for (const Verdict& v : RungVerdicts(*r, spec)) *r->add_verdicts() = v;
  }
  const std::vector<std::string> s = LadderConclusions(results, spec);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], absl::StrCat(kLadderLinearClaim,
                               ": first holds at x1/8, 3 epochs (3 of 3 "
                               "rungs)."));
  EXPECT_EQ(s[1], absl::StrCat(kLadderConjectureClaim,
                               ": first holds at x1/4, 3 epochs (1 of 3 "
                               "rungs)."));
  EXPECT_EQ(s[2], absl::StrCat(kLadderLargeLrClaim,
                               ": first holds at x1/4, 3 epochs (1 of 3 "
                               "rungs)."));
  // Permuted B(trC): 0.2 vs control 0.05, 0.8 vs 0.05, 0.2 vs 0.05.
  EXPECT_EQ(s[3],
            "After permutation, theta_C-theta_NC's B(trC) is above the "
            "control's at 3 of 3 rungs; from x1/8, 3 epochs to x1/2, 3 epochs "
            "it goes from 0.200 to 0.200 nats, the control's from 0.050 to "
            "0.050.");
  for (LadderRungResult& r : *results.mutable_rungs()) {
    for (Verdict& v : *r.mutable_verdicts()) {
      if (v.claim() == kLadderConjectureClaim) v.set_passed(false);
    }
  }
  EXPECT_EQ(LadderConclusions(results, spec)[1],
            absl::StrCat(kLadderConjectureClaim,
                         ": not reached up to x1/2, 3 epochs (0 of 3 "
                         "rungs)."));
}

}  // namespace
}  // namespace mmc
