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
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBn(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class Vgg13(nn.Module):
    """The paper authors' VGG-13: 10 conv-BN-ReLU, stride-2 convs, GAP, linear."""

    def __init__(self, cin, width, classes):
        super().__init__()
        base = [64, 64, 128, 128, 256, 256, 512, 512, 512, 512]
        layers, c = [], cin
        for i, b in enumerate(base):
            out = max(1, round(b * width))
            layers.append(ConvBn(c, out, 3, 2 if i in (1, 3, 5, 7) else 1))
            c = out
        self.features = nn.ModuleList(layers)
        self.head = nn.Linear(c, classes)

    def forward(self, x):
        for layer in self.features:
            x = F.relu(layer(x))
        return self.head(x.mean((2, 3)))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBn(cin, cout, 3, stride)
        self.conv2 = ConvBn(cout, cout, 3, 1)
        self.shortcut = ConvBn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        return F.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


class ResNet18(nn.Module):
    def __init__(self, cin, width, classes):
        super().__init__()
        ch = [max(1, round(c * width)) for c in (64, 128, 256, 512)]
        self.stem = ConvBn(cin, ch[0], 3, 1)
        blocks, c = [], ch[0]
        for s in range(4):
            stride = 1 if s == 0 else 2
            blocks.append(nn.ModuleList([BasicBlock(c, ch[s], stride), BasicBlock(ch[s], ch[s], 1)]))
            c = ch[s]
        self.layers = nn.ModuleList(blocks)
        self.head = nn.Linear(c, classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for blocks in self.layers:
            for block in blocks:
                x = block(x)
        return self.head(x.mean((2, 3)))


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
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = (Vgg13 if args.arch == "vgg13" else ResNet18)(args.channels, args.width, 10)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(args.batch * 8, args.channels, args.height, args.width_px)
    y = torch.randint(0, 10, (args.batch * 8,))

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
