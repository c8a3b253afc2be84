// FT_M and FT_S, the Table 3 baselines of naive fine-tuning with a medium or
// a small learning rate (paper App. B.2): the whole network fine-tuned from
// theta_C on the whole clean hold-out. Registered in Methods()
// (finetune.h), which is how callers run them.
//
// Choices the paper leaves open, and what we do:
//  - FT_M / FT_S: the whole clean hold-out, ft_medium() / ft_small(), BN
//    kTrain (running statistics are updated; at lr 0 only they move).
#ifndef LIB_FINETUNE_FT_H_
#define LIB_FINETUNE_FT_H_

#include "lib/finetune/method.h"

namespace mmc {

// FT_M: spec.finetune().ft_medium().
MethodInfo FtMediumMethod();
// FT_S: spec.finetune().ft_small().
MethodInfo FtSmallMethod();

}  // namespace mmc

#endif  // LIB_FINETUNE_FT_H_
