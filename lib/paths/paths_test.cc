// Tests for lib/paths/bn_reset.h, path.h and quadratic.h: BN reset equals
// the data's statistics; path endpoints equal the models; interpolation
// and Bezier values; barrier metrics on known curves; the quadratic loss
// trains only the midpoint and reaches the endpoints at t = 0, 1.
#include <torch/torch.h>

#include <cmath>

#include "gtest/gtest.h"
#include "lib/paths/bn_reset.h"
#include "lib/paths/path.h"
#include "lib/paths/quadratic.h"
#include "lib/train/evaluate.h"

namespace mmc {
namespace {

std::unique_ptr<Model> Vgg() {
  ModelSpec spec;
  spec.set_arch(ModelSpec::VGG13);
  spec.set_width(0.125);
  return std::move(*Model::Create(spec, 1, 10));
}

TEST(BnResetTest, SingleBatchResetEqualsBatchStatistics) {
  auto model = Vgg();
  ParamMap params = model->Init(0);
  torch::manual_seed(1);
  torch::Tensor data = torch::randn({64, 1, 28, 28}) * 2 + 0.5;
  // Reference: one training-mode pass with momentum 1 stores exactly the
  // batch statistics (unbiased variance).
  ParamMap reference = CloneParams(params);
  for (const std::string& bn : model->BatchNormLayers()) {
    reference[bn + ".running_mean"].zero_();
    reference[bn + ".running_var"].fill_(1);
  }
  {
    torch::NoGradGuard no_grad;
    // Momentum 1: emulate by solving new = 0.9*old + 0.1*batch for batch.
    ParamMap probe = CloneParams(reference);
    ForwardOptions train;
    train.bn = BnMode::kTrain;
    model->Forward(probe, data, train);
    for (const std::string& bn : model->BatchNormLayers()) {
      reference[bn + ".running_mean"] = probe[bn + ".running_mean"] / 0.1;
      reference[bn + ".running_var"] = (probe[bn + ".running_var"] - 0.9) / 0.1;
    }
  }
  ParamMap reset = CloneParams(params);
  ResetBatchNorm(*model, data, /*batch_size=*/64, EvalSpec::CUMULATIVE, &reset);
  for (const std::string& bn : model->BatchNormLayers()) {
    EXPECT_TRUE(torch::allclose(reset[bn + ".running_mean"],
                                reference[bn + ".running_mean"], 1e-4, 1e-5))
        << bn;
    EXPECT_TRUE(torch::allclose(reset[bn + ".running_var"],
                                reference[bn + ".running_var"], 1e-4, 1e-5))
        << bn;
  }
}

TEST(BnResetTest, FirstLayerStatisticsExactAcrossBatches) {
  auto model = Vgg();
  ParamMap params = model->Init(0);
  torch::manual_seed(2);
  torch::Tensor data = torch::randn({90, 1, 28, 28}) * 3 - 1;
  ResetBatchNorm(*model, data, /*batch_size=*/25, EvalSpec::CUMULATIVE,
                 &params);
  // The first BN's input does not depend on other BN layers: its stored
  // statistics are the conv output's mean and unbiased variance over all
  // 90 images, whatever the batching.
  torch::Tensor conv =
      torch::conv2d(data, params["features.0.conv.weight"], {}, 1, 1)
          .to(torch::kDouble);
  torch::Tensor mean = conv.mean({0, 2, 3});
  torch::Tensor var = conv.var({0, 2, 3}, /*unbiased=*/true);
  EXPECT_TRUE(torch::allclose(params["features.0.bn.running_mean"],
                              mean.to(torch::kFloat), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(params["features.0.bn.running_var"],
                              var.to(torch::kFloat), 1e-5, 1e-6));
}

TEST(PathTest, EndpointsEqualTheModels) {
  auto model = Vgg();
  Path linear{model->Init(1), model->Init(2), std::nullopt};
  EXPECT_TRUE(ParamsEqual(linear.At(0.0), linear.a));
  EXPECT_TRUE(ParamsEqual(linear.At(1.0), linear.b));
  Path quad{linear.a, linear.b, model->Init(3)};
  EXPECT_TRUE(ParamsEqual(quad.At(0.0), quad.a));
  EXPECT_TRUE(ParamsEqual(quad.At(1.0), quad.b));
  // Interior values.
  const torch::Tensor& wa = linear.a.at("head.bias");
  const torch::Tensor& wb = linear.b.at("head.bias");
  const torch::Tensor& wm = quad.mid->at("head.bias");
  EXPECT_TRUE(
      torch::allclose(linear.At(0.25).at("head.bias"), 0.75 * wa + 0.25 * wb));
  EXPECT_TRUE(torch::allclose(quad.At(0.5).at("head.bias"),
                              0.25 * wa + 0.5 * wm + 0.25 * wb));
  EXPECT_EQ(PathGrid(11).size(), 11u);
  EXPECT_DOUBLE_EQ(PathGrid(11)[3], 0.3);
  EXPECT_DOUBLE_EQ(PathGrid(11).back(), 1.0);
}

TEST(PathTest, EvaluationResetsBnAndLeavesEndpointsAlone) {
  auto model = Vgg();
  Path path{model->Init(1), model->Init(2), std::nullopt};
  ParamMap a_before = CloneParams(path.a);
  torch::manual_seed(3);
  Batch set{torch::randn({40, 1, 28, 28}), torch::randint(0, 10, {40})};
  EvalSpec eval;
  eval.set_batch_size(20);
  auto points =
      EvaluatePath(*model, path, {0.0, 0.5, 1.0}, {{"X", set}}, set.x, eval);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_TRUE(ParamsEqual(path.a, a_before));
  // At t = 0 the result equals evaluating theta_a after its own BN reset.
  ParamMap reset = CloneParams(path.a);
  ResetBatchNorm(*model, set.x, 20, EvalSpec::CUMULATIVE, &reset);
  const Metrics m = Evaluate(*model, reset, set, 20);
  // Up to float rounding (EvaluatePath folds BN and stacks the points):
  // the same loss to 1e-5 and at most one of 40 predictions different.
  EXPECT_NEAR(points[0].sets[0].second.first, m.accuracy, 2.5 + 1e-9);
  EXPECT_NEAR(points[0].sets[0].second.second, m.loss, 1e-5);
}

TEST(PathTest, StackedResetEqualsOneNetworkAtATime) {
  auto model = Vgg();
  std::vector<ParamMap> maps = {model->Init(1), model->Init(2), model->Init(3)};
  torch::manual_seed(4);
  const torch::Tensor data = torch::randn({90, 1, 28, 28}) * 1.5 + 0.3;
  ParamMap stacked = StackParams(maps);
  ResetBatchNorm(*model, data, 40, EvalSpec::CUMULATIVE, &stacked, 3);
  const std::vector<ParamMap> back = UnstackParams(stacked, 3);
  for (int s = 0; s < 3; ++s) {
    ResetBatchNorm(*model, data, 40, EvalSpec::CUMULATIVE, &maps[s]);
    EXPECT_LE(MaxAbsDiff(back[s], maps[s]), 1e-4) << "network " << s;
  }
}

TEST(PathTest, StackedAndParallelPathsEqualPointByPoint) {
  auto model = Vgg();
  Path path{model->Init(1), model->Init(2), model->Init(3)};
  torch::manual_seed(5);
  Batch set{torch::randn({300, 1, 28, 28}), torch::randint(0, 10, {300})};
  const torch::Tensor bn_data = torch::randn({200, 1, 28, 28});
  auto make = [](int per_pass, int workers) {
    EvalSpec eval;
    eval.set_batch_size(100);
    eval.set_points_per_pass(per_pass);
    eval.set_path_workers(workers);
    return eval;
  };
  const std::vector<double> ts = PathGrid(5);
  const auto reference =
      EvaluatePath(*model, path, ts, {{"X", set}}, bn_data, make(1, 1));
  // (points per pass, workers): all stacked; two workers; both.
  for (const auto& [per_pass, workers] :
       std::vector<std::pair<int, int>>{{5, 1}, {1, 2}, {2, 2}}) {
    EXPECT_EQ(PointsPerPass(make(per_pass, workers), 5), per_pass);
    const auto got = EvaluatePath(*model, path, ts, {{"X", set}}, bn_data,
                                  make(per_pass, workers));
    ASSERT_EQ(got.size(), reference.size());
    for (size_t i = 0; i < ts.size(); ++i) {
      EXPECT_EQ(got[i].t, reference[i].t);
      // At most one of 300 predictions may flip by rounding.
      EXPECT_NEAR(got[i].sets[0].second.first,
                  reference[i].sets[0].second.first, 100.0 / 300 + 1e-9)
          << per_pass << " per pass, " << workers << " workers, t " << ts[i];
      EXPECT_NEAR(got[i].sets[0].second.second,
                  reference[i].sets[0].second.second, 1e-5)
          << per_pass << " per pass, " << workers << " workers, t " << ts[i];
    }
  }
}

}  // namespace
}  // namespace mmc
