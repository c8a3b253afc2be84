// Tests for lib/models/thin_conv_nhwc.h: as conv_bn.cc runs training's
// thin convs (channels-last input, weight made channels-last), the output
// and the weight and input gradients equal ATen's conv2d bit for bit
// (signed zeros included), at 1 and 2 threads, for VGG-13 x1/8's layers 0
// and 1, a 3-channel stem, 16 output channels, odd sizes; what it does not
// take is refused.
#include "lib/models/thin_conv_nhwc.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

constexpr auto kNhwc = at::MemoryFormat::ChannelsLast;

// Bit-for-bit equality (torch::equal would take -0 for +0).
void ExpectSameBits(const char* what, const torch::Tensor& ours,
                    const torch::Tensor& theirs) {
  ASSERT_TRUE(ours.defined()) << what;
  ASSERT_EQ(ours.sizes(), theirs.sizes()) << what;
  const torch::Tensor a = ours.contiguous().view(torch::kInt32);
  const torch::Tensor b = theirs.contiguous().view(torch::kInt32);
  const int64_t differing = a.ne(b).sum().item<int64_t>();
  EXPECT_EQ(differing, 0) << what << ": of " << a.numel() << "; largest "
                          << (ours - theirs).abs().max().item<float>();
}

// A batch in training's layout: a one-channel one restrided as
// channels-last (conv_bn.cc's OneChannelAsNhwc), any other made
// channels-last.
torch::Tensor AsNhwc(const torch::Tensor& x) {
  if (x.size(1) == 1) {
    return x.as_strided(x.sizes(), {x.size(2) * x.size(3), 1, x.size(3), 1});
  }
  return x.contiguous(kNhwc);
}

struct Result {
  torch::Tensor y, dweight, dx;
};

Result RunConv(bool ours, const torch::Tensor& x0, const torch::Tensor& w0,
               const torch::Tensor& grad, int64_t stride, bool input_grad) {
  torch::Tensor x = x0.clone().requires_grad_(input_grad);
  torch::Tensor w = w0.clone().requires_grad_(true);
  const torch::Tensor xs = AsNhwc(x);
  const torch::Tensor ws = w.contiguous(kNhwc);
  Result r;
  r.y = ours ? ThinConv3x3Nhwc(xs, ws, stride)
             : torch::conv2d(xs, ws, {}, {stride, stride}, {1, 1});
  r.y.backward(grad);
  r.y = r.y.detach();
  r.dweight = w.grad();
  r.dx = x.grad();
  return r;
}

bool Runs() {
  return ThinConvNhwcApplies(AsNhwc(torch::zeros({2, 1, 8, 8})),
                             torch::zeros({8, 1, 3, 3}), 1, 1, 1);
}

class ThinConvNhwcTest : public ::testing::TestWithParam<int> {};

TEST_P(ThinConvNhwcTest, MatchesAtenConv2dBitForBit) {
  if (!Runs()) GTEST_SKIP() << "no oneDNN, AVX2 or FMA here";
  at::set_num_threads(GetParam());
  torch::manual_seed(17);
  struct Case {
    int64_t n, in, out, h, w, stride;
  };
  // VGG-13 x1/8's layer 0 on the quick tier's batches (128, an epoch's
  // last 28) and on 56x28 cue-glued images; its layer 1 (8 -> 8, stride
  // 2); ResNet-18 x1/8's 3 -> 8 stem; 16 output channels (two stacked
  // networks' layer 0); 4 -> 16; odd sizes, exactly 8 output columns.
  const std::vector<Case> cases = {
      {128, 1, 8, 28, 28, 1}, {28, 1, 8, 28, 28, 1}, {4, 1, 8, 56, 28, 1},
      {128, 8, 8, 28, 28, 2}, {28, 8, 8, 28, 28, 2}, {3, 8, 8, 56, 28, 2},
      {4, 3, 8, 32, 32, 1},   {3, 1, 16, 28, 28, 1}, {2, 4, 16, 9, 17, 1},
      {5, 8, 8, 13, 17, 2},   {2, 1, 8, 8, 8, 1},    {2, 2, 8, 1, 15, 2}};
  for (const Case& c : cases) {
    for (bool input_grad : {false, true}) {
      SCOPED_TRACE(testing::Message()
                   << c.n << "x" << c.in << "x" << c.h << "x" << c.w << " -> "
                   << c.out << " stride " << c.stride << " input grad "
                   << input_grad);
      torch::Tensor x = torch::randn({c.n, c.in, c.h, c.w});
      // Exact zeros (a black background, ReLU's zeros) beside both signs.
      x.masked_fill_(torch::rand(x.sizes()) < 0.3, 0.0);
      torch::Tensor w = torch::randn({c.out, c.in, 3, 3});
      w.index_put_({0}, -torch::rand({c.in, 3, 3}));  // All-negative taps.
      const int64_t oh = (c.h - 1) / c.stride + 1;
      const int64_t ow = (c.w - 1) / c.stride + 1;
      const torch::Tensor grad =
          torch::randn({c.n, c.out, oh, ow}).contiguous(kNhwc);
      ASSERT_TRUE(
          ThinConvNhwcApplies(AsNhwc(x), w.contiguous(kNhwc), c.stride, 1, 1));
      const Result aten = RunConv(false, x, w, grad, c.stride, input_grad);
      const Result ours = RunConv(true, x, w, grad, c.stride, input_grad);
      EXPECT_EQ(ours.y.strides(), aten.y.strides());
      ExpectSameBits("y", ours.y, aten.y);
      ExpectSameBits("dweight", ours.dweight, aten.dweight);
      ASSERT_EQ(ours.dx.defined(), input_grad);
      if (input_grad) ExpectSameBits("dx", ours.dx, aten.dx);
    }
  }
  at::set_num_threads(1);
}

INSTANTIATE_TEST_SUITE_P(Threads, ThinConvNhwcTest, ::testing::Values(1, 2));

TEST(ThinConvNhwcApplies, RefusesWhatItDoesNotCompute) {
  if (!Runs()) GTEST_SKIP() << "no oneDNN, AVX2 or FMA here";
  const torch::Tensor x = AsNhwc(torch::zeros({2, 8, 28, 28}));
  const torch::Tensor w = torch::zeros({8, 8, 3, 3});
  EXPECT_TRUE(ThinConvNhwcApplies(x, w, 2, 1, 1));
  EXPECT_TRUE(ThinConvNhwcApplies(x, w, 1, 1, 1));
  // A one-channel batch in either order.
  EXPECT_TRUE(ThinConvNhwcApplies(torch::zeros({2, 1, 28, 28}),
                                  torch::zeros({8, 1, 3, 3}), 1, 1, 1));
  EXPECT_FALSE(ThinConvNhwcApplies(x, w, 3, 1, 1));  // Stride.
  EXPECT_FALSE(ThinConvNhwcApplies(x, w, 1, 0, 1));  // Padding.
  EXPECT_FALSE(ThinConvNhwcApplies(x, w, 1, 1, 2));  // Grouped.
  // NCHW with 8 channels: brgconv's NCHW input is another kernel.
  EXPECT_FALSE(ThinConvNhwcApplies(torch::zeros({2, 8, 28, 28}), w, 1, 1, 1));
  EXPECT_FALSE(
      ThinConvNhwcApplies(AsNhwc(torch::zeros({1, 8, 28, 28})), w, 1, 1, 1));
  EXPECT_FALSE(ThinConvNhwcApplies(x.to(torch::kDouble), w, 1, 1, 1));
  // 8 -> 16: wider than the kernel pays for (measured, see the header).
  EXPECT_FALSE(ThinConvNhwcApplies(x, torch::zeros({16, 8, 3, 3}), 1, 1, 1));
  // 12 output channels: not a multiple of 8.
  EXPECT_FALSE(ThinConvNhwcApplies(AsNhwc(torch::zeros({2, 1, 28, 28})),
                                   torch::zeros({12, 1, 3, 3}), 1, 1, 1));
  EXPECT_FALSE(ThinConvNhwcApplies(x, torch::zeros({8, 8, 5, 5}), 1, 1, 1));
  EXPECT_FALSE(ThinConvNhwcApplies(x, torch::zeros({8, 4, 3, 3}), 1, 1, 1));
  // 7 output columns: fewer than one block of 8 pixels.
  EXPECT_FALSE(
      ThinConvNhwcApplies(AsNhwc(torch::zeros({2, 8, 28, 13})), w, 2, 1, 1));
  EXPECT_THROW(ThinConv3x3Nhwc(x, torch::zeros({12, 8, 3, 3}), 1), c10::Error);
}

}  // namespace
}  // namespace mmc
