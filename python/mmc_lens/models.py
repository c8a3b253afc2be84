"""The networks of lib/models/model.h as torch.nn modules. State-dict names
equal the harness's parameter names (plus PyTorch's num_batches_tracked
buffers, which the harness exports as 0), so the state dicts of
`//tasks:export` load with a strict load_state_dict(), and a state dict of
these modules imports into the harness as it is (`//tasks:pair`). Used by the
PyTorch references in benchmarks/reference/ and by the state-dict round-trip
test (tests/pytorch/).
"""
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
    """CIFAR ResNet-18: stem, layer1..layer4 of two BasicBlocks, GAP, linear."""

    def __init__(self, cin, width, classes):
        super().__init__()
        ch = [max(1, round(c * width)) for c in (64, 128, 256, 512)]
        self.stem = ConvBn(cin, ch[0], 3, 1)
        c = ch[0]
        for s in range(4):
            stride = 1 if s == 0 else 2
            setattr(self, f"layer{s + 1}",
                    nn.Sequential(BasicBlock(c, ch[s], stride), BasicBlock(ch[s], ch[s], 1)))
            c = ch[s]
        self.head = nn.Linear(c, classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for s in range(4):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.head(x.mean((2, 3)))


def build(arch, cin, width, classes):
    """arch: "vgg13" or "resnet18" (the manifest's "arch" field)."""
    if arch not in ("vgg13", "resnet18"):
        raise ValueError(f"unknown architecture {arch!r} (vgg13 or resnet18)")
    return (Vgg13 if arch == "vgg13" else ResNet18)(cin, width, classes)
