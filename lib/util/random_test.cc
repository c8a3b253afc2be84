// Tests for lib/util/random.h: determinism and uniformity of counter draws.
#include "lib/util/random.h"

#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(RandomTest, SameCounterSameValue) {
  EXPECT_EQ(CounterHash(1, 2, 3), CounterHash(1, 2, 3));
  EXPECT_NE(CounterHash(1, 2, 3), CounterHash(1, 2, 4));
  EXPECT_NE(CounterHash(1, 2, 3), CounterHash(2, 2, 3));
}

TEST(RandomTest, UniformIntIsUniform) {
  // 100,000 draws over 10 bins: each bin's count is within 5 standard
  // deviations (sqrt(100000 * 0.1 * 0.9) = 95) of 10,000.
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) ++counts[UniformInt(7, 1, i, 10)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 5 * 95);
}

}  // namespace
}  // namespace mmc
