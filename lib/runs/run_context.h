// What every training pipeline runs against: the spec, the network, the
// data, the run cache, the device, and whether to print progress. One type
// for the whole stack: lib/finetune takes it as it is, and lib/experiment's
// ExperimentContext (fig3.h) extends it with the evaluation sets, so an
// experiment passes its context to the fine-tuning methods unconverted.
#ifndef LIB_RUNS_RUN_CONTEXT_H_
#define LIB_RUNS_RUN_CONTEXT_H_

#include <torch/types.h>

#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/runs/run_cache.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

struct RunContext {
  const Spec* spec = nullptr;
  const Model* model = nullptr;
  const CueDataset* dataset = nullptr;
  RunCache* cache = nullptr;
  torch::Device device = torch::kCPU;
  bool progress = true;
};

}  // namespace mmc

#endif  // LIB_RUNS_RUN_CONTEXT_H_
