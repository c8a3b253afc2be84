// Path report helpers: figure stems (the index links them by name, so the
// stem must be the file the figure is written to).
#include "lib/report/path_report.h"

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(PathReportTest, PlotStemReplacesSpacesAndSlashes) {
  EXPECT_EQ(PathPlotStem("fig3", "Quadratic w/ Cue"), "fig3_Quadratic_w__Cue");
  EXPECT_EQ(PathPlotStem("pair", "Linear Permuted"), "pair_Linear_Permuted");
  EXPECT_EQ(PathPlotStem("fig3", "Linear"), "fig3_Linear");
}

}  // namespace
}  // namespace mmc
