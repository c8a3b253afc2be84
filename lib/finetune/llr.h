// LLR, the Table 3 baseline of last-layer retraining (Kirichenko et al.;
// paper App. B.2): a new head on theta_C's frozen body, trained on the whole
// clean hold-out. Registered in Methods() (finetune.h), which is how callers
// run it; LPFT (lpft.h) runs the same head training as its probe stage
// (TrainHead, finetune_common.h).
//
// Choices the paper leaves open, and what we do:
//  - LLR: the head is replaced by a fresh torch::nn::Linear(C, K) built
//    right after torch::manual_seed(h), h = CounterHash(seed, 0x11e, 0) >> 1
//    (not theta_C's init seed), i.e. PyTorch's default Linear init (weight
//    kaiming_uniform(a = sqrt 5), bias U(+-1/sqrt C)), as the authors' code
//    does with a new nn.Linear. The body, BN statistics included, is frozen
//    and run in BnMode::kEval, so its features of the training samples are
//    constant: they are computed once (no autograd) and the head is trained
//    on them with spec.finetune().llr(). This equals running the network
//    every step (up to floating-point summation order).
#ifndef LIB_FINETUNE_LLR_H_
#define LIB_FINETUNE_LLR_H_

#include "lib/finetune/method.h"

namespace mmc {

// LLR: spec.finetune().llr().
MethodInfo LlrMethod();

}  // namespace mmc

#endif  // LIB_FINETUNE_LLR_H_
