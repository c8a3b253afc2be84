// EvalSets::EvaluateAll gives, set for set, the numbers of a sequential
// Evaluate at the same intra-op threads, whether its sets run side by side
// on slot workers (one thread) or one after another (two threads), with
// any CPU budget.
#include "lib/experiment/eval_sets.h"

#include <ATen/Parallel.h>

#include <vector>

#include "gtest/gtest.h"
#include "lib/experiment/smoke_golden.h"
#include "lib/runs/endpoints.h"
#include "lib/train/evaluate.h"
#include "lib/util/cpu_slots.h"

namespace mmc {
namespace {

TEST(EvalSetsTest, EvaluateAllEqualsSequentialEvaluation) {
  auto setup = MakeSmokeSetup(SmokeModels::kCheckedIn);
  ASSERT_TRUE(setup.ok()) << setup.status();
  const SmokeSetup& s = **setup;
  auto trained =
      TrainEndpoint(s.spec, *s.model, *s.dataset, 0.8, s.spec.seeds(0),
                    s.cache.get(), s.context.device, /*progress=*/false);
  ASSERT_TRUE(trained.ok()) << trained.status();
  const int threads = at::get_num_threads();
  for (int t : {1, 2}) {
    for (int capacity : {0, 1, 2}) {
      at::set_num_threads(t);
      CpuSlots::Global().SetCapacity(capacity);
      const std::vector<SetMetrics> all =
          s.sets->EvaluateAll(*s.model, trained->params);
      CpuSlots::Global().SetCapacity(0);
      ASSERT_EQ(all.size(), s.sets->sets().size());
      for (size_t i = 0; i < all.size(); ++i) {
        const auto& [name, batch] = s.sets->sets()[i];
        const Metrics m = Evaluate(*s.model, trained->params, batch,
                                   s.spec.eval().batch_size());
        EXPECT_EQ(all[i].set(), name);
        // Exactly: each set is computed by one thread at t threads.
        EXPECT_EQ(all[i].accuracy(), m.accuracy)
            << name << " threads " << t << " capacity " << capacity;
        EXPECT_EQ(all[i].loss(), m.loss)
            << name << " threads " << t << " capacity " << capacity;
      }
      EXPECT_EQ(at::get_num_threads(), t);
    }
  }
  at::set_num_threads(threads);
}

}  // namespace
}  // namespace mmc
