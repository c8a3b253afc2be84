// Small synthetic image sources for tests: every pixel of image i is a
// function of (i, row, col), labels cycle through the classes, so tests can
// check exactly which source image a generated sample came from.
#ifndef LIB_DATA_SYNTHETIC_SOURCES_H_
#define LIB_DATA_SYNTHETIC_SOURCES_H_

#include "lib/data/sources.h"

namespace mmc {

// `n` images of shape [channels, height, width]; label of image i is
// i % num_classes; pixel values are in 1..200 (never 0 or 255, so a box
// cue or a black half is always visible).
LabeledImages SyntheticImages(int64_t n, int channels, int height, int width,
                              int num_classes, int salt);

TrainTest SyntheticTrainTest(int64_t train, int64_t test, int channels,
                             int height, int width, int num_classes, int salt);

}  // namespace mmc

#endif  // LIB_DATA_SYNTHETIC_SOURCES_H_
