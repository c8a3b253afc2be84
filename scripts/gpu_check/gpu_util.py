#!/usr/bin/env python3
"""GPU utilisation while training, for scripts/gpu_check.sh.

Usage: gpu_util.py SAMPLES.csv T_START T_END
SAMPLES.csv is `nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used
--format=csv,noheader,nounits -lms 500` (local time, as `date +%s` counts);
only samples between T_START and T_END (Unix seconds) count. Prints one line.
Only the Python standard library is used.
"""

import datetime
import sys


def main():
    path, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    util, mem = [], []
    for line in open(path):
        parts = [p.strip() for p in line.split(",")]
        try:
            t = datetime.datetime.strptime(
                parts[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
            u, m = float(parts[1]), float(parts[2])
        except (ValueError, IndexError):
            continue
        if t0 <= t <= t1:
            util.append(u)
            mem.append(m)
    if not util:
        print("GPU utilisation: no nvidia-smi sample in the training window")
        return
    print("GPU utilisation while training: mean %.0f%%, max %.0f%% (%d samples "
          "over %.0f s), memory max %.0f MiB"
          % (sum(util) / len(util), max(util), len(util), t1 - t0, max(mem)))


if __name__ == "__main__":
    main()
