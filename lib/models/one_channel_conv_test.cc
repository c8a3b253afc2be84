// Tests for lib/models/one_channel_conv.h: the first conv of a one-channel
// network gives oneDNN's numbers (at::mkldnn_convolution, then relu_ as
// the models apply it) bit for bit, signed zeros included, with and
// without bias and ReLU, at 1 and 2 threads, on the quick tier's 28x28
// images and on widths that end in a partial vector; what it does not take
// is refused.
#include "lib/models/one_channel_conv.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

bool Runs() {
  torch::NoGradGuard no_grad;
  return OneChannelConvApplies(torch::zeros({2, 1, 8, 8}),
                               torch::zeros({8, 1, 3, 3}), torch::Tensor(), 1,
                               1);
}

torch::Tensor Reference(const torch::Tensor& x, const torch::Tensor& w,
                        const torch::Tensor& b, bool relu) {
  torch::Tensor y =
      torch::mkldnn_convolution(x, w, b, {1, 1}, {1, 1}, {1, 1}, 1);
  return relu ? y.relu_() : y;
}

// Bit-for-bit equality (torch::equal would take -0 for +0).
void ExpectSameBits(const torch::Tensor& ours, const torch::Tensor& theirs) {
  ASSERT_EQ(ours.sizes(), theirs.sizes());
  ASSERT_TRUE(ours.is_contiguous());
  const torch::Tensor a = ours.contiguous().view(torch::kInt32);
  const torch::Tensor b = theirs.contiguous().view(torch::kInt32);
  const int64_t differing = a.ne(b).sum().item<int64_t>();
  EXPECT_EQ(differing, 0) << "of " << a.numel() << " outputs; largest "
                          << (ours - theirs).abs().max().item<float>();
}

class OneChannelConvTest
    : public ::testing::TestWithParam<std::tuple<int, bool, bool>> {};

TEST_P(OneChannelConvTest, MatchesOneDnnBitForBit) {
  if (!Runs()) GTEST_SKIP() << "no oneDNN, AVX2 or FMA here";
  const auto [threads, with_bias, relu] = GetParam();
  at::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  struct Shape {
    int64_t n, c, h, w;
  };
  // 28x28: Fashion-MNIST (batches of 500 and 250 as the quick and smoke
  // tiers evaluate); 13 and 17 columns end in a partial vector; 8 is one
  // vector; one row.
  const std::vector<Shape> shapes = {
      {500, 8, 28, 28}, {3, 8, 28, 28}, {2, 16, 32, 32}, {5, 3, 9, 17},
      {4, 8, 28, 13},   {2, 8, 8, 8},   {2, 5, 1, 9}};
  for (const Shape& s : shapes) {
    SCOPED_TRACE(testing::Message()
                 << s.n << "x" << s.c << "x" << s.h << "x" << s.w);
    torch::Tensor x = torch::randn({s.n, 1, s.h, s.w});
    // Exact zeros (a black background) next to values of both signs, so
    // that -0 and +0 products and sums occur.
    x.masked_fill_(torch::rand({s.n, 1, s.h, s.w}) < 0.3, 0.0);
    torch::Tensor w = torch::randn({s.c, 1, 3, 3});
    w.index_put_({0}, -torch::rand({1, 3, 3}));  // All-negative taps.
    torch::Tensor b = with_bias ? torch::randn({s.c}) : torch::Tensor();
    ExpectSameBits(OneChannelConv3x3(x, w, b, relu), Reference(x, w, b, relu));
  }
  at::set_num_threads(1);
}

INSTANTIATE_TEST_SUITE_P(ThreadsBiasRelu, OneChannelConvTest,
                         ::testing::Combine(::testing::Values(1, 2),
                                            ::testing::Bool(),
                                            ::testing::Bool()));

TEST(OneChannelConvApplies, RefusesWhatItDoesNotCompute) {
  if (!Runs()) GTEST_SKIP() << "no oneDNN, AVX2 or FMA here";
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::zeros({2, 1, 28, 28});
  const torch::Tensor w = torch::zeros({8, 1, 3, 3});
  const torch::Tensor b = torch::zeros({8});
  EXPECT_TRUE(OneChannelConvApplies(x, w, b, 1, 1));
  EXPECT_FALSE(OneChannelConvApplies(x, w, b, 2, 1));  // Stride.
  EXPECT_FALSE(OneChannelConvApplies(x, w, b, 1, 0));  // Padding.
  // One image: ATen takes its slow path there, not oneDNN.
  EXPECT_FALSE(OneChannelConvApplies(torch::zeros({1, 1, 28, 28}), w, b, 1, 1));
  EXPECT_FALSE(OneChannelConvApplies(torch::zeros({2, 3, 28, 28}), w, b, 1, 1));
  EXPECT_FALSE(OneChannelConvApplies(torch::zeros({2, 1, 28, 7}), w, b, 1, 1));
  EXPECT_FALSE(OneChannelConvApplies(x.to(torch::kDouble), w, b, 1, 1));
  EXPECT_FALSE(OneChannelConvApplies(x.transpose(2, 3), w, b, 1, 1));
  EXPECT_FALSE(OneChannelConvApplies(x, torch::zeros({8, 1, 5, 5}), b, 1, 1));
  EXPECT_FALSE(OneChannelConvApplies(x, w, torch::zeros({4}), 1, 1));
  EXPECT_THROW(OneChannelConv3x3(x, w, torch::zeros({4}), false), c10::Error);
}

TEST(OneChannelConvApplies, RefusesWhenAGradientIsWanted) {
  if (!Runs()) GTEST_SKIP() << "no oneDNN, AVX2 or FMA here";
  const torch::Tensor x = torch::zeros({2, 1, 28, 28});
  const torch::Tensor w = torch::zeros({8, 1, 3, 3}).requires_grad_(true);
  EXPECT_FALSE(OneChannelConvApplies(x, w, torch::Tensor(), 1, 1));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(OneChannelConvApplies(x, w, torch::Tensor(), 1, 1));
}

}  // namespace
}  // namespace mmc
