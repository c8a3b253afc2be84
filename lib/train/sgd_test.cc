// Tests for lib/train/sgd.h: the update equals torch::optim::SGD's, frozen
// entries and buffers stay put.
#include "lib/train/sgd.h"

#include <torch/torch.h>

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
