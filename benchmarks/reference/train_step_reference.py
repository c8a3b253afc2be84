"""PyTorch reference for benchmarks/train_step_benchmark: times one SGD
training step (forward, cross-entropy, backward, SGD with momentum and
weight decay) of the same networks as lib/models/model.h, with Debian's
python3-torch (the same LibTorch 1.13.1 as the C++ build).

Run with /usr/bin/python3 (Debian's interpreter, which has torch):
  /usr/bin/python3 benchmarks/reference/train_step_reference.py --arch vgg13 \
      --width 0.125 --channels 1 --height 28 --width_px 28 --batch 128
Prints one line: "<name> <images per second>", where <name> is also the
C++ benchmark's name; benchmarks/compare_train_step.sh runs both.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
from mmc_lens.models import build  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="vgg13")
    p.add_argument("--width", type=float, default=0.125)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--height", type=int, default=28)
    p.add_argument("--width_px", type=int, default=28)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--channels_last", action="store_true",
                   help="PyTorch's channels-last recipe: the network and the "
                   "input in torch.channels_last (what mmc-lens trains in)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = build(args.arch, args.channels, args.width, 10)
    if args.channels_last:
        net = net.to(memory_format=torch.channels_last)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(args.batch * 8, args.channels, args.height, args.width_px)
    y = torch.randint(0, 10, (args.batch * 8,))
    if args.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)

    def step(i):
        idx = torch.randint(0, x.shape[0], (args.batch,))
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()

    for i in range(args.warmup):
        step(i)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        step(n)
        n += 1
    rate = n * args.batch / (time.perf_counter() - start)
    print(f"{args.arch}_w{args.width}_{args.channels}x{args.height}x{args.width_px}_b{args.batch} {rate:.1f}")


if __name__ == "__main__":
    main()
