// NhwcCopy equals x.contiguous(ChannelsLast) value for value, strides
// included, for the shapes training meets and awkward ones; its gradient
// is the incoming one, as ATen's clone's; bad input is refused.
#include "lib/models/nhwc_copy.h"

#include <torch/torch.h>

#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(NhwcCopyTest, EqualsAtenChannelsLastCopy) {
  torch::manual_seed(1);
  const std::vector<std::vector<int64_t>> shapes = {
      {128, 8, 28, 28},  // VGG-13 x1/8 layer 0 (Fashion-MNIST).
      {128, 8, 56, 28},  // The Dominoes tier's.
      {2, 64, 32, 32},   // ResNet-18 x1 stem.
      {3, 5, 7, 3},      // Pixels not a multiple of the block.
      {1, 3, 4, 4},      // One image, exactly one block.
      {4, 2, 1, 15},     // Fewer pixels than a block.
      {16, 8, 3, 3},     // A conv weight (out, in, 3, 3), every step.
  };
  for (const std::vector<int64_t>& shape : shapes) {
    const torch::Tensor x = torch::randn(shape);
    const torch::Tensor expected = x.contiguous(at::MemoryFormat::ChannelsLast);
    for (int threads : {1, 2}) {
      torch::set_num_threads(threads);
      const torch::Tensor y = NhwcCopy(x);
      EXPECT_TRUE(y.is_contiguous(at::MemoryFormat::ChannelsLast)) << x.sizes();
      EXPECT_EQ(y.strides(), expected.strides()) << x.sizes();
      EXPECT_TRUE(torch::equal(y, expected)) << x.sizes();
      // The same bytes in memory, not just equal as tensors.
      EXPECT_EQ(std::memcmp(y.data_ptr<float>(), expected.data_ptr<float>(),
                            x.numel() * sizeof(float)),
                0)
          << x.sizes();
    }
  }
  torch::set_num_threads(1);
}

TEST(NhwcCopyTest, GradientIsTheIncomingOne) {
  torch::manual_seed(2);
  const torch::Tensor weight = torch::randn({8, 1, 3, 3});
  const torch::Tensor image = torch::randn({4, 1, 6, 6});
  const torch::Tensor upstream =
      torch::randn({4, 8, 6, 6}).contiguous(at::MemoryFormat::ChannelsLast);
  auto grads = [&](bool ours) {
    torch::Tensor w = weight.clone().requires_grad_(true);
    torch::Tensor y = torch::conv2d(image, w, {}, 1, 1);
    torch::Tensor z =
        ours ? NhwcCopy(y) : y.contiguous(at::MemoryFormat::ChannelsLast);
    EXPECT_TRUE(z.requires_grad());
    (z * upstream).sum().backward();
    return w.grad();
  };
  EXPECT_TRUE(torch::equal(grads(true), grads(false)));
  // Without autograd it is a plain copy.
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(
      NhwcCopy(image.expand({4, 2, 6, 6}).contiguous()).requires_grad());
}

TEST(NhwcCopyTest, RefusesWhatItDoesNotCover) {
  EXPECT_FALSE(NhwcCopyApplies(torch::Tensor()));
  EXPECT_FALSE(NhwcCopyApplies(torch::randn({2, 3, 4})));  // 3-d.
  EXPECT_FALSE(NhwcCopyApplies(torch::randn({2, 3, 4, 4}, torch::kDouble)));
  EXPECT_FALSE(NhwcCopyApplies(
      torch::randn({2, 3, 4, 4}).contiguous(at::MemoryFormat::ChannelsLast)));
  EXPECT_FALSE(NhwcCopyApplies(torch::randn({2, 1, 4, 4})));  // Both.
  EXPECT_FALSE(
      NhwcCopyApplies(torch::randn({2, 4, 4, 3}).permute({0, 3, 1, 2})));
  EXPECT_TRUE(NhwcCopyApplies(torch::randn({2, 3, 4, 4})));
  EXPECT_THROW(NhwcCopy(torch::randn({2, 3, 4})), c10::Error);
}

}  // namespace
}  // namespace mmc
