#!/usr/bin/env python3
"""Compares two task reports (results JSON) for scripts/gpu_check.sh.

Usage: compare_json.py A.json B.json
Prints one line: "byte-identical", or "identical except provenance and
timing (K fields ignored)", or the first differences; exits 0 when every
other field (every number exactly) is equal, 1 otherwise.

Ignored, because they record when and how fast a run went, not what it
computed: `info` (RunInfo: wall time, commit, machine), `from_cache`,
`train_seconds` and `seconds`. Only the Python standard library is used.
"""

import json
import sys

IGNORED = {"info", "from_cache", "train_seconds", "seconds"}


def strip(value, path, ignored):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in IGNORED:
                ignored.append(path + "." + k)
            else:
                out[k] = strip(v, path + "." + k, ignored)
        return out
    if isinstance(value, list):
        return [strip(v, "%s[%d]" % (path, i), ignored)
                for i, v in enumerate(value)]
    return value


def diff(a, b, path, out):
    if len(out) >= 10:
        return
    if type(a) != type(b):
        out.append("%s: %r vs %r" % (path, a, b))
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append("%s.%s: only in %s" % (path, k, "A" if k in a else "B"))
            else:
                diff(a[k], b[k], path + "." + k, out)
    elif isinstance(a, list):
        if len(a) != len(b):
            out.append("%s: %d vs %d entries" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out)
    elif a != b:
        out.append("%s: %r vs %r" % (path, a, b))


def count_numbers(value):
    if isinstance(value, dict):
        return sum(count_numbers(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_numbers(v) for v in value)
    return 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def main():
    a_path, b_path = sys.argv[1], sys.argv[2]
    a_bytes, b_bytes = open(a_path, "rb").read(), open(b_path, "rb").read()
    if a_bytes == b_bytes:
        print("byte-identical")
        return 0
    ignored = []
    a = strip(json.loads(a_bytes), "", ignored)
    b = strip(json.loads(b_bytes), "", [])
    out = []
    diff(a, b, "", out)
    if not out:
        print("identical except provenance and timing (%d numbers equal; "
              "%d fields ignored: info, from_cache, train_seconds, seconds)"
              % (count_numbers(a), len(ignored)))
        return 0
    print("DIFFERENT:")
    for line in out:
        print("  " + line)
    return 1


if __name__ == "__main__":
    sys.exit(main())
