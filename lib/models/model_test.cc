// Tests for lib/models/model.h: the functional forward over a parameter map
// equals the torch::nn module bit for bit; gradients flow into maps built by
// interpolation; parameter counts and FLOPs of known configurations.
#include "lib/models/model.h"

#include <torch/torch.h>

#include "gtest/gtest.h"
#include "lib/models/modules.h"

namespace mmc {
namespace {

std::unique_ptr<Model> MakeModel(ModelSpec::Arch arch, double width,
                                 int in_channels, int classes) {
  ModelSpec spec;
  spec.set_arch(arch);
  spec.set_width(width);
  auto model = Model::Create(spec, in_channels, classes);
  EXPECT_TRUE(model.ok()) << model.status();
  return std::move(*model);
}

TEST(ModelTest, VggForwardEqualsModuleBitForBit) {
  torch::manual_seed(3);
  std::vector<int64_t> channels = {8, 8, 16, 16, 32, 32, 64, 64, 64, 64};
  std::vector<bool> strided = {false, true,  false, true,  false,
                               true,  false, true,  false, false};
  Vgg13 module(1, channels, strided, 10);
  auto model = MakeModel(ModelSpec::VGG13, 0.125, 1, 10);
  torch::Tensor x = torch::randn({6, 1, 28, 28});
  // Train mode: batch statistics, and the running stats move identically.
  ParamMap reference = CloneParams(ParamsOf(*module));
  module->train();
  torch::Tensor expected = module->forward(x);
  ParamMap mine = CloneParams(reference);
  torch::Tensor got = model->Logits(mine, x, BnMode::kTrain);
  EXPECT_TRUE(torch::equal(expected, got));
  EXPECT_TRUE(ParamsEqual(mine, CloneParams(ParamsOf(*module))));
  // Eval mode on the updated statistics.
  module->eval();
  EXPECT_TRUE(torch::equal(module->forward(x),
                           model->Logits(ParamsOf(*module), x, BnMode::kEval)));
}

TEST(ModelTest, ResNetForwardEqualsModuleBitForBit) {
  torch::manual_seed(4);
  ResNet18 module(3, std::vector<int64_t>{8, 16, 32, 64}, 10);
  auto model = MakeModel(ModelSpec::RESNET18, 0.125, 3, 10);
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  module->train();
  module->forward(x);  // Move the running statistics off their init.
  module->eval();
  EXPECT_TRUE(torch::equal(module->forward(x),
                           model->Logits(ParamsOf(*module), x, BnMode::kEval)));
  // A 64x32 (Dominoes) input works through global average pooling.
  torch::Tensor tall = torch::randn({2, 3, 64, 32});
  EXPECT_TRUE(
      torch::equal(module->forward(tall),
                   model->Logits(ParamsOf(*module), tall, BnMode::kEval)));
}

TEST(ModelTest, InitIsDeterministicAndMatchesLayout) {
  auto model = MakeModel(ModelSpec::VGG13, 0.125, 1, 10);
  ParamMap a = model->Init(7), b = model->Init(7), c = model->Init(8);
  EXPECT_TRUE(ParamsEqual(a, b));
  EXPECT_FALSE(ParamsEqual(a, c));
  // QUICK_TIER.md: the width-1/8 VGG-13 has 148k parameters.
  EXPECT_EQ(CountParameters(a), 148338);
  EXPECT_EQ(a.at("features.1.conv.weight").sizes(),
            (std::vector<int64_t>{8, 8, 3, 3}));
  EXPECT_EQ(a.at("head.weight").sizes(), (std::vector<int64_t>{10, 64}));
  EXPECT_EQ(a.count("features.0.bn.running_var"), 1u);
  EXPECT_EQ(model->BatchNormLayers().size(), 10u);
}

TEST(ModelTest, ResNetParameterCountAtFullWidth) {
  auto model = MakeModel(ModelSpec::RESNET18, 1.0, 3, 10);
  // The CIFAR ResNet-18 has 11,173,962 parameters.
  EXPECT_EQ(CountParameters(model->Init(0)), 11173962);
  EXPECT_EQ(model->BatchNormLayers().size(), 20u);
  // 0.56 GFLOPs (multiply-adds) per 32x32 image: 1.11e9 FLOPs.
  EXPECT_NEAR(model->ForwardFlops(32, 32), 1.1109e9, 0.001e9);
}

TEST(ModelTest, GradientsFlowIntoInterpolatedMaps) {
  auto model = MakeModel(ModelSpec::VGG13, 0.125, 1, 10);
  ParamMap a = model->Init(1);
  ParamMap b = model->Init(2);
  for (auto& [name, t] : b) {
    if (!IsBuffer(name)) t.set_requires_grad(true);
  }
  ParamMap mid = Interpolate(a, b, 0.25);
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  torch::Tensor loss = torch::cross_entropy_loss(
      model->Logits(mid, x, BnMode::kBatchStats), torch::tensor({0, 1, 2, 3}));
  loss.backward();
  for (const auto& [name, t] : b) {
    if (IsBuffer(name)) continue;
    ASSERT_TRUE(t.grad().defined()) << name;
    EXPECT_GT(t.grad().abs().sum().item<double>(), 0.0) << name;
  }
  // d loss / d b = 0.25 * d loss / d theta(t): check on the head bias.
  ParamMap mid2 = Interpolate(a, CloneParams(b), 0.25);
  mid2["head.bias"] = mid2["head.bias"].detach().requires_grad_(true);
  torch::Tensor loss2 = torch::cross_entropy_loss(
      model->Logits(mid2, x, BnMode::kBatchStats), torch::tensor({0, 1, 2, 3}));
  loss2.backward();
  EXPECT_TRUE(torch::allclose(b.at("head.bias").grad(),
                              0.25 * mid2.at("head.bias").grad(), 1e-6, 1e-7));
}

TEST(ModelTest, BadSpecIsAnError) {
  ModelSpec spec;
  spec.set_arch(ModelSpec::VGG13);
  spec.set_width(0);
  EXPECT_FALSE(Model::Create(spec, 1, 10).ok());
  spec.set_width(1);
  spec.set_arch(ModelSpec::ARCH_UNSPECIFIED);
  EXPECT_FALSE(Model::Create(spec, 1, 10).ok());
}

}  // namespace
}  // namespace mmc
