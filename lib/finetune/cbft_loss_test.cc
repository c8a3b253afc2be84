// Tests for lib/finetune/cbft_loss.h: the barrier term on a constant path
// (theta == theta_C) and its gradient through the path, the invariance term
// on hand-computed toy features in both forms, and the counter-based draws.
#include "lib/finetune/cbft_loss.h"

#include <torch/torch.h>

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

TEST_F(ToyFeatures, PaperFormIsMeanL2DistanceOverClassesPresentInBoth) {
  // ||(2,-2)|| = 2 sqrt 2, ||(-3,4)|| = 5; K = 2 classes present in both.
  const double expected = 0.5 / 2.0 * (2.0 * std::sqrt(2.0) + 5.0);
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
