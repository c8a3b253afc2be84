// Test helper of state_dict_roundtrip_test.sh: the C++ half of the round
// trip between this harness and PyTorch.
//
//   state_dict_tool export DIR ARCH WIDTH
//     writes DIR/ours.pt (a model with non-trivial BatchNorm statistics, as a
//     state dict) and DIR/ours_io.pt ({"x": a batch, "logits": our logits in
//     evaluation mode}).
//   state_dict_tool check DIR ARCH WIDTH NAMING FILE
//     imports DIR/FILE.pt (written by PyTorch, naming "ours" or "authors"),
//     checks it against ARCH/WIDTH and compares our evaluation-mode logits on
//     DIR/FILE_io.pt's x with PyTorch's (max |difference| <= 1e-5).
#include <torch/torch.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/models/model.h"
#include "lib/models/state_dict.h"
#include "lib/util/files.h"

namespace mmc {
namespace {

// Tolerance of the logits: float32 rounding of two implementations of the
// same convolutions (LibTorch here, PyTorch there), far below any logit
// difference a wrong tensor, transposed kernel or wrong BN buffer makes.
constexpr double kLogitTolerance = 1e-5;

int Fail(const std::string& message) {
  std::cerr << "state_dict_tool: " << message << "\n";
  return 1;
}

int Main(int argc, char** argv) {
  if (argc < 5) {
    return Fail("usage: state_dict_tool export|check DIR ARCH WIDTH ...");
  }
  const std::string mode = argv[1], dir = argv[2], arch = argv[3];
  ModelSpec spec;
  double width;
  if (!absl::SimpleAtod(argv[4], &width)) return Fail("bad width");
  spec.set_width(width);
  if (arch == "vgg13") {
    spec.set_arch(ModelSpec::VGG13);
  } else if (arch == "resnet18") {
    spec.set_arch(ModelSpec::RESNET18);
  } else {
    return Fail("unknown arch " + arch);
  }
  auto model = Model::Create(spec, 3, 10);
  if (!model.ok()) return Fail(std::string(model.status().message()));
  torch::manual_seed(7);
  const torch::Tensor x = torch::randn({6, 3, 16, 16});

  if (mode == "export") {
    ParamMap params = (*model)->Init(11);
    // Non-trivial BatchNorm affine parameters and running statistics (a few
    // training-mode passes), so a swapped BN tensor changes the logits.
    for (auto& [name, t] : params) {
      torch::NoGradGuard no_grad;
      if (absl::EndsWith(name, ".bn.weight")) {
        t.uniform_(0.5, 1.5);
      } else if (absl::EndsWith(name, ".bn.bias")) {
        t.normal_(0.0, 0.1);
      }
    }
    for (int i = 0; i < 3; ++i) {
      torch::NoGradGuard no_grad;
      (*model)->Logits(params, torch::randn({8, 3, 16, 16}) * 2 + 0.5,
                       BnMode::kTrain);
    }
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = (*model)->Logits(params, x, BnMode::kEval);
    absl::Status s = SaveStateDict(JoinPath(dir, "ours.pt"), params);
    if (s.ok()) {
      s = SaveStateDict(JoinPath(dir, "ours_io.pt"),
                        {{"x", x}, {"logits", logits}});
    }
    return s.ok() ? 0 : Fail(std::string(s.message()));
  }
  if (mode == "check" && argc == 7) {
    auto naming = ParseStateDictNaming(argv[5]);
    if (!naming.ok()) return Fail(std::string(naming.status().message()));
    const std::string file = argv[6];
    auto params = LoadStateDict(JoinPath(dir, file + ".pt"));
    if (params.ok() && *naming == StateDictNaming::kAuthors) {
      params = FromAuthorsNames(*params);
    }
    if (!params.ok()) return Fail(std::string(params.status().message()));
    if (absl::Status s = CheckMatchesModel(**model, *params); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    auto io = LoadStateDict(JoinPath(dir, file + "_io.pt"));
    if (!io.ok()) return Fail(std::string(io.status().message()));
    torch::NoGradGuard no_grad;
    const torch::Tensor ours =
        (*model)->Logits(*params, io->at("x"), BnMode::kEval);
    const double diff = (ours - io->at("logits")).abs().max().item<double>();
    std::cout << file << " (" << argv[5] << " names): max |logit difference| "
              << diff << "\n";
    if (!(diff <= kLogitTolerance)) {
      return Fail(absl::StrCat("logits differ from PyTorch's by ", diff));
    }
    return 0;
  }
  return Fail("unknown mode or wrong arguments");
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) { return mmc::Main(argc, argv); }
