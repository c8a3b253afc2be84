// How many CPUs this process may run on: the size of its affinity mask
// (taskset, cgroup cpusets and Slurm allocations shrink it), which is what
// thread pools and parallel work units should be sized to.
#ifndef LIB_UTIL_CPUS_H_
#define LIB_UTIL_CPUS_H_

namespace mmc {

// At least 1.
int AvailableCpus();

}  // namespace mmc

#endif  // LIB_UTIL_CPUS_H_
