// Tests of fig4_report.h: the sentence naming the fine-tunings whose
// permutation matching returned the identity.
#include "lib/experiment/artifacts/fig4_report.h"

#include "gtest/gtest.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/fig4.h"
#include "lib/paths/kinds/linear.h"

namespace mmc {
namespace {

PathResult* AddPath(Fig4Results* r, const char* kind, double c, double lr) {
  PathResult* p = r->add_paths();
  p->set_path(kind);
  p->set_cue_proportion(c);
  p->set_lr(lr);
  return p;
}

TEST(Fig4ReportTest, NamesTheIdentityMatchesAmongThePermutedPaths) {
  Fig4Results r;
  AddPath(&r, kLinear, 0.6, 0.001);
  AddPath(&r, kLinearPermuted, 0.6, 0.001)->set_note(kIdentityPermutationNote);
  // A plain path with the note (not a permuted one) is not counted.
  AddPath(&r, kLinear, 0.6, 1.0)->set_note(kIdentityPermutationNote);
  AddPath(&r, kLinearPermuted, 0.6, 1.0);
  AddPath(&r, kLinearPermuted, 0.8, 0.01)->set_note(kIdentityPermutationNote);
  EXPECT_EQ(IdentityMatchesMarkdown(r),
            "Permutation matching returned the identity for 2 of 3 theta_FT "
            "(c=60% " +
                LrLabel(0.001) + ", c=80% " + LrLabel(0.01) +
                "): they kept theta_C's channel order, so their path after "
                "permutation is the plain one (its numbers copied, not "
                "evaluated twice).\n\n");
}

TEST(Fig4ReportTest, SaysNothingWithoutIdentityMatches) {
  Fig4Results r;
  AddPath(&r, kLinear, 0.6, 1.0);
  AddPath(&r, kLinearPermuted, 0.6, 1.0)->set_note("some other note");
  EXPECT_EQ(IdentityMatchesMarkdown(r), "");
}

}  // namespace
}  // namespace mmc
