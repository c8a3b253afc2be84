// The attainable FLOP/s of this machine with a given number of intra-op
// threads, as Google Benchmarks: "peak/gemm/2048" (an n x n x n SGEMM) and
// "peak/conv3x3_256ch_16x16_b64" (a large 3x3 convolution in oneDNN's
// blocked layout, the best case of our kernels). Each reports a GFLOPs rate
// counter; the path-evaluation and training-step comparisons state their
// throughput as a share of the convolution peak.
#ifndef BENCHMARKS_PEAK_H_
#define BENCHMARKS_PEAK_H_

namespace mmc {

// Registers both benchmarks, each run with `threads` intra-op threads.
void RegisterPeakBenchmarks(int threads);

}  // namespace mmc

#endif  // BENCHMARKS_PEAK_H_
