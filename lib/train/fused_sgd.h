// One SGD update of a float CPU tensor in a single pass over its elements,
// with the arithmetic of ATen's ops that torch.optim.SGD (and lib/train/
// sgd.h) applies one after another, rounded alike at every element:
//   d = grad + weight_decay * p      (grad.add_(p, wd): a fused multiply-add)
//   buf = d                          (first step)
//   buf = momentum * buf + d         (buf.mul_(m), then buf.add_(d))
//   p = p + (-lr) * buf              (p.add_(buf, -lr): a fused multiply-add)
//   grad = 0
// with the scalars rounded to float as ATen does. ATen's add with alpha
// is a fused multiply-add in its vectorised body (ufunc/add.h: fmadd) and,
// as measured on Debian's LibTorch 1.13.1, in its scalar tail too, so the
// result does not depend on where a tensor's vectors end (sgd_test
// compares with torch::optim::SGD bit for bit on odd sizes). Per tensor
// ATen's way is ~5 dispatched ops (~0.5 ms of VGG-13 x1/8's ~12 ms step at
// one thread, issue 15); this is one loop.
#ifndef LIB_TRAIN_FUSED_SGD_H_
#define LIB_TRAIN_FUSED_SGD_H_

#include <torch/torch.h>

namespace mmc {

// Whether FusedSgdStep can update `param` with `grad` and its momentum
// buffer `buf` (undefined before the first step, or with momentum 0):
// contiguous float CPU tensors of one size, and a CPU with AVX2 and FMA.
bool FusedSgdApplies(const torch::Tensor& param, const torch::Tensor& grad,
                     const torch::Tensor& buf);

// The update above, in place in param, grad (zeroed) and buf. `first`: buf
// is filled with d (allocated by the caller, any contents). momentum 0: buf
// is not used (may be undefined). Bumps the three tensors' versions as
// ATen's in-place ops would.
void FusedSgdStep(torch::Tensor& param, torch::Tensor& grad, torch::Tensor& buf,
                  bool first, double lr, double momentum, double weight_decay);

}  // namespace mmc

#endif  // LIB_TRAIN_FUSED_SGD_H_
