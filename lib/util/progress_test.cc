// ProgressMeter: n of N, elapsed and the ETA at the mean pace so far.
#include "lib/util/progress.h"

#include <sstream>

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(ProgressMeterTest, LineHasCountElapsedAndEta) {
  // 3 of 12 done in 30 s: 10 s each, 9 left -> 90 s.
  EXPECT_EQ(ProgressMeter::Line("fig3", 3, 12, "c=0.7 Linear", 30.0),
            "fig3: [3/12] c=0.7 Linear (30 s so far, ETA 90 s)\n");
  // The last item has no ETA.
  EXPECT_EQ(ProgressMeter::Line("table2", 12, 12, "done", 125.0),
            "table2: [12/12] done (125 s so far)\n");
}

TEST(ProgressMeterTest, CountsEveryItemAndPrintsOnlyWhenEnabled) {
  std::ostringstream out;
  ProgressMeter meter("fig4", 2, /*enabled=*/true, &out);
  meter.Done("a");
  meter.Done("b");
  EXPECT_EQ(meter.done(), 2);
  EXPECT_NE(out.str().find("fig4: [1/2] a ("), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("fig4: [2/2] b ("), std::string::npos) << out.str();
  std::ostringstream quiet;
  ProgressMeter silent("fig4", 2, /*enabled=*/false, &quiet);
  silent.Done("a");
  EXPECT_EQ(silent.done(), 1);
  EXPECT_EQ(quiet.str(), "");
}

}  // namespace
}  // namespace mmc
