// Implementation of benchmarks/peak.h.
#include "benchmarks/peak.h"

#include <torch/torch.h>

#include "benchmark/benchmark.h"

namespace mmc {
namespace {

// Attainable FLOP/s: an n x n x n single-precision GEMM.
void BM_PeakGemm(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(1)));
  const int64_t n = state.range(0);
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({n, n}), y = torch::randn({n, n});
  torch::Tensor z = torch::empty({n, n});
  for (auto _ : state) torch::mm_out(z, x, y);
  state.counters["GFLOPs"] = benchmark::Counter(
      2.0 * n * n * n * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
}

// Attainable convolution FLOP/s: a 3x3 conv, 256 -> 256 channels, on a
// batch of 64 images of 16 x 16 (ResNet-18 layer3's shape), input and
// weight already in oneDNN's blocked layout, as the best case of our path.
void BM_PeakConv(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  c10::InferenceMode guard;
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({64, 256, 16, 16}).to_mkldnn();
  const torch::Tensor w = torch::mkldnn_reorder_conv2d_weight(
      torch::randn({256, 256, 3, 3}).to_mkldnn(), {1, 1}, {1, 1}, {1, 1}, 1);
  const torch::Tensor b = torch::zeros({256});
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        torch::mkldnn_convolution(x, w, b, {1, 1}, {1, 1}, {1, 1}, 1));
  }
  state.counters["GFLOPs"] = benchmark::Counter(
      2.0 * 64 * 256 * 256 * 9 * 16 * 16 * 1e-9 * state.iterations(),
      benchmark::Counter::kIsRate);
}

}  // namespace

void RegisterPeakBenchmarks(int threads) {
  benchmark::RegisterBenchmark("peak/gemm", BM_PeakGemm)
      ->Args({2048, threads})
      ->ArgNames({"", "threads"})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("peak/conv3x3_256ch_16x16_b64", BM_PeakConv)
      ->Arg(threads)
      ->ArgName("threads")
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace mmc
