// Tests for lib/models/batch_norm_kernel.h: the batch-statistics BatchNorm
// gives at::native_batch_norm's numbers (train mode, no running
// statistics) bit for bit on the shapes the networks produce and on odd
// ones (a channel count that is not a multiple of the 8-channel block, a
// 1-pixel-wide plane, a single image), with 1 and 2 threads; inputs it
// does not take (1x1 planes among them, which ATen sums another way) are
// refused.
#include "lib/models/batch_norm_kernel.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstdlib>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

constexpr double kEps = 1e-5;

// ATen's vectorised BatchNorm rounds x * alpha + beta once (FMA) where the
// CPU has FMA and ATen runs its AVX2/AVX-512 kernels (every x86-64 CPU of
// the last decade, and this project's machines); forced to its DEFAULT
// kernel it rounds twice, and the output may then differ by an ulp.
bool AtenKernelFuses() {
  const char* forced = std::getenv("ATEN_CPU_CAPABILITY");
  return __builtin_cpu_supports("fma") &&
         (forced == nullptr || std::string(forced) != "default");
}

void ExpectSameAsAten(const std::vector<int64_t>& shape, float scale,
                      float shift) {
  SCOPED_TRACE(::testing::Message() << "shape " << torch::IntArrayRef(shape));
  // Scaled and shifted: a mean far from 0 makes (x - mean)^2 rounding and
  // the order of the sums matter.
  const torch::Tensor x = torch::randn(shape) * scale + shift;
  const torch::Tensor w = torch::rand({shape[1]}) + 0.5;
  const torch::Tensor b = torch::randn({shape[1]});
  ASSERT_TRUE(BatchStatsKernelApplies(x, w, b));
  auto [y, mean, invstd] = torch::native_batch_norm(x, w, b, {}, {}, true,
                                                    /*momentum=*/0.1, kEps);
  const BatchStatsNorm ours = BatchNormWithBatchStats(x, w, b, kEps);
  EXPECT_TRUE(torch::equal(ours.mean, mean));
  EXPECT_TRUE(torch::equal(ours.invstd, invstd));
  if (AtenKernelFuses()) {
    EXPECT_TRUE(torch::equal(ours.output, y))
        << "max |diff| " << (ours.output - y).abs().max().item<float>();
  } else {
    EXPECT_TRUE(torch::allclose(ours.output, y, /*rtol=*/0, /*atol=*/1e-6));
  }
}

TEST(BatchNormKernelTest, EqualsAtenBitForBit) {
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    torch::manual_seed(7);
    // VGG-13 x1/8 on 28x28 in the BN reset (batch 500), ResNet-18 x1/8 on
    // 32x32, and odd shapes: 5 and 13 channels (a partial block), a
    // 1-pixel-wide plane, one image, a 3x3 plane.
    ExpectSameAsAten({500, 8, 28, 28}, 3.0, 1.5);
    ExpectSameAsAten({500, 16, 7, 7}, 1.0, 0.0);
    ExpectSameAsAten({500, 64, 2, 2}, 0.5, -4.0);
    ExpectSameAsAten({128, 64, 4, 4}, 2.0, 10.0);
    ExpectSameAsAten({3, 5, 3, 3}, 1.0, 0.2);
    ExpectSameAsAten({64, 13, 5, 1}, 1.0, 3.0);
    ExpectSameAsAten({1, 9, 2, 3}, 1.0, 0.0);
  }
  at::set_num_threads(1);
}

TEST(BatchNormKernelTest, RefusesWhatItDoesNotTake) {
  const torch::Tensor w = torch::ones({4}), b = torch::zeros({4});
  const torch::Tensor x = torch::randn({8, 4, 5, 5});
  EXPECT_TRUE(BatchStatsKernelApplies(x, w, b));
  EXPECT_FALSE(BatchStatsKernelApplies(
      x.contiguous(torch::MemoryFormat::ChannelsLast), w, b));
  EXPECT_FALSE(BatchStatsKernelApplies(x.to(torch::kDouble), w, b));
  EXPECT_FALSE(BatchStatsKernelApplies(x.flatten(2), w, b));
  EXPECT_FALSE(BatchStatsKernelApplies(x, torch::ones({3}), b));
  EXPECT_FALSE(BatchStatsKernelApplies(x, w, torch::Tensor()));
  EXPECT_FALSE(BatchStatsKernelApplies(torch::randn({8, 4, 1, 1}), w, b));
  EXPECT_THROW(BatchNormWithBatchStats(x.to(torch::kDouble), w, b, kEps),
               c10::Error);
}

}  // namespace
}  // namespace mmc
