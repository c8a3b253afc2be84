// reports/index.md: one line per artifact, the throughput table with the
// parallel training row and a total that sums every row, and every claim
// with its artifact's plots (or the headline where it has no verdicts).
#include "lib/experiment/artifacts/index_report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

Verdict MakeClaim(const std::string& claim, bool passed) {
  Verdict v;
  v.set_claim(claim);
  v.set_asserted(true);
  v.set_passed(passed);
  v.set_measured("m");
  v.set_threshold("t");
  return v;
}

TEST(IndexReportTest, RowsTotalsClaimsAndPlots) {
  Spec spec;
  spec.set_name("quick: test");
  RunInfo info;
  info.set_wall_seconds(400);
  ArtifactSummary units;
  units.name = "work units (3 in 2 processes)";
  units.seconds = 100;
  units.work.train_images = 1000000;
  units.work.train_seconds = 150;
  ArtifactSummary fig3;
  fig3.name = "fig3";
  fig3.title = "Fig. 3";
  fig3.report = "fig3.md";
  fig3.seconds = 200;
  fig3.headline = "1 of 2 asserted claims hold";
  fig3.verdicts = {MakeClaim("first claim", true),
                   MakeClaim("second claim", false)};
  fig3.plots = {{"Linear", "fig3_Linear.png"}};
  fig3.work.path_images = 2000000;
  fig3.work.path_seconds = 100;
  ArtifactSummary table2;
  table2.name = "table2";
  table2.title = "Table 2";
  table2.report = "table2.md";
  table2.seconds = 100;
  table2.headline = "6 of 6 measured marks agree";
  const std::string md = IndexReport(spec, info, &units, {fig3, table2});

  EXPECT_NE(md.find("| fig3 | [fig3.md](fig3.md) | 1 of 2 asserted claims "
                    "hold |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| work units (3 in 2 processes) | 100 s | 1.00M |"),
            std::string::npos)
      << md;
  // The units' 100 s ran alongside fig3's 200 and table2's 100: 300 s;
  // 1M trained + 2M on paths; training 150 s of 300, paths 100.
  EXPECT_NE(md.find("| all artifacts | 300 s | 3.00M | 10000 | 50% (6667 "
                    "img/s) | 33% (20000 img/s) | 17% |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("### Fig. 3\n\n"), std::string::npos) << md;
  EXPECT_NE(md.find("first claim"), std::string::npos) << md;
  EXPECT_NE(md.find("second claim"), std::string::npos) << md;
  EXPECT_NE(md.find("Plots: [Linear](fig3_Linear.png)"), std::string::npos)
      << md;
  EXPECT_NE(md.find("### Table 2\n\nSee [table2.md](table2.md): 6 of 6 "
                    "measured marks agree.\n"),
            std::string::npos)
      << md;
  // Without parallel training there is no units row.
  const std::string serial = IndexReport(spec, info, nullptr, {fig3});
  EXPECT_EQ(serial.find("work units"), std::string::npos) << serial;
}

}  // namespace
}  // namespace mmc
