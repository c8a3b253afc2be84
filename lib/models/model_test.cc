// Tests for lib/models/model.h: the functional forward over a parameter map
// equals the torch::nn module bit for bit; gradients flow into maps built by
// interpolation; parameter counts and FLOPs of known configurations; a
// stacked forward (S networks as one grouped network) equals S separate
// forwards; a BN-folded map computes the kEval function. Every registered
// architecture (architectures.h) builds and runs on both input shapes, and
// every ModelSpec::Arch value has exactly one entry.
#include "lib/models/model.h"

#include <torch/torch.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/models/architectures.h"
#include "lib/models/modules.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

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
  // Train mode: batch statistics, and the running stats move identically
  // in the module's NCHW layout (ForwardOptions::channels_last false).
  ParamMap reference = CloneParams(ParamsOf(*module));
  module->train();
  torch::Tensor expected = module->forward(x);
  ParamMap mine = CloneParams(reference);
  ForwardOptions nchw;
  nchw.bn = BnMode::kTrain;
  nchw.channels_last = false;
  torch::Tensor got = model->Forward(mine, x, nchw).logits;
  EXPECT_TRUE(torch::equal(expected, got));
  EXPECT_TRUE(ParamsEqual(mine, CloneParams(ParamsOf(*module))));
  // The training default, NHWC: the same function up to float rounding
  // (oneDNN's NHWC kernels sum in another order). 1e-4 is ~100x the
  // differences seen (a few 1e-6 on logits of order 1) and far below
  // anything a layout bug (a transposed or misread channel) produces.
  ParamMap nhwc_params = CloneParams(reference);
  ForwardOptions nhwc;
  nhwc.bn = BnMode::kTrain;
  ASSERT_TRUE(nhwc.channels_last);
  torch::Tensor nhwc_logits = model->Forward(nhwc_params, x, nhwc).logits;
  EXPECT_TRUE(torch::allclose(expected, nhwc_logits, 1e-4, 1e-4))
      << (expected - nhwc_logits).abs().max();
  for (const auto& [name, value] : mine) {
    EXPECT_TRUE(torch::allclose(value, nhwc_params.at(name), 1e-4, 1e-4))
        << name;
  }
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

TEST(ArchitecturesTest, EveryProtoArchHasOneEntry) {
  const google::protobuf::EnumDescriptor* archs = ModelSpec::Arch_descriptor();
  std::set<int> registered;
  for (const Architecture& entry : Architectures()) {
    EXPECT_TRUE(registered.insert(entry.arch).second)
        << entry.name << " registered twice";
    EXPECT_EQ(entry.name, ModelSpec::Arch_Name(entry.arch));
    EXPECT_NE(entry.create, nullptr) << entry.name;
  }
  for (int i = 0; i < archs->value_count(); ++i) {
    const int value = archs->value(i)->number();
    if (value == ModelSpec::ARCH_UNSPECIFIED) continue;
    EXPECT_EQ(registered.count(value), 1u)
        << archs->value(i)->name() << " has no entry in architectures.cc";
  }
  EXPECT_EQ(registered.count(ModelSpec::ARCH_UNSPECIFIED), 0u);
}

TEST(ArchitecturesTest, UnregisteredArchIsAnErrorNamingTheRegisteredOnes) {
  auto missing = FindArchitecture(ModelSpec::ARCH_UNSPECIFIED);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("model.arch must be "));
  EXPECT_THAT(missing.status().message(), HasSubstr("got ARCH_UNSPECIFIED"));
  for (const Architecture& entry : Architectures()) {
    EXPECT_THAT(missing.status().message(), HasSubstr(entry.name));
  }
  ModelSpec spec;
  spec.set_arch(ModelSpec::ARCH_UNSPECIFIED);
  spec.set_width(1);
  auto model = Model::Create(spec, 1, 10);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status(), missing.status());
}

TEST(ArchitecturesTest, EveryArchitectureBuildsAndRuns) {
  // (channels, height, width, classes): Fashion-MNIST and CIFAR-100 shapes.
  const std::vector<std::vector<int64_t>> shapes = {{1, 28, 28, 10},
                                                    {3, 32, 32, 100}};
  for (const Architecture& entry : Architectures()) {
    for (const std::vector<int64_t>& shape : shapes) {
      SCOPED_TRACE(::testing::Message()
                   << entry.name << " on " << shape[0] << "x" << shape[1] << "x"
                   << shape[2] << ", " << shape[3] << " classes");
      ModelSpec spec;
      spec.set_arch(entry.arch);
      spec.set_width(0.125);
      auto model = Model::Create(spec, shape[0], shape[3]);
      ASSERT_TRUE(model.ok()) << model.status();
      EXPECT_EQ((*model)->in_channels(), shape[0]);
      EXPECT_EQ((*model)->num_classes(), shape[3]);
      EXPECT_FALSE((*model)->Describe().empty());
      const ParamMap params = (*model)->Init(0);
      // Names are unique (a map) and complete: a conv weight and four BN
      // entries per BatchNorm layer, plus the head; nothing else.
      const std::vector<std::string> bns = (*model)->BatchNormLayers();
      EXPECT_EQ(std::set<std::string>(bns.begin(), bns.end()).size(),
                bns.size());
      EXPECT_EQ(params.size(), 5 * bns.size() + 2);
      for (const std::string& bn : bns) {
        const std::string prefix = bn.substr(0, bn.size() - 3);
        for (const std::string& name :
             {prefix + ".conv.weight", bn + ".weight", bn + ".bias",
              bn + ".running_mean", bn + ".running_var"}) {
          EXPECT_EQ(params.count(name), 1u) << name;
        }
      }
      for (const std::string& name : (*model)->HeadNames()) {
        EXPECT_EQ(params.count(name), 1u) << name;
      }
      // Every (parameter, axis) is permuted by exactly one group.
      std::set<std::string> group_names;
      std::set<std::pair<std::string, int>> axes;
      for (const PermutationGroup& g : (*model)->PermutationGroups()) {
        EXPECT_TRUE(group_names.insert(g.name).second) << g.name;
        for (const auto& axis : g.axes) {
          EXPECT_TRUE(axes.insert(axis).second)
              << axis.first << " axis " << axis.second;
          ASSERT_EQ(params.count(axis.first), 1u) << axis.first;
          EXPECT_EQ(params.at(axis.first).size(axis.second), g.size)
              << axis.first;
        }
      }
      torch::manual_seed(1);
      const torch::Tensor x = torch::randn({2, shape[0], shape[1], shape[2]});
      torch::NoGradGuard no_grad;
      EXPECT_EQ((*model)->Logits(params, x, BnMode::kEval).sizes(),
                (std::vector<int64_t>{2, shape[3]}));
      EXPECT_GT((*model)->ForwardFlops(shape[1], shape[2]), 0.0);
    }
  }
}

// Running statistics away from (0, 1), so that folding and evaluation use
// them for real.
ParamMap WithRandomStatistics(const Model& model, int64_t seed) {
  ParamMap params = model.Init(seed);
  torch::manual_seed(seed + 100);
  for (const std::string& bn : model.BatchNormLayers()) {
    torch::Tensor& mean = params[bn + ".running_mean"];
    mean = torch::randn_like(mean) * 0.5;
    torch::Tensor& var = params[bn + ".running_var"];
    var = torch::rand_like(var) * 2 + 0.1;
    torch::Tensor& gamma = params[bn + ".weight"];
    gamma = torch::rand_like(gamma) + 0.5;
  }
  return params;
}

class StackedTest : public ::testing::TestWithParam<ModelSpec::Arch> {};

TEST_P(StackedTest, StackedForwardEqualsSeparateForwards) {
  auto model = MakeModel(GetParam(), 0.125, 3, 10);
  std::vector<ParamMap> maps;
  for (int s = 0; s < 3; ++s) maps.push_back(WithRandomStatistics(*model, s));
  const ParamMap stacked = StackParams(maps);
  torch::manual_seed(7);
  const torch::Tensor x = torch::randn({6, 3, 16, 16});
  torch::NoGradGuard no_grad;
  for (BnMode mode : {BnMode::kEval, BnMode::kBatchStats}) {
    ForwardOptions options;
    options.bn = mode;
    options.stacked = 3;
    const ForwardOutput out = model->Forward(stacked, x, options);
    ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{6, 3, 10}));
    for (int s = 0; s < 3; ++s) {
      const torch::Tensor alone = model->Logits(maps[s], x, mode);
      EXPECT_LE((out.logits.select(1, s) - alone).abs().max().item<double>(),
                1e-4)
          << "network " << s << " mode " << static_cast<int>(mode);
    }
  }
  // Unstacking gives the maps back.
  const std::vector<ParamMap> back = UnstackParams(stacked, 3);
  for (int s = 0; s < 3; ++s) EXPECT_TRUE(ParamsEqual(back[s], maps[s]));
}

TEST_P(StackedTest, FoldedBatchNormComputesTheEvalFunction) {
  auto model = MakeModel(GetParam(), 0.125, 3, 10);
  const ParamMap params = WithRandomStatistics(*model, 4);
  const ParamMap folded = FoldBatchNorm(*model, params);
  EXPECT_EQ(
      folded.count("stem.bn.weight") + folded.count("features.0.bn.weight"),
      0u);
  torch::manual_seed(8);
  const torch::Tensor x = torch::randn({5, 3, 16, 16});
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = model->Logits(params, x, BnMode::kEval);
  const torch::Tensor got = model->Logits(folded, x, BnMode::kFolded);
  const double scale = expected.abs().max().item<double>();
  EXPECT_LE((got - expected).abs().max().item<double>(), 1e-5 * (1 + scale));
  // The same in oneDNN's layout (from the first conv with >= 16 inputs).
  ForwardOptions mkldnn;
  mkldnn.bn = BnMode::kFolded;
  mkldnn.mkldnn = true;
  const torch::Tensor blocked = model->Forward(folded, x, mkldnn).logits;
  EXPECT_FALSE(blocked.is_mkldnn());
  EXPECT_LE((blocked - expected).abs().max().item<double>(),
            1e-5 * (1 + scale));
}

// The blocked layout changes where activations live, not what oneDNN
// computes: each conv runs the kernel it runs on the NCHW tensor, so the
// features before the pooling are those of the dense folded pass bit for
// bit, stacked or not, with the first layers' thin inputs handed over in
// oneDNN's plain format (LayoutFor). A conv whose numbers moved with the
// layout (another kernel, another order of its sums) fails this.
TEST_P(StackedTest, MkldnnLayoutChangesNoNumber) {
  for (int64_t stacked : {1, 2}) {
    for (int64_t in : {1, 3}) {
      auto model = MakeModel(GetParam(), 0.125, in, 10);
      std::vector<ParamMap> maps;
      for (int64_t s = 0; s < stacked; ++s) {
        maps.push_back(FoldBatchNorm(*model, WithRandomStatistics(*model, s)));
      }
      const ParamMap folded = stacked == 1 ? maps[0] : StackParams(maps);
      torch::manual_seed(9);
      // Batches of 2+ images: ATen's oneDNN convolution path.
      const torch::Tensor x = torch::randn({6, in, 28, 28});
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> dense_sink, blocked_sink;
      ActivationSink to_dense = [&](const std::string&,
                                    const torch::Tensor& a) {
        dense_sink.push_back(a.is_mkldnn() ? a.to_dense() : a.clone());
      };
      ActivationSink to_blocked = [&](const std::string&,
                                      const torch::Tensor& a) {
        blocked_sink.push_back(a.is_mkldnn() ? a.to_dense() : a.clone());
      };
      ForwardOptions dense;
      dense.bn = BnMode::kFolded;
      dense.stacked = stacked;
      dense.sink = &to_dense;
      ForwardOptions blocked = dense;
      blocked.mkldnn = true;
      blocked.sink = &to_blocked;
      model->Forward(folded, x, dense);
      model->Forward(folded, x, blocked);
      ASSERT_EQ(dense_sink.size(), blocked_sink.size());
      ASSERT_FALSE(dense_sink.empty());
      for (size_t i = 0; i < dense_sink.size(); ++i) {
        EXPECT_TRUE(torch::equal(dense_sink[i], blocked_sink[i]))
            << "activation " << i << " of " << dense_sink.size() << ", stacked "
            << stacked << ", " << in << " input channels";
      }
    }
  }
}

std::vector<ModelSpec::Arch> RegisteredArchs() {
  std::vector<ModelSpec::Arch> archs;
  for (const Architecture& entry : Architectures()) {
    archs.push_back(entry.arch);
  }
  return archs;
}

INSTANTIATE_TEST_SUITE_P(Archs, StackedTest,
                         ::testing::ValuesIn(RegisteredArchs()));

}  // namespace
}  // namespace mmc
