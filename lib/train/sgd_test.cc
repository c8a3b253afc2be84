// Tests for lib/train/sgd.h: the update equals torch::optim::SGD's, frozen
// entries and buffers stay put.
#include "lib/train/sgd.h"

#include <torch/torch.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(SgdTest, MatchesTorchOptimSgd) {
  torch::manual_seed(0);
  torch::Tensor w0 = torch::randn({5, 3});
  torch::Tensor x = torch::randn({8, 5});
  // Ours.
  ParamMap params = {{"w", w0.clone()}};
  Sgd sgd(0.9, 1e-2);
  sgd.Prepare(&params);
  // Reference.
  torch::Tensor w = w0.clone().requires_grad_(true);
  torch::optim::SGD reference(
      {w}, torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-2));
  for (int step = 0; step < 5; ++step) {
    const double lr = 0.1;
    x.matmul(params["w"]).square().sum().backward();
    sgd.Step(&params, lr);
    reference.zero_grad();
    x.matmul(w).square().sum().backward();
    reference.step();
  }
  // Bit for bit: the same float operations in the same order (the _foreach
  // ops run tensor by tensor on the CPU), so runs trained before and after
  // the multi-tensor update are identical.
  EXPECT_TRUE(torch::equal(params["w"], w));
}

// The one-pass update (fused_sgd.h) against torch::optim::SGD's ops, bit
// for bit, on sizes around the vector width (8 lanes; ATen's AVX-512 body
// takes 32 at a time): the tails round as the bodies do. With and without
// momentum and weight decay, over steps with changing lr, and the momentum
// buffers too.
TEST(SgdTest, OnePassUpdateMatchesTorchOptimSgdOnEverySize) {
  const std::vector<int64_t> sizes = {1,  7,  8,  9,    15,  16,
                                      17, 31, 33, 1000, 4608};
  for (double momentum : {0.0, 0.9}) {
    // 0.7: a decay term as large as the gradient, so that its rounding
    // shows.
    for (double weight_decay : {0.0, 1e-4, 0.7}) {
      torch::manual_seed(1);
      ParamMap params;
      std::vector<torch::Tensor> reference_params;
      for (size_t i = 0; i < sizes.size(); ++i) {
        const torch::Tensor w = torch::randn({sizes[i]});
        params["p" + std::to_string(i)] = w.clone();
        reference_params.push_back(w.clone().requires_grad_(true));
      }
      Sgd sgd(momentum, weight_decay);
      sgd.Prepare(&params);
      torch::optim::SGD reference(
          reference_params,
          torch::optim::SGDOptions(0.1).momentum(momentum).weight_decay(
              weight_decay));
      for (int step = 0; step < 4; ++step) {
        const double lr = 0.3 / (step + 1);
        for (auto& group : reference.param_groups()) {
          static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
        }
        reference.zero_grad();
        for (size_t i = 0; i < sizes.size(); ++i) {
          const torch::Tensor target = torch::randn({sizes[i]});
          (params["p" + std::to_string(i)] - target).pow(3).sum().backward();
          (reference_params[i] - target).pow(3).sum().backward();
        }
        sgd.Step(&params, lr);
        reference.step();
        for (size_t i = 0; i < sizes.size(); ++i) {
          const std::string name = "p" + std::to_string(i);
          ASSERT_TRUE(torch::equal(params[name], reference_params[i]))
              << name << " (" << sizes[i] << " elements), step " << step
              << ", momentum " << momentum << ", weight decay " << weight_decay;
          EXPECT_TRUE(
              torch::equal(params[name].grad(), torch::zeros({sizes[i]})));
          if (momentum != 0.0) {
            const auto& state = static_cast<torch::optim::SGDParamState&>(
                *reference.state().at(c10::guts::to_string(
                    reference_params[i].unsafeGetTensorImpl())));
            EXPECT_TRUE(
                torch::equal(sgd.state().at(name), state.momentum_buffer()))
                << name << ", step " << step;
          }
        }
      }
    }
  }
}

TEST(SgdTest, FrozenAndBuffersUntouched) {
  ParamMap params = {{"head.weight", torch::ones({2})},
                     {"body.weight", torch::ones({2})},
                     {"bn.running_mean", torch::ones({2})}};
  Sgd sgd(0.0, 0.0, {"body.weight"});
  sgd.Prepare(&params);
  EXPECT_TRUE(params["head.weight"].requires_grad());
  EXPECT_FALSE(params["body.weight"].requires_grad());
  EXPECT_FALSE(params["bn.running_mean"].requires_grad());
  (params["head.weight"] * 3 + params["body.weight"]).sum().backward();
  sgd.Step(&params, 0.5);
  EXPECT_TRUE(torch::allclose(params["head.weight"], torch::full({2}, -0.5)));
  EXPECT_TRUE(torch::equal(params["body.weight"], torch::ones({2})));
  EXPECT_TRUE(torch::equal(params["bn.running_mean"], torch::ones({2})));
}

}  // namespace
}  // namespace mmc
