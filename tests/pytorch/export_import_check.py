"""Python half of export_import_test.sh (Debian's python3-torch).

  export_import_check.py manifest EXPORT_DIR
      every model of the manifest loads into python/mmc_lens with a strict
      load_state_dict() (torch.load(weights_only=True): no code in the file
      runs); prints the files of theta_C (c=0.8) and theta_NC, seed 0.
  export_import_check.py resnet OUT_FILE
      writes a ResNet-18 x1/8 state dict (the wrong architecture for the
      smoke spec).
  export_import_check.py compare PAIR_JSON GOLDEN_FIG3_JSON
      the pair task's endpoints and its linear and permuted paths equal the
      Fig. 3 smoke golden's theta_C / theta_NC and main-pair paths at c=0.8
      (same weights, same evaluation: within the evaluation layer's
      tolerances, 1e-3 nats and 0.5 points, lib/experiment/smoke_golden.h).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
from mmc_lens.models import build  # noqa: E402


def manifest(export_dir):
    with open(os.path.join(export_dir, "manifest.json")) as f:
        m = json.load(f)
    models = m["models"]
    roles = sorted({x["role"] for x in models})
    if len(models) != 23 or "endpoint" not in roles:
        sys.exit(f"expected the 23 smoke models, got {len(models)}: {roles}")
    theta_c = theta_nc = None
    for x in models:
        net = build(x["arch"], x["in_channels"], x["width"], x["num_classes"])
        net.load_state_dict(torch.load(os.path.join(export_dir, x["file"]),
                                       weights_only=True))
        if x["role"] == "endpoint" and x.get("seed", "0") in ("0", 0):
            if abs(x.get("cue_proportion", 0.0) - 0.8) < 1e-9:
                theta_c = x["file"]
            elif x.get("cue_proportion", 0.0) == 0.0:
                theta_nc = x["file"]
    if theta_c is None or theta_nc is None:
        sys.exit("theta_C c=0.8 or theta_NC seed 0 missing from the manifest")
    print(theta_c, theta_nc)


def compare(pair_json, golden_json):
    with open(pair_json) as f:
        pair = json.load(f)
    with open(golden_json) as f:
        golden = json.load(f)
    gold_models = {m["name"]: m for m in golden["endpoints"]}
    problems = []

    def close(what, got, want):
        for g, w in zip(got, want):
            if g["set"] != w["set"]:
                problems.append(f"{what}: set {g['set']} vs {w['set']}")
            if abs(g["loss"] - w["loss"]) > 1e-3:
                problems.append(f"{what} {g['set']}: loss {g['loss']} vs {w['loss']}")
            if abs(g["accuracy"] - w["accuracy"]) > 0.5:
                problems.append(f"{what} {g['set']}: accuracy {g['accuracy']} vs {w['accuracy']}")
        if len(got) != len(want):
            problems.append(f"{what}: {len(got)} vs {len(want)} entries")

    close("theta_a", pair["endpoints"][0]["metrics"], gold_models["theta_C"]["metrics"])
    close("theta_b", pair["endpoints"][1]["metrics"], gold_models["theta_NC"]["metrics"])
    for name in ("Linear", "Linear Permuted"):
        mine = [p for p in pair["paths"] if p["path"] == name]
        theirs = [p for p in golden["paths"]
                  if p["path"] == name and p["pair"] == "theta_C-theta_NC"]
        if len(mine) != 1 or len(theirs) != 1:
            problems.append(f"{name}: path missing")
            continue
        a, b = mine[0]["points"], theirs[0]["points"]
        if len(a) != len(b):
            problems.append(f"{name}: {len(a)} vs {len(b)} points")
        for k, (p, q) in enumerate(zip(a, b)):
            close(f"{name} point {k}", p["metrics"], q["metrics"])
    if problems:
        sys.exit("\n".join(problems))
    print("pair on the exported smoke endpoints equals the Fig. 3 golden")


def main():
    mode = sys.argv[1]
    if mode == "manifest":
        manifest(sys.argv[2])
    elif mode == "resnet":
        torch.save(build("resnet18", 1, 0.125, 10).state_dict(), sys.argv[2])
    elif mode == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
