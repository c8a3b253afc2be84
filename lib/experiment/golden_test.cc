// CompareToGolden: absolute and relative per-field tolerances, exact
// comparison of everything not listed, ignored fields.
#include "lib/experiment/golden.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/spec/results.pb.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

SetMetrics Metrics(double loss, double accuracy) {
  SetMetrics m;
  m.set_set("RI");
  m.set_loss(loss);
  m.set_accuracy(accuracy);
  return m;
}

TEST(GoldenTest, UnlistedDoublesMustMatchExactly) {
  EXPECT_THAT(CompareToGolden(Metrics(1.0, 50.0), Metrics(1.0, 50.0), {}),
              IsEmpty());
  const auto d = CompareToGolden(Metrics(1.0, 50.0), Metrics(1.0 + 1e-6, 50.0),
                                 GoldenTolerances{});
  ASSERT_THAT(d, SizeIs(1));
  EXPECT_THAT(d[0], HasSubstr("loss"));
}

TEST(GoldenTest, AbsoluteAndRelativeToleranceAdd) {
  GoldenTolerances t;
  t.by_field["loss"] = 0.001;
  t.relative_by_field["loss"] = 1e-3;
  // Golden 50 nats: limit 0.001 + 0.05.
  EXPECT_THAT(CompareToGolden(Metrics(50.05, 50.0), Metrics(50.0, 50.0), t),
              IsEmpty());
  EXPECT_THAT(CompareToGolden(Metrics(50.06, 50.0), Metrics(50.0, 50.0), t),
              SizeIs(1));
  // Golden 0.05 nats: limit 0.001 + 0.00005.
  EXPECT_THAT(CompareToGolden(Metrics(0.051, 50.0), Metrics(0.05, 50.0), t),
              IsEmpty());
  EXPECT_THAT(CompareToGolden(Metrics(0.0512, 50.0), Metrics(0.05, 50.0), t),
              SizeIs(1));
  // Accuracy is not listed: exact.
  EXPECT_THAT(CompareToGolden(Metrics(0.05, 50.2), Metrics(0.05, 50.0), t),
              SizeIs(1));
}

TEST(GoldenTest, StringsCompareAndIgnoredFieldsDoNot) {
  SetMetrics a = Metrics(1.0, 50.0);
  SetMetrics b = a;
  b.set_set("RC");
  EXPECT_THAT(CompareToGolden(a, b, {}), SizeIs(1));
  GoldenTolerances t;
  t.ignored.insert("set");
  EXPECT_THAT(CompareToGolden(a, b, t), IsEmpty());
}

}  // namespace
}  // namespace mmc
