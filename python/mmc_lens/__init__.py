"""mmc-lens in PyTorch: the networks of lib/models/model.h as torch.nn modules
(models.py), whose state-dict names equal the harness's parameter names, so
the models `bazel run -c opt //tasks:export` writes load with a strict
load_state_dict()."""
