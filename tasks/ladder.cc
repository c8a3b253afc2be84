// `bazel run -c opt //tasks:ladder -- [--spec=S] [--data_dir=D]
//   [--out_dir=O] [--cache_dir=C] [--device=cpu|cuda] [--dry_run]
//   [--list_jobs] [--shard=I/N]`
//
// The scale ladder (lib/experiment/ladder.h): Fig. 3's linear and permuted
// paths (theta_C-theta_NC and the control theta_NC-theta_NC') and Fig. 4's
// large-LR fine-tune at every rung (width x epochs) of the spec's ladder
// block; reports at which rung each claim first holds. Writes
// reports/ladder.md, ladder.json and ladder.{svg,png}. The default spec is
// the quick one, whose ladder block holds the quick rungs; the paper-scale
// ladder is in specs/paper/resnet18_cifar10.textproto.
#include "tasks/dispatch.h"

int main(int argc, char** argv) {
  return mmc::ArtifactMain(argc, argv, "ladder");
}
