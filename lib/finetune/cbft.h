// CBFT, connectivity-based fine-tuning (paper Eq. 4, App. C), the method
// Table 3 compares with the baselines, and its three ablations: CBFT (no
// barrier), CBFT with paired counterfactuals and the authors' code variant.
// Registered in Methods() (finetune.h), which is how callers run them;
// finetune.h includes this header for CueDataView and EffectiveCbftOptions.
// The loss terms themselves are in cbft_loss.h.
//
// Choices the paper leaves open, and what we do:
//  - CBFT (Eq. 4), one SGD step per batch on the sum of
//      CE(clean batch; theta)                                 [BN kTrain]
//    + |lambda1 - CE(cue batch; (1-t) theta + t theta_C)|     [kBatchStats]
//    + lambda2/K sum_k ||mean f(cue batch, class k)
//                         - mean f(clean batch, class k)||_2  [BN kTrain]
//    The clean batch is D_NC: the loop's shuffle of the clean hold-out (an
//    epoch is one pass over it, as the authors' zip of the two loaders).
//    The cue batch is D_C (cbft_options.cue_data: theta_C's training mix
//    at c by default, or every training image with its cue), of *other*
//    images: the clean batch's size, indices drawn with replacement from
//    (seed, step) (CueBatchIndices). f = `features` of theta (global-
//    average-pooled penultimate layer), the clean batch's from the same
//    forward pass as its CE. K = the number of classes of the task (the
//    paper's K-class problem); the sum runs over the classes with a
//    centroid in both batches. t per step from cbft_options (t_draw on
//    [t_min, t_max]; default the authors' 0.5 + 0.5 clip(N(0,1), -1/2, 1/2),
//    i.e. in [0.25, 0.75]). Forward passes of theta run in kTrain mode as
//    PyTorch's net.train() would: running statistics see the clean and then
//    the cue batch.
//    Warm-up: a separate cached run (role "finetune/<slug>/warmup") of
//    warmup_epochs epochs without the invariance term, at spec cbft.lr
//    CONSTANT (the paper gives no warm-up lr), batch size, momentum and
//    weight decay of spec cbft; the main run starts from its result with
//    fresh momentum and runs spec.finetune().cbft() (cosine, 20 epochs) with
//    all terms. warmup_epochs 0 skips it. The draws of the two runs come from
//    different streams.
//  - kCbft uses spec.finetune().cbft_options() as given; kCbftNoBarrier
//    forces use_barrier = false (clean CE + invariance; its warm-up is plain
//    clean fine-tuning); kCbftPaired (ablation "CBFT, paired counterfactuals
//    (needs a cue remover)") compares each cue image of the batch with the
//    same image without its cue (kTrainCue vs kTrainNoCue of one index set)
//    instead of D_C with D_NC; kCbftAuthors forces authors_variant = true.
//  - The authors' variant follows their mech_fine_tuning.py: per batch two
//    SGD steps with one shared momentum buffer: first on the barrier term
//    alone (no clean CE), then on CE(clean batch) + the invariance term in
//    InvarianceForm::kAuthors (unit-normalised class means, squared
//    distance, divided by the number of classes K), comparing the features
//    of the clean batch with those of the cue batch (different images); the
//    cue batch comes from every training image with its cue (View::
//    kTrainCue: their cue loader's own `--cue_proportion`, default 1.0, not
//    theta_C's mix); t = 0.5 + 0.5 clip(N(0,1), -0.5, 0.5) per batch. Its
//    progress line counts the clean images and their accuracy (the loop
//    itself sees 2 pseudo-samples per batch). Implemented within the shared
//    loop by running it over 2 S pseudo-samples of batch 1 per epoch (S =
//    batches of the clean data); step 2j is batch j's barrier step and 2j+1 its
//    CE + invariance step, so checkpoints and resumption stay exact; the lr
//    schedule is evaluated per half-step (the second half-step of a batch gets
//    the marginally later cosine value). Not followed from their code: the
//    warm-up and the lr schedule come from the spec as for kCbft (their CBFT
//    loop never steps its scheduler, i.e. runs at a constant 0.01, and has
//    no warm-up). With use_barrier = false it is one step per batch.
#ifndef LIB_FINETUNE_CBFT_H_
#define LIB_FINETUNE_CBFT_H_

#include "lib/data/cue_dataset.h"
#include "lib/finetune/method.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// CBFT (Eq. 4): spec.finetune().cbft_options() as given.
MethodInfo CbftMethod();
// CBFT (no barrier): use_barrier = false.
MethodInfo CbftNoBarrierMethod();
// CBFT, paired counterfactuals: each cue image against its cue-free copy.
MethodInfo CbftPairedMethod();
// CBFT (authors' variant): authors_variant = true.
MethodInfo CbftAuthorsMethod();

// The view D_C is drawn from: kTrainMix (theta_C's mix at its c) or
// kTrainCue (every training image cued), per options.cue_data().
View CueDataView(const CbftSpec& options);

// The CbftSpec that `method` (one of the CBFT methods) runs with.
CbftSpec EffectiveCbftOptions(const Spec& spec, Method method);

}  // namespace mmc

#endif  // LIB_FINETUNE_CBFT_H_
