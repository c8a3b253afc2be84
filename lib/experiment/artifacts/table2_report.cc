// Implementation of lib/experiment/artifacts/table2_report.h.
#include "lib/experiment/artifacts/table2_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/experiment/artifacts/report_common.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/table2.h"
#include "lib/report/markdown.h"
#include "lib/report/provenance.h"

namespace mmc {

std::string Table2Report(const Spec& spec, const Table2Results& r,
                         const std::vector<std::string>& sources) {
  std::string md = absl::StrFormat(
      "# Table 2: mechanistic (dis)similarity and connectivity\n\n%s\n",
      spec.name());
  md += ProvenanceMarkdown(r.info());
  absl::StrAppendFormat(&md, "- derived from: %s\n\n",
                        absl::StrJoin(sources, "; "));
  const ClaimsSpec& k = spec.claims();
  absl::StrAppendFormat(
      &md,
      "Invariance (Def. 3): a model is invariant to an intervention when its "
      "counterfactual loss equals the factual one within %g nats: to the "
      "cue when |L(RC) - L(NC)| <= %g, to the image when |L(RI) - L(C)| <= "
      "%g (the image randomised under the same cue). The same test on "
      "accuracy (within %g points) is the second column. Mechanistic "
      "similarity (Def. 4): equal invariance sets (by loss). A path "
      "connects two models when %s (loss barrier in nats, accuracy dip in "
      "points) on trC (trNC for the theta_NC control pair), the tier's one "
      "definition, also used by Fig. 3 and Fig. 4. Linear connectivity is "
      "taken up to permutation where the permuted path was built "
      "(Conjecture 1). A path is mechanistically connected when its own "
      "t = 0 and t = 1 points (BatchNorm reset like every point) have the "
      "same invariance set and every point on it keeps that set. ",
      k.invariance_max_loss_gap(), k.invariance_max_loss_gap(),
      k.invariance_max_loss_gap(), k.invariance_max_accuracy_gap(),
      ConnectedThreshold(k));
  md += ClaimsSourceMarkdown(spec);
  md +=
      "\nChanged in issue 13: invariance was by accuracy only, and \"image\" "
      "meant RI > chance + 10 (any partly cue-reliant model counted as "
      "image-invariant); mechanistic connectivity compared path points with "
      "the endpoints under their own BatchNorm statistics; the headline "
      "counted marks that agree by construction. That version found 7 of 8 "
      "marks in agreement and 8 contradicting pairs on the quick box "
      "tier.\n\n";
  md += "## The paper's Table 2 beside ours\n\n";
  MarkdownTable table({"", "column", "paper", "measured", "pairs behind it",
                       "pairs disagreeing with the paper"});
  for (const Table2Mark& m : r.marks()) {
    std::string measured = "not measured";
    if (m.measured() > 0) {
      const std::string mark = MajorityMark(m);
      measured = absl::StrFormat("%s %d of %d pairs", mark,
                                 mark == "✓" ? m.yes() : m.measured() - m.yes(),
                                 m.measured());
    }
    table.AddRow(
        {m.similar() ? "Mechanistically Similar" : "Mechanistically Dissimilar",
         m.column(), m.paper(),
         m.by_construction() ? measured + " (agrees by construction)"
                             : measured,
         absl::StrJoin(m.pairs(), "; "),
         m.disagreeing_size() == 0 ? "none"
                                   : absl::StrJoin(m.disagreeing(), "; ")});
  }
  md += table.Render();
  absl::StrAppendFormat(&md, "\n## Pairs that contradict Conjecture 1 (%d)\n\n",
                        r.contradictions_size());
  if (r.contradictions_size() == 0) md += "None.\n";
  for (const std::string& c : r.contradictions())
    absl::StrAppendFormat(&md, "- %s\n", c);
  md += "\n## Every pair\n\n";
  MarkdownTable pairs({"pair", "from", "invariances (loss)",
                       "invariances (accuracy)", "similar", "data", "linear",
                       "permuted", "quadratic", "lin. mech.", "quad. mech.",
                       "B linear", "B permuted", "B quadratic"});
  for (const PairAssessment& p : r.pairs()) {
    pairs.AddRow(
        {p.pair(), p.source(),
         absl::StrCat(p.invariances_a(), " vs ", p.invariances_b()),
         absl::StrCat(p.invariances_a_by_accuracy(), " vs ",
                      p.invariances_b_by_accuracy()),
         p.similar() ? "yes" : "no", p.data(), p.linear(), p.linear_permuted(),
         p.quadratic(), p.linear_mech(), p.quadratic_mech(),
         p.has_linear_barrier() ? Fixed(p.linear_barrier(), 3) : "n/a",
         p.has_permuted_barrier() ? Fixed(p.permuted_barrier(), 3) : "n/a",
         p.has_quadratic_barrier() ? Fixed(p.quadratic_barrier(), 3) : "n/a"});
  }
  md += pairs.Render();
  return md;
}

}  // namespace mmc
