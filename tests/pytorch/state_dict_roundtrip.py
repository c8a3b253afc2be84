"""Python half of state_dict_roundtrip_test.sh (Debian's python3-torch).

  state_dict_roundtrip.py DIR ARCH WIDTH

1. Loads the harness's export DIR/ours.pt into python/mmc_lens/models.py with
   a strict load_state_dict() (torch.load with weights_only=True: no code in
   the file runs) and checks its logits on DIR/ours_io.pt's batch against the
   harness's (max |difference| <= 1e-5, float32 rounding of two conv
   implementations).
2. Writes a PyTorch model of its own, with non-trivial BatchNorm parameters
   and statistics, as researchers do (torch.save(net.state_dict())):
   DIR/python.pt with our names, DIR/python_authors.pt with the names of the
   authors' models.py (EkdeepSLubana/MMC), each with an _io.pt of a batch and
   PyTorch's logits, for the harness to import and compare.
"""
import os
import re
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
from mmc_lens.models import build  # noqa: E402

TOLERANCE = 1e-5


def load(path):
    try:
        return torch.load(path, weights_only=True)
    except TypeError:  # PyTorch before 1.13 has no weights_only.
        return torch.load(path)


def to_authors_names(state):
    """Our names -> EkdeepSLubana/MMC models.py names (written independently
    of the harness's FromAuthorsNames, which maps the other way)."""
    rules = [
        (r"^features\.(\d+)\.conv\.", r"layers.\1.conv1."),
        (r"^features\.(\d+)\.bn\.", r"layers.\1.bn1."),
        (r"^stem\.conv\.", "conv1."),
        (r"^stem\.bn\.", "bn1."),
        (r"^(layer\d\.\d)\.conv(\d)\.conv\.", r"\1.conv\2."),
        (r"^(layer\d\.\d)\.conv(\d)\.bn\.", r"\1.bn\2."),
        (r"^(layer\d\.\d)\.shortcut\.conv\.", r"\1.shortcut_conv."),
        (r"^(layer\d\.\d)\.shortcut\.bn\.", r"\1.shortcut_bn."),
        (r"^head\.", "linear."),
    ]
    out = {}
    for name, value in state.items():
        renamed = name
        for pattern, replacement in rules:
            renamed, n = re.subn(pattern, replacement, name)
            if n:
                break
        else:
            raise ValueError(f"no authors' name for {name}")
        out[renamed] = value
    return out


def main():
    directory, arch, width = sys.argv[1], sys.argv[2], float(sys.argv[3])
    net = build(arch, 3, width, 10)
    net.load_state_dict(load(os.path.join(directory, "ours.pt")))  # strict
    net.eval()
    io = load(os.path.join(directory, "ours_io.pt"))
    with torch.no_grad():
        diff = (net(io["x"]) - io["logits"]).abs().max().item()
    print(f"ours.pt in PyTorch: max |logit difference| {diff:.3g}")
    if not diff <= TOLERANCE:
        sys.exit(f"logits differ from the harness's by {diff}")

    torch.manual_seed(5)
    mine = build(arch, 3, width, 10)
    with torch.no_grad():
        for m in mine.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
        mine.train()
        for _ in range(3):
            mine(torch.randn(8, 3, 16, 16) * 1.5 - 0.3)
        mine.eval()
        x = torch.randn(6, 3, 16, 16)
        logits = mine(x)
    io = {"x": x, "logits": logits}
    torch.save(mine.state_dict(), os.path.join(directory, "python.pt"))
    torch.save(io, os.path.join(directory, "python_io.pt"))
    torch.save(to_authors_names(mine.state_dict()),
               os.path.join(directory, "python_authors.pt"))
    torch.save(io, os.path.join(directory, "python_authors_io.pt"))


if __name__ == "__main__":
    main()
