// Parameters as data: a network's weights, biases, BatchNorm affine
// parameters and running statistics as an ordered map from name to tensor.
//
// Every path algorithm (linear, quadratic, permutation, CBFT's barrier term)
// works on ParamMaps and runs the network through Model::Forward (model.h),
// with autograd flowing into whichever tensors require grad. The map's
// layout is documented in model.h and per architecture in its header
// (vgg13.h, resnet18.h); it is also the checkpoint format (param_io.h).
#ifndef LIB_MODELS_PARAM_MAP_H_
#define LIB_MODELS_PARAM_MAP_H_

#include <torch/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mmc {

using ParamMap = std::map<std::string, torch::Tensor>;

// True for BatchNorm running statistics ("...running_mean", "...running_var"):
// buffers, not trained by SGD.
bool IsBuffer(const std::string& name);

// Deep copy (detached, no grad).
ParamMap CloneParams(const ParamMap& params);

// (1 - t) * a + t * b for every entry (buffers too). Keeps the autograd graph
// of a and b, so gradients flow into whichever of them require grad.
ParamMap Interpolate(const ParamMap& a, const ParamMap& b, double t);

// Quadratic Bezier curve: (1-t)^2 a + 2t(1-t) m + t^2 b, every entry.
ParamMap Bezier(const ParamMap& a, const ParamMap& m, const ParamMap& b,
                double t);

// Applies f to every entry.
ParamMap MapParams(const ParamMap& params,
                   const std::function<torch::Tensor(const std::string&,
                                                     const torch::Tensor&)>& f);

// Largest absolute difference over all entries; infinity if the names or
// shapes differ.
double MaxAbsDiff(const ParamMap& a, const ParamMap& b);

// Bitwise equality of names, shapes and values.
bool ParamsEqual(const ParamMap& a, const ParamMap& b);

// Number of scalar entries, excluding buffers.
int64_t CountParameters(const ParamMap& params);

// S networks as one: every entry is the concatenation of the S maps' entries
// along dim 0 (output channels, classes), the layout that Model::Forward
// runs with ForwardOptions::stacked = S (grouped convolutions). All maps must
// have the same names and shapes.
ParamMap StackParams(const std::vector<ParamMap>& maps);

// The inverse: splits every entry into `count` equal parts along dim 0.
std::vector<ParamMap> UnstackParams(const ParamMap& stacked, int64_t count);

}  // namespace mmc

#endif  // LIB_MODELS_PARAM_MAP_H_
