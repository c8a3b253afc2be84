// Tests for lib/finetune/cbft_loss.h: the barrier term on a constant path
// (theta == theta_C) and its gradient through the path, the invariance term
// on hand-computed toy features in both forms, and the counter-based draws.
#include "lib/finetune/cbft_loss.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "gtest/gtest.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/spec/spec.pb.h"

namespace mmc {
namespace {

class BarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelSpec spec;
    spec.set_arch(ModelSpec::VGG13);
    spec.set_width(0.125);
    model_ = std::move(*Model::Create(spec, 1, 10));
    params_ = model_->Init(3);
    torch::manual_seed(5);
    x_ = torch::randn({8, 1, 16, 16});
    y_ = torch::arange(8, torch::kLong).remainder(10);
  }

  // theta = a copy of params_ whose parameters require grad.
  ParamMap Theta() const {
    ParamMap theta = CloneParams(params_);
    for (auto& [name, t] : theta) t.requires_grad_(!IsBuffer(name));
    return theta;
  }

  double CeAtThetaC() const {
    torch::NoGradGuard no_grad;
    ForwardOptions options;
    options.bn = BnMode::kBatchStats;
    return torch::cross_entropy_loss(
               model_->Forward(params_, x_, options).logits, y_)
        .item<double>();
  }

  std::unique_ptr<Model> model_;
  ParamMap params_;
  torch::Tensor x_, y_;
};

TEST_F(BarrierTest, ThetaEqualThetaCGivesAbsLambdaMinusCeOfThetaC) {
  const double ce = CeAtThetaC();
  ASSERT_GT(ce, 0.0);
  for (double lambda1 : {1.0, 0.5, 5.0}) {
    // At t = 0 and t = 1 the path point is theta_C bit for bit.
    for (double t : {0.0, 1.0}) {
      const ParamMap theta = Theta();
      const double barrier =
          BarrierTerm(*model_, theta, params_, t, x_, y_, lambda1)
              .item<double>();
      EXPECT_EQ(barrier, std::abs(lambda1 - ce)) << "t=" << t;
    }
    // Elsewhere (1-t) a + t a equals a up to rounding.
    for (double t : {0.25, 0.37, 0.9}) {
      const ParamMap theta = Theta();
      const double barrier =
          BarrierTerm(*model_, theta, params_, t, x_, y_, lambda1)
              .item<double>();
      EXPECT_NEAR(barrier, std::abs(lambda1 - ce), 1e-5) << "t=" << t;
    }
  }
}

TEST_F(BarrierTest, GradientReachesThetaScaledByOneMinusT) {
  auto grads = [this](double t) {
    ParamMap theta = Theta();
    BarrierTerm(*model_, theta, params_, t, x_, y_, 1.0).backward();
    ParamMap g;
    for (auto& [name, p] : theta) {
      if (!IsBuffer(name)) g[name] = p.grad().clone();
    }
    return g;
  };
  const ParamMap g0 = grads(0.0);
  const ParamMap g37 = grads(0.37);
  const ParamMap g1 = grads(1.0);
  double largest = 0.0;
  for (const auto& [name, g] : g0) {
    largest = std::max(largest, g.abs().max().item<double>());
    // theta(1) = theta_C does not depend on theta.
    EXPECT_EQ(g1.at(name).abs().max().item<double>(), 0.0) << name;
    // With theta == theta_C every path point is theta_C, so the gradient
    // at t is (1 - t) times the one at t = 0.
    // Tolerance 1e-4 of the entry's largest gradient (observed: 3e-6):
    // theta(t) equals theta_C only up to rounding.
    const double scale = g.abs().max().item<double>();
    EXPECT_LE((g37.at(name) - g * 0.63).abs().max().item<double>(),
              1e-4 * scale + 1e-9)
        << name;
  }
  EXPECT_GT(largest, 0.0);
}

TEST_F(BarrierTest, ThetaCGetsNoGradient) {
  ParamMap theta_c = CloneParams(params_);
  for (auto& [name, t] : theta_c) t.requires_grad_(!IsBuffer(name));
  ParamMap theta = Theta();
  BarrierTerm(*model_, theta, theta_c, 0.5, x_, y_, 1.0).backward();
  for (const auto& [name, t] : theta_c) {
    EXPECT_FALSE(t.grad().defined()) << name;
  }
}

TEST(InvarianceTest, ZeroWhenFeaturesCoincide) {
  torch::manual_seed(1);
  torch::Tensor f = torch::randn({12, 5});
  torch::Tensor y = torch::arange(12, torch::kLong).remainder(4);
  for (InvarianceForm form :
       {InvarianceForm::kPaper, InvarianceForm::kAuthors}) {
    torch::Tensor fa = f.clone().requires_grad_(true);
    torch::Tensor term = InvarianceTerm(fa, y, f, y, 4, 1.0, form);
    EXPECT_NEAR(term.item<double>(), 0.0, 1e-6);
    // The L2 norm at 0 has a finite (zero) gradient.
    term.backward();
    EXPECT_TRUE(torch::isfinite(fa.grad()).all().item<bool>());
  }
}

// Class 0: A = (1,0),(3,0) -> mean (2,0); B = (0,1),(0,3) -> mean (0,2).
// Class 1: A = (0,2); B = (3,-2). Class 2 only in A (skipped).
class ToyFeatures : public ::testing::Test {
 protected:
  torch::Tensor fa_ =
      torch::tensor({1.f, 0.f, 3.f, 0.f, 0.f, 2.f, 5.f, 5.f}).view({4, 2});
  torch::Tensor ya_ = torch::tensor({0, 0, 1, 2}, torch::kLong);
  torch::Tensor fb_ =
      torch::tensor({0.f, 1.f, 3.f, -2.f, 0.f, 3.f}).view({3, 2});
  torch::Tensor yb_ = torch::tensor({0, 1, 0}, torch::kLong);
};

// Eq. 4 on a clean batch (B) and a cue batch (A) of different images and
// class mixes: the sum runs over the classes with a centroid in both, and is
// divided by the task's K = 3 classes (not by the 2 classes present).
TEST_F(ToyFeatures, PaperFormIsL2DistanceSumOverTaskClassCount) {
  // ||(2,-2)|| = 2 sqrt 2, ||(-3,4)|| = 5; lambda2 / K = 0.5 / 3.
  const double expected = 0.5 / 3.0 * (2.0 * std::sqrt(2.0) + 5.0);
  EXPECT_NEAR(InvarianceTerm(fa_, ya_, fb_, yb_, 3, 0.5, InvarianceForm::kPaper)
                  .item<double>(),
              expected, 1e-6);
  // lambda2 scales linearly.
  EXPECT_NEAR(InvarianceTerm(fa_, ya_, fb_, yb_, 3, 1.0, InvarianceForm::kPaper)
                  .item<double>(),
              2.0 * expected, 1e-6);
}

TEST_F(ToyFeatures, AuthorsFormIsSquaredDistanceOfUnitMeansOverAllClasses) {
  // Class 0: unit means (1,0) and (0,1): squared distance 2.
  // Class 1: (0,1) and (3,-2)/sqrt 13: 2 - 2 * (-2/sqrt 13).
  // Divided by all K = 3 classes.
  const double expected = 0.5 / 3.0 * (2.0 + 2.0 + 4.0 / std::sqrt(13.0));
  EXPECT_NEAR(
      InvarianceTerm(fa_, ya_, fb_, yb_, 3, 0.5, InvarianceForm::kAuthors)
          .item<double>(),
      expected, 1e-6);
}

TEST_F(ToyFeatures, NoCommonClassGivesZero) {
  torch::Tensor yb = torch::tensor({2, 2, 2}, torch::kLong);
  torch::Tensor ya = torch::tensor({0, 0, 1, 1}, torch::kLong);
  EXPECT_EQ(InvarianceTerm(fa_, ya, fb_, yb, 3, 1.0, InvarianceForm::kPaper)
                .item<double>(),
            0.0);
}

TEST(DrawsTest, UniformPathPointIsDeterministicAndUniform) {
  double sum = 0.0;
  std::set<double> distinct;
  for (int64_t step = 0; step < 20000; ++step) {
    const double t = UniformPathPoint(7, step);
    ASSERT_GE(t, 0.0);
    ASSERT_LT(t, 1.0);
    ASSERT_EQ(t, UniformPathPoint(7, step));
    sum += t;
    distinct.insert(t);
  }
  EXPECT_NEAR(sum / 20000, 0.5, 0.01);
  EXPECT_EQ(distinct.size(), 20000u);
  EXPECT_NE(UniformPathPoint(7, 0), UniformPathPoint(8, 0));
}

TEST(DrawsTest, AuthorsPathPointIsClippedNormal) {
  // P(|N(0,1)| > 0.5) = 0.617: about 30.9% at each bound.
  int low = 0, high = 0;
  double sum = 0.0;
  const int n = 20000;
  for (int64_t step = 0; step < n; ++step) {
    const double t = AuthorsPathPoint(3, step);
    ASSERT_GE(t, 0.25);
    ASSERT_LE(t, 0.75);
    low += t == 0.25;
    high += t == 0.75;
    sum += t;
  }
  EXPECT_NEAR(static_cast<double>(low) / n, 0.3085, 0.015);
  EXPECT_NEAR(static_cast<double>(high) / n, 0.3085, 0.015);
  EXPECT_NEAR(sum / n, 0.5, 0.01);
}

TEST(DrawsTest, DrawPathPointFollowsTheSpec) {
  CbftSpec options;  // Defaults: the authors' clipped normal on [0.25, 0.75].
  for (int64_t step = 0; step < 200; ++step) {
    ASSERT_EQ(DrawPathPoint(options, 5, step), AuthorsPathPoint(5, step));
  }
  options.set_t_draw(CbftSpec::UNIFORM);
  options.set_t_min(0.2);
  options.set_t_max(0.4);
  double lo = 1.0, hi = 0.0, sum = 0.0;
  const int n = 4000;
  for (int64_t step = 0; step < n; ++step) {
    const double t = DrawPathPoint(options, 5, step);
    lo = std::min(lo, t);
    hi = std::max(hi, t);
    sum += t;
  }
  EXPECT_GE(lo, 0.2);
  EXPECT_LT(hi, 0.4);
  EXPECT_LT(lo, 0.202);  // Covers the range (4000 draws).
  EXPECT_GT(hi, 0.398);
  EXPECT_NEAR(sum / n, 0.3, 0.005);
  options.set_t_draw(CbftSpec::CLIPPED_NORMAL);
  options.set_t_min(0.0);
  options.set_t_max(1.0);
  int at_edges = 0;
  for (int64_t step = 0; step < n; ++step) {
    const double t = DrawPathPoint(options, 5, step);
    ASSERT_GE(t, 0.0);
    ASSERT_LE(t, 1.0);
    at_edges += (t == 0.0 || t == 1.0);
  }
  // P(|z| > 1/2) = 0.617: most draws sit on the clipped edges.
  EXPECT_NEAR(at_edges / static_cast<double>(n), 0.617, 0.03);
}

TEST(DrawsTest, PathPointRangeIsValidated) {
  CbftSpec options;
  EXPECT_TRUE(ValidatePathPointRange(options).ok());
  options.set_t_min(0.8);
  options.set_t_max(0.3);
  EXPECT_FALSE(ValidatePathPointRange(options).ok());
  options.set_t_min(0.0);
  options.set_t_max(1.5);
  EXPECT_FALSE(ValidatePathPointRange(options).ok());
}

TEST(DrawsTest, CueBatchIndicesInRangeDeterministicPerStep) {
  const std::vector<int64_t> a = CueBatchIndices(1, 5, 64, 37);
  ASSERT_EQ(a.size(), 64u);
  for (int64_t i : a) {
    EXPECT_GE(i, 0);
    EXPECT_LT(i, 37);
  }
  EXPECT_EQ(a, CueBatchIndices(1, 5, 64, 37));
  EXPECT_NE(a, CueBatchIndices(1, 6, 64, 37));
  EXPECT_NE(a, CueBatchIndices(2, 5, 64, 37));
  std::set<int64_t> seen(a.begin(), a.end());
  EXPECT_GT(seen.size(), 20u);
}

}  // namespace
}  // namespace mmc
