// Implementation of lib/data/synthetic_sources.h.
#include "lib/data/synthetic_sources.h"

#include <torch/torch.h>

namespace mmc {

LabeledImages SyntheticImages(int64_t n, int channels, int height, int width,
                              int num_classes, int salt) {
  LabeledImages out;
  out.images = torch::empty({n, channels, height, width},
                            torch::dtype(torch::kUInt8).device(torch::kCPU));
  out.labels =
      torch::empty({n}, torch::dtype(torch::kLong).device(torch::kCPU));
  out.num_classes = num_classes;
  uint8_t* p = out.images.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    out.labels[i] = i % num_classes;
    for (int c = 0; c < channels; ++c) {
      for (int r = 0; r < height; ++r) {
        for (int col = 0; col < width; ++col) {
          *p++ = static_cast<uint8_t>(
              1 + (i * 31 + c * 7 + r * 3 + col + salt * 13) % 200);
        }
      }
    }
  }
  return out;
}

TrainTest SyntheticTrainTest(int64_t train, int64_t test, int channels,
                             int height, int width, int num_classes, int salt) {
  return {
      SyntheticImages(train, channels, height, width, num_classes, salt),
      SyntheticImages(test, channels, height, width, num_classes, salt + 1)};
}

}  // namespace mmc
