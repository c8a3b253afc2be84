// Tests for lib/models/batch_norm_nhwc.h: the fused channels-last
// BatchNorm (+ ReLU) gives ATen's numbers bit for bit — output, running
// statistics, and the gradients of x, weight and bias — on the shapes the
// quick tier's VGG-13 x1/8 and ResNet-18 train on and on group-splitting
// channel counts, with 1 and 2 threads, with and without running
// statistics; a gradient in another layout goes through ATen's own ops;
// inputs it does not take are refused.
#include "lib/models/batch_norm_nhwc.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

constexpr double kEps = 1e-5;
constexpr double kMomentum = 0.1;
constexpr auto kNhwc = at::MemoryFormat::ChannelsLast;

bool Runs() {
  return BatchNormNhwcApplies(torch::zeros({2, 8, 2, 2}).contiguous(kNhwc),
                              torch::ones({8}), torch::zeros({8}),
                              torch::Tensor(), torch::Tensor());
}

struct Result {
  torch::Tensor y, running_mean, running_var, dx, dw, db;
};

// One forward and backward, by ATen (batch_norm then relu_, as the models
// did) or by BatchNormNhwc, from copies of the same inputs.
Result RunBatchNorm(bool ours, const torch::Tensor& x0, const torch::Tensor& w0,
                    const torch::Tensor& b0, const torch::Tensor& rm0,
                    const torch::Tensor& rv0, const torch::Tensor& grad,
                    bool relu) {
  Result r;
  torch::Tensor x = x0.clone().requires_grad_(true);
  torch::Tensor w = w0.clone().requires_grad_(true);
  torch::Tensor b = b0.clone().requires_grad_(true);
  r.running_mean = rm0.defined() ? rm0.clone() : torch::Tensor();
  r.running_var = rv0.defined() ? rv0.clone() : torch::Tensor();
  if (ours) {
    r.y = BatchNormNhwc(x, w, b, r.running_mean, r.running_var, kMomentum, kEps,
                        relu);
  } else {
    r.y = torch::batch_norm(x, w, b, r.running_mean, r.running_var,
                            /*training=*/true, kMomentum, kEps,
                            /*cudnn_enabled=*/false);
    if (relu) r.y.relu_();
  }
  r.y.backward(grad);
  r.dx = x.grad();
  r.dw = w.grad();
  r.db = b.grad();
  r.y = r.y.detach();
  return r;
}

void ExpectEqual(const char* what, const torch::Tensor& ours,
                 const torch::Tensor& aten) {
  if (!aten.defined()) {
    EXPECT_FALSE(ours.defined()) << what;
    return;
  }
  ASSERT_TRUE(ours.defined()) << what;
  EXPECT_EQ(ours.strides(), aten.strides()) << what;
  EXPECT_TRUE(torch::equal(ours, aten))
      << what << ": " << (ours.ne(aten)).sum().item<int64_t>() << " of "
      << aten.numel() << " differ, max |diff| "
      << (ours - aten).abs().max().item<float>();
}

void ExpectSameAsAten(const std::vector<int64_t>& shape, bool relu,
                      bool running, bool grad_nhwc = true) {
  SCOPED_TRACE(::testing::Message()
               << "shape " << torch::IntArrayRef(shape) << " relu " << relu
               << " running " << running << " threads "
               << at::get_num_threads());
  const int64_t c = shape[1];
  // A mean far from 0 makes the order of the sums and the rounding of
  // (x - mean)^2 matter.
  const torch::Tensor x = (torch::randn(shape) * 2.0 + 0.7).contiguous(kNhwc);
  const torch::Tensor w = torch::rand({c}) + 0.5;
  const torch::Tensor b = torch::randn({c}) * 0.3;
  const torch::Tensor rm = running ? torch::randn({c}) : torch::Tensor();
  const torch::Tensor rv = running ? torch::rand({c}) + 0.5 : torch::Tensor();
  torch::Tensor grad = torch::randn(shape) * 0.01 + 0.003;
  grad = grad_nhwc ? grad.contiguous(kNhwc) : grad.contiguous();
  ASSERT_TRUE(BatchNormNhwcApplies(x, w, b, rm, rv));
  const Result aten = RunBatchNorm(false, x, w, b, rm, rv, grad, relu);
  const Result ours = RunBatchNorm(true, x, w, b, rm, rv, grad, relu);
  ExpectEqual("y", ours.y, aten.y);
  ExpectEqual("running_mean", ours.running_mean, aten.running_mean);
  ExpectEqual("running_var", ours.running_var, aten.running_var);
  ExpectEqual("dx", ours.dx, aten.dx);
  ExpectEqual("dweight", ours.dw, aten.dw);
  ExpectEqual("dbias", ours.db, aten.db);
}

TEST(BatchNormNhwcTest, EqualsAtenBitForBit) {
  if (!Runs()) GTEST_SKIP() << "no AVX2 + FMA: the kernel is not used";
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    torch::manual_seed(11);
    // VGG-13 x1/8's training batches on 28x28 (8 to 64 channels, down to
    // 1x1 planes, which are NCHW- and channels-last-contiguous at once),
    // ResNet-18's widths (64 to 512: groups of 64 channels), and counts
    // that leave a partial group (72, 200), an odd pixel count, 1 image.
    const std::vector<std::vector<int64_t>> shapes = {
        {128, 8, 28, 28}, {128, 16, 14, 14}, {128, 32, 7, 7}, {128, 64, 4, 4},
        {128, 64, 2, 2},  {128, 64, 1, 1},   {16, 64, 8, 8},  {8, 128, 4, 4},
        {4, 256, 2, 2},   {2, 512, 1, 1},    {3, 72, 5, 3},   {5, 200, 3, 1},
        {1, 24, 7, 5}};
    for (const auto& shape : shapes) {
      ExpectSameAsAten(shape, /*relu=*/true, /*running=*/true);
      ExpectSameAsAten(shape, /*relu=*/false, /*running=*/true);
    }
    // BnMode::kBatchStats: no running statistics.
    ExpectSameAsAten({32, 16, 6, 6}, /*relu=*/true, /*running=*/false);
  }
  at::set_num_threads(1);
}

TEST(BatchNormNhwcTest, GradientInAnotherLayoutGoesThroughAten) {
  if (!Runs()) GTEST_SKIP() << "no AVX2 + FMA: the kernel is not used";
  at::set_num_threads(1);
  torch::manual_seed(5);
  ExpectSameAsAten({16, 16, 6, 6}, /*relu=*/true, /*running=*/true,
                   /*grad_nhwc=*/false);
  ExpectSameAsAten({16, 16, 6, 6}, /*relu=*/false, /*running=*/true,
                   /*grad_nhwc=*/false);
}

TEST(BatchNormNhwcTest, ReluKeepsAtenSignedZeroAndMask) {
  if (!Runs()) GTEST_SKIP() << "no AVX2 + FMA: the kernel is not used";
  at::set_num_threads(1);
  // Weight 0, bias -0 and a positive batch mean give beta = -0 and
  // outputs fma(x, 0, -0): -0 where x < 0, +0 where x > 0. clamp_min keeps
  // both signs, and the gradient through y <= 0 is 0 everywhere.
  const torch::Tensor x = (torch::randn({4, 8, 3, 3}) + 0.5).contiguous(kNhwc);
  const torch::Tensor w = torch::zeros({8});
  const torch::Tensor b = -torch::zeros({8});
  const torch::Tensor grad = torch::ones({4, 8, 3, 3}).contiguous(kNhwc);
  const Result aten = RunBatchNorm(false, x, w, b, {}, {}, grad, true);
  const Result ours = RunBatchNorm(true, x, w, b, {}, {}, grad, true);
  EXPECT_TRUE(torch::equal(ours.y.signbit(), aten.y.signbit()));
  ExpectEqual("dx", ours.dx, aten.dx);
  ExpectEqual("dbias", ours.db, aten.db);
}

TEST(BatchNormNhwcTest, RefusesDoubleBackward) {
  if (!Runs()) GTEST_SKIP() << "no AVX2 + FMA: the kernel is not used";
  const torch::Tensor x =
      torch::randn({4, 8, 3, 3}).contiguous(kNhwc).requires_grad_(true);
  const torch::Tensor w = torch::ones({8}), b = torch::zeros({8});
  const torch::Tensor y = BatchNormNhwc(x, w, b, {}, {}, kMomentum, kEps, true);
  EXPECT_THROW(torch::autograd::grad({y.square().sum()}, {x}, {},
                                     /*retain_graph=*/true,
                                     /*create_graph=*/true),
               c10::Error);
}

TEST(BatchNormNhwcTest, RefusesWhatItDoesNotTake) {
  const torch::Tensor w = torch::ones({8}), b = torch::zeros({8});
  const torch::Tensor nhwc = torch::randn({4, 8, 5, 5}).contiguous(kNhwc);
  // NCHW with 2+ pixels per plane: ATen sums it in its NCHW kernel.
  EXPECT_FALSE(BatchNormNhwcApplies(nhwc.contiguous(), w, b, {}, {}));
  EXPECT_FALSE(BatchNormNhwcApplies(nhwc.to(torch::kDouble), w, b, {}, {}));
  // 5 channels: not a multiple of 8.
  EXPECT_FALSE(
      BatchNormNhwcApplies(torch::randn({4, 5, 5, 5}).contiguous(kNhwc),
                           torch::ones({5}), torch::zeros({5}), {}, {}));
  EXPECT_FALSE(BatchNormNhwcApplies(nhwc, torch::ones({16}), b, {}, {}));
  // One running statistic without the other.
  EXPECT_FALSE(BatchNormNhwcApplies(nhwc, w, b, torch::zeros({8}), {}));
  EXPECT_THROW(
      BatchNormNhwc(nhwc.contiguous(), w, b, {}, {}, kMomentum, kEps, true),
      c10::Error);
}

}  // namespace
}  // namespace mmc
