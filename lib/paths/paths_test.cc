// Tests for lib/paths/bn_reset.h, path.h and quadratic.h: BN reset equals
// the data's statistics; path endpoints equal the models and are evaluated
// after their own BN reset; interpolation and Bezier values; barrier
// metrics on known curves; MidpointInit; the quadratic loss trains only the
// midpoint at a deterministic, uniform t.
#include <torch/torch.h>

#include <cmath>

#include "gtest/gtest.h"
#include "lib/paths/bn_reset.h"
#include "lib/paths/endpoint_memo.h"
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
  Path linear = LinearPath(model->Init(1), model->Init(2));
  EXPECT_TRUE(ParamsEqual(linear.At(0.0), linear.a));
  EXPECT_TRUE(ParamsEqual(linear.At(1.0), linear.b));
  Path quad = QuadraticPath(linear.a, model->Init(3), linear.b);
  EXPECT_TRUE(ParamsEqual(quad.At(0.0), quad.a));
  EXPECT_TRUE(ParamsEqual(quad.At(1.0), quad.b));
  // Interior values.
  const torch::Tensor& wa = linear.a.at("head.bias");
  const torch::Tensor& wb = linear.b.at("head.bias");
  const torch::Tensor& wm = quad.controls.front().at("head.bias");
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
  Path path = LinearPath(model->Init(1), model->Init(2));
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
  // The same at t = 1 with theta_b.
  ParamMap reset_b = CloneParams(path.b);
  ResetBatchNorm(*model, set.x, 20, EvalSpec::CUMULATIVE, &reset_b);
  const Metrics mb = Evaluate(*model, reset_b, set, 20);
  EXPECT_NEAR(points[2].sets[0].second.first, mb.accuracy, 2.5 + 1e-9);
  EXPECT_NEAR(points[2].sets[0].second.second, mb.loss, 1e-5);
  // And not theta_b under its own (initial) running statistics: the reset is
  // what the endpoints are evaluated with.
  const Metrics own = Evaluate(*model, path.b, set, 20);
  EXPECT_GT(std::abs(points[2].sets[0].second.second - own.loss), 1e-3);
}

TEST(BarrierTest, KnownCurves) {
  const std::vector<double> ts = {0.0, 0.25, 0.5, 0.75, 1.0};
  // Losses on the chord and flat accuracies: no barrier, no dip.
  BarrierMetrics chord =
      ComputeBarrier(ts, {90, 90, 90, 90, 90}, {0.2, 0.3, 0.4, 0.5, 0.6});
  EXPECT_NEAR(chord.loss_barrier, 0.0, 1e-12);
  EXPECT_NEAR(chord.accuracy_dip, 0.0, 1e-12);
  // 1.5 nats above the chord (0.4) at t = 0.5; accuracy 40 below the lower
  // endpoint's 90: dip 50.
  BarrierMetrics bump =
      ComputeBarrier(ts, {95, 80, 40, 70, 90}, {0.2, 0.8, 1.9, 0.9, 0.6});
  EXPECT_NEAR(bump.loss_barrier, 1.5, 1e-12);
  EXPECT_NEAR(bump.accuracy_dip, 50.0, 1e-12);
  // The maximum, not the midpoint: 0.7 above the chord at t = 0.25.
  BarrierMetrics early =
      ComputeBarrier(ts, {90, 90, 90, 90, 90}, {0.0, 0.7, 0.3, 0.2, 0.0});
  EXPECT_NEAR(early.loss_barrier, 0.7, 1e-12);
  // A path below its chord: the endpoints are on it, so the barrier is 0,
  // and accuracies above the endpoints give no dip.
  BarrierMetrics below =
      ComputeBarrier(ts, {90, 95, 95, 95, 90}, {1.0, 0.5, 0.5, 0.5, 1.0});
  EXPECT_NEAR(below.loss_barrier, 0.0, 1e-12);
  EXPECT_NEAR(below.accuracy_dip, 0.0, 1e-12);
  // Uneven endpoint losses: the chord at t = 0.5 is 1.5, the loss 2.0.
  BarrierMetrics tilted =
      ComputeBarrier({0.0, 0.5, 1.0}, {80, 70, 90}, {1.0, 2.0, 2.0});
  EXPECT_NEAR(tilted.loss_barrier, 0.5, 1e-12);
  EXPECT_NEAR(tilted.accuracy_dip, 10.0, 1e-12);
}

TEST(QuadraticTest, MidpointInitIsTheAverageOfEveryEntry) {
  auto model = Vgg();
  ParamMap a = model->Init(1), b = model->Init(2);
  ParamMap mid = MidpointInit(a, b);
  ASSERT_EQ(mid.size(), a.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(mid.count(name)) << name;
    EXPECT_TRUE(
        torch::allclose(mid.at(name), 0.5 * (t + b.at(name)), 1e-6, 1e-7))
        << name;
  }
}

TEST(QuadraticTest, LossTrainsOnlyTheMidpointAndTIsUniform) {
  auto model = Vgg();
  ParamMap a = model->Init(1), b = model->Init(2);
  ParamMap mid = MidpointInit(a, b);
  torch::manual_seed(4);
  auto data = std::make_shared<Batch>(
      Batch{torch::randn({16, 1, 28, 28}), torch::randint(0, 10, {16})});
  for (auto& [name, t] : mid) {
    if (!IsBuffer(name)) t.requires_grad_(true);
  }
  ParamMap a_before = CloneParams(a), b_before = CloneParams(b);
  LossFn loss = QuadraticMidpointLoss(*model, a, b, data, 7);
  StepResult r = loss(mid, torch::arange(16), 0);
  ASSERT_TRUE(std::isfinite(r.loss.item<double>()));
  r.loss.backward();
  int with_grad = 0;
  for (const auto& [name, t] : mid) {
    if (IsBuffer(name)) continue;
    ASSERT_TRUE(t.grad().defined()) << name;
    with_grad += t.grad().abs().sum().item<double>() > 0;
  }
  EXPECT_GT(with_grad, 0);
  // The endpoints are frozen: unchanged and without gradients.
  EXPECT_TRUE(ParamsEqual(a, a_before));
  EXPECT_TRUE(ParamsEqual(b, b_before));
  // The loss is CE of the model at theta(t) with t = PathSampleT(7, 0).
  const double t = PathSampleT(7, 0);
  Path path = QuadraticPath(a, CloneParams(mid), b);
  ForwardOptions batch_stats;  // theta(t)'s running statistics are unused.
  batch_stats.bn = BnMode::kBatchStats;
  const torch::Tensor logits =
      model->Forward(path.At(t), data->x, batch_stats).logits;
  EXPECT_NEAR(r.loss.item<double>(),
              torch::cross_entropy_loss(logits, data->y).item<double>(), 1e-5);
  // t draws: deterministic per (seed, step), in [0, 1), uniform (mean
  // 0.5 within 5 sigma over 10,000 draws), and seed-dependent.
  EXPECT_EQ(PathSampleT(7, 3), PathSampleT(7, 3));
  EXPECT_NE(PathSampleT(7, 3), PathSampleT(8, 3));
  double sum = 0.0;
  int below_tenth = 0;
  for (int s = 0; s < 10000; ++s) {
    const double u = PathSampleT(7, s);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    below_tenth += u < 0.1;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 5 * std::sqrt(1.0 / 12 / 10000));
  EXPECT_NEAR(below_tenth / 10000.0, 0.1, 5 * std::sqrt(0.09 / 10000));
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
  Path path = QuadraticPath(model->Init(1), model->Init(3), model->Init(2));
  torch::manual_seed(5);
  Batch set{torch::randn({300, 1, 28, 28}), torch::randint(0, 10, {300})};
  Batch other{torch::randn({200, 1, 28, 28}) * 2, torch::randint(0, 10, {200})};
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
  // With more than one worker every item (a point's preparation, one set's
  // evaluation) runs on one thread, whichever worker takes it: 2 and 3
  // workers give the same numbers exactly, in the order of the points and
  // of the sets.
  const std::vector<std::pair<std::string, Batch>> three = {
      {"X", set}, {"Y", other}, {"Z", set}};
  const auto two_workers =
      EvaluatePath(*model, path, ts, three, bn_data, make(1, 2));
  const auto three_workers =
      EvaluatePath(*model, path, ts, three, bn_data, make(1, 3));
  ASSERT_EQ(two_workers.size(), ts.size());
  ASSERT_EQ(three_workers.size(), ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    EXPECT_EQ(two_workers[i].t, ts[i]);
    EXPECT_EQ(three_workers[i].t, ts[i]);
    ASSERT_EQ(two_workers[i].sets.size(), 3u);
    ASSERT_EQ(three_workers[i].sets.size(), 3u);
    for (size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(two_workers[i].sets[s].first, three[s].first);
      EXPECT_EQ(two_workers[i].sets[s].second, three_workers[i].sets[s].second)
          << "t " << ts[i] << " set " << three[s].first;
    }
    // "Z" is "X" again: the same numbers, and not those of "Y".
    EXPECT_EQ(two_workers[i].sets[2].second, two_workers[i].sets[0].second);
    EXPECT_NE(two_workers[i].sets[1].second, two_workers[i].sets[0].second);
  }
}

TEST(PathTest, ParallelPathReportsAnItemsError) {
  auto model = Vgg();
  const Path path = LinearPath(model->Init(1), model->Init(2));
  // The second set has 3 channels: its evaluation throws on a worker; the
  // error reaches the caller and no worker waits forever.
  const std::vector<std::pair<std::string, Batch>> sets = {
      {"good",
       Batch{torch::randn({50, 1, 28, 28}), torch::randint(0, 10, {50})}},
      {"bad",
       Batch{torch::randn({50, 3, 28, 28}), torch::randint(0, 10, {50})}}};
  EvalSpec eval;
  eval.set_batch_size(50);
  eval.set_path_workers(2);
  EXPECT_THROW(EvaluatePath(*model, path, PathGrid(4), sets,
                            torch::randn({60, 1, 28, 28}), eval),
               c10::Error);
}

TEST(PathTest, EndpointMemoReusesEndpointsBitForBit) {
  auto model = Vgg();
  const ParamMap a = model->Init(1), b = model->Init(2), c = model->Init(3);
  torch::manual_seed(6);
  const std::vector<std::pair<std::string, Batch>> sets = {
      {"X",
       Batch{torch::randn({120, 1, 28, 28}), torch::randint(0, 10, {120})}},
      {"Y",
       Batch{torch::randn({80, 1, 28, 28}) * 2, torch::randint(0, 10, {80})}}};
  const torch::Tensor bn_data = torch::randn({100, 1, 28, 28});
  EvalSpec eval;
  eval.set_batch_size(50);
  eval.set_path_workers(2);
  const std::vector<double> ts = PathGrid(3);
  auto same = [](const PointMetrics& x, const PointMetrics& y) {
    return x.t == y.t && x.sets == y.sets;  // Names and numbers, exactly.
  };

  EndpointMemo memo;
  const auto ab =
      EvaluatePath(*model, LinearPath(a, b), ts, sets, bn_data, eval, &memo);
  EXPECT_EQ(memo.size(), 2);  // a and b; not the midpoint.
  EXPECT_EQ(memo.hits(), 0);
  // b (t = 0 here) and a (t = 1) come from the memo: the same numbers as
  // evaluating the path anew, bit for bit, and as b and a on the first path.
  const Path quadratic = QuadraticPath(b, c, a);
  const auto with_memo =
      EvaluatePath(*model, quadratic, ts, sets, bn_data, eval, &memo);
  EXPECT_EQ(memo.hits(), 2);
  const auto fresh = EvaluatePath(*model, quadratic, ts, sets, bn_data, eval);
  ASSERT_EQ(with_memo.size(), 3u);
  ASSERT_EQ(fresh.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(same(with_memo[i], fresh[i])) << "t " << ts[i];
  }
  EXPECT_EQ(with_memo[0].sets, ab[2].sets);
  EXPECT_EQ(with_memo[2].sets, ab[0].sets);
  EXPECT_NE(with_memo[1].sets, ab[1].sets);  // The midpoints differ.
  // b again at t = 0, c new at t = 1.
  const auto bc =
      EvaluatePath(*model, LinearPath(b, c), ts, sets, bn_data, eval, &memo);
  EXPECT_EQ(memo.hits(), 3);
  EXPECT_EQ(memo.size(), 3);
  const auto bc_fresh =
      EvaluatePath(*model, LinearPath(b, c), ts, sets, bn_data, eval);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(same(bc[i], bc_fresh[i])) << "t " << ts[i];
  }

  // A network differing in one value of one buffer is another network.
  ParamMap nudged = a;
  nudged["features.3.bn.running_var"] =
      nudged["features.3.bn.running_var"].clone();
  nudged["features.3.bn.running_var"][0] += 1e-3;
  EvaluatePath(*model, LinearPath(nudged, c), ts, sets, bn_data, eval, &memo);
  EXPECT_EQ(memo.hits(), 4);  // c.
  EXPECT_EQ(memo.size(), 4);  // nudged.

  // Stacked passes give numbers equal only up to rounding: no memo.
  EvalSpec stacked = eval;
  stacked.set_points_per_pass(3);
  EvaluatePath(*model, LinearPath(a, b), ts, sets, bn_data, stacked, &memo);
  EXPECT_EQ(memo.hits(), 4);
  EXPECT_EQ(memo.size(), 4);
}

}  // namespace
}  // namespace mmc
