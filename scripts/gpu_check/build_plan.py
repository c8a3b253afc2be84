#!/usr/bin/env python3
"""Writes a Makefile that builds Bazel cc targets of this repository with g++.

Part of scripts/gpu_check.sh (issue 17): a machine with a GPU and PyTorch may
have no Bazel. The BUILD files stay the only description of what a target
needs: they are evaluated here with stub rules (they are plain Starlark, which
is valid Python for what this repository uses), WORKSPACE maps the external
repositories to their BUILD files under third_party/sys, and for each target
the transitive deps give its sources, generated protos, static archives and
linkopts. @libtorch//:torch is left to the caller (make variables TORCH_*).

Usage: build_plan.py --build_dir DIR TARGET... > DIR/Makefile
  TARGET is a label such as //tasks:train or //lib/experiment:fig3_smoke_test;
  the binary goes to DIR/bin/<package>/<name>.
Only the Python standard library is used.
"""

import argparse
import os
import sys

ROOT = os.getcwd()
TORCH = "@libtorch//:torch"


class Rule:
    def __init__(self, kind, pkg, repo, attrs):
        self.kind = kind
        self.pkg = pkg
        self.repo = repo  # "" for the main repository
        self.name = attrs.get("name")
        self.attrs = attrs


class Loader:
    def __init__(self):
        self.packages = {}  # (repo, pkg) -> {name: Rule}
        self.repos = {}  # repo name -> (build file, path)
        self._load_workspace()

    def _stub_globals(self, repo, pkg, rules):
        def rule(kind):
            def record(*args, **attrs):
                if "name" in attrs:
                    rules[attrs["name"]] = Rule(kind, pkg, repo, attrs)
                return None

            return record

        def noop(*args, **kwargs):
            return None

        def glob(include, exclude=(), **kwargs):
            return []  # No rule used here globs sources we compile.

        g = {"__builtins__": __builtins__, "glob": glob, "select": lambda d: []}
        for kind in [
            "cc_library", "cc_binary", "cc_test", "proto_library",
            "cc_proto_library", "filegroup", "sh_binary", "sh_test",
            "sh_library", "py_binary", "py_library", "py_test", "genrule",
            "test_suite", "alias", "proto_lang_toolchain", "config_setting",
            "cc_import", "java_binary", "java_library", "exports_files",
        ]:
            g[kind] = rule(kind)
        for name in ["load", "package", "licenses", "workspace",
                     "local_repository", "register_toolchains"]:
            g[name] = noop
        return g

    def _load_workspace(self):
        repos = self.repos

        def new_local_repository(name, build_file, path, **kwargs):
            repos[name] = (build_file, path)

        g = self._stub_globals("", "", {})
        g["new_local_repository"] = new_local_repository
        g["libtorch_repository"] = lambda **kw: None
        src = open(os.path.join(ROOT, "WORKSPACE")).read()
        # load("//third_party:libtorch.bzl", ...) is a no-op stub.
        exec(compile(src, "WORKSPACE", "exec"), g)

    def package(self, repo, pkg):
        key = (repo, pkg)
        if key not in self.packages:
            rules = {}
            if repo:
                if repo not in self.repos:
                    sys.exit("build_plan: unknown repository @%s" % repo)
                path = os.path.join(ROOT, self.repos[repo][0])
            else:
                path = os.path.join(ROOT, pkg, "BUILD")
            g = self._stub_globals(repo, pkg, rules)
            exec(compile(open(path).read(), path, "exec"), g)
            self.packages[key] = rules
        return self.packages[key]

    def resolve(self, label, here):
        """Returns (repo, pkg, name) of `label` seen from package `here`."""
        repo, pkg = here
        if label.startswith("@"):
            repo, _, label = label[1:].partition("//")
            label = "//" + label
            pkg = ""
        if label.startswith("//"):
            pkg, _, name = label[2:].partition(":")
            if not name:
                name = pkg.rsplit("/", 1)[-1]
        elif label.startswith(":"):
            name = label[1:]
        else:
            name = label
        return repo, pkg, name

    def rule(self, repo, pkg, name):
        rules = self.package(repo, pkg)
        if name not in rules:
            sys.exit("build_plan: no rule //%s:%s (in @%s)" % (pkg, name, repo))
        return rules[name]


def closure(loader, label):
    """Collects what a cc target needs, deps before dependents' linkopts."""
    out = {"cc": [], "protos": [], "archives": [], "linkopts": [],
           "torch": False}
    seen = set()

    def visit(repo, pkg, name):
        key = (repo, pkg, name)
        if key in seen:
            return
        seen.add(key)
        if (repo, pkg, name) == ("libtorch", "", "torch"):
            out["torch"] = True
            return
        r = loader.rule(repo, pkg, name)
        for dep in r.attrs.get("deps", []):
            visit(*loader.resolve(dep, (repo, pkg)))
        if r.kind == "proto_library":
            for s in r.attrs.get("srcs", []):
                p = os.path.join(pkg, s)
                if p not in out["protos"]:
                    out["protos"].append(p)
            return
        if r.kind not in ("cc_library", "cc_binary", "cc_test"):
            return
        for s in r.attrs.get("srcs", []):
            if repo:
                path = os.path.join(loader.repos[repo][1], s)
                if s.endswith((".a", ".so")) and path not in out["archives"]:
                    out["archives"].append(path)
            elif s.endswith(".cc"):
                p = os.path.join(pkg, s)
                if p not in out["cc"]:
                    out["cc"].append(p)
        for o in r.attrs.get("linkopts", []):
            out["linkopts"].append(o)

    visit(*loader.resolve(label, ("", "")))
    # Dependents were appended after their deps; link order wants the
    # reverse for archives only, which the gtest BUILD already lists in
    # order (main, gmock, gtest). Linkopts: keep the last occurrence of each,
    # so a library stays after everything that uses it.
    seen_opts, opts = set(), []
    for o in reversed(out["linkopts"]):
        if o not in seen_opts:
            seen_opts.add(o)
            opts.append(o)
    out["linkopts"] = list(reversed(opts))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build_dir", required=True)
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()
    loader = Loader()
    b = args.build_dir.rstrip("/")
    gen = b + "/gen"
    plans = {}
    all_cc, all_protos = [], []
    for t in args.targets:
        plans[t] = closure(loader, t)
        for p in plans[t]["protos"]:
            if p not in all_protos:
                all_protos.append(p)
        for c in plans[t]["cc"]:
            if c not in all_cc:
                all_cc.append(c)

    def obj(src):
        return "%s/obj/%s.o" % (b, src[:-3])

    def pb_cc(proto):
        return "%s/%s.pb.cc" % (gen, proto[:-6])

    lines = [
        "# Generated by scripts/gpu_check/build_plan.py from the BUILD files;",
        "# run by scripts/gpu_check.sh. Do not edit.",
        "# Make variables set by the caller: CXX, TORCH_CPPFLAGS,",
        "# TORCH_LDFLAGS (placed inside -Wl,--no-as-needed), EXTRA_LDFLAGS.",
        "B := " + b,
        "GEN := " + gen,
        "# Rewritten by gpu_check.sh only when the flags change: objects depend",
        "# on the compile flags, binaries on the link flags.",
        "COMPILE_STAMP := $(B)/compile.stamp",
        "LINK_STAMP := $(B)/link.stamp",
        "CXXFLAGS := -std=c++17 -O2 -pthread -D_GLIBCXX_USE_CXX11_ABI=1 "
        "-Wno-deprecated-declarations -I. -I$(GEN) $(TORCH_CPPFLAGS)",
        "PROTOS := " + " ".join(all_protos),
        "",
        ".PHONY: all",
        "all: " + " ".join("$(B)/bin/%s" % name_of(t) for t in args.targets),
        "",
        "$(GEN)/protos.stamp: $(PROTOS)",
        "\t@echo 'PROTOC $(PROTOS)'",
        "\t@mkdir -p $(GEN)",
        "\t@touch $@.tmp",
        "\tprotoc -I. --cpp_out=$(GEN) $(PROTOS)",
        "\t@# Older than its outputs, so that make -n counts no stale .pb.h.",
        "\t@mv $@.tmp $@",
        "",
    ]
    for p in all_protos:
        lines += ["%s: $(GEN)/protos.stamp ;" % pb_cc(p),
                  "%s/%s.pb.h: $(GEN)/protos.stamp ;" % (gen, p[:-6]), ""]
    sources = [(c, obj(c)) for c in all_cc]
    sources += [(pb_cc(p), "%s/obj/gen/%s.pb.o" % (b, p[:-6])) for p in all_protos]
    for src, o in sources:
        lines += [
            "%s: %s $(COMPILE_STAMP) | $(GEN)/protos.stamp" % (o, src),
            "\t@echo 'CC %s'" % src,
            "\t@mkdir -p $(dir $@)",
            "\t@$(CXX) $(CXXFLAGS) -MMD -MP -c %s -o $@" % src,
            "",
        ]
    pb_obj = {p: "%s/obj/gen/%s.pb.o" % (b, p[:-6]) for p in all_protos}
    for t in args.targets:
        plan = plans[t]
        objs = [obj(c) for c in plan["cc"]] + [pb_obj[p] for p in plan["protos"]]
        torch_ld = "$(TORCH_LDFLAGS)" if plan["torch"] else ""
        lines += [
            "$(B)/bin/%s: %s $(LINK_STAMP)" % (name_of(t), " ".join(objs)),
            "\t@echo 'LINK %s'" % t,
            "\t@mkdir -p $(dir $@)",
            "\t@$(CXX) -pthread -o $@ %s -Wl,--no-as-needed %s "
            "-Wl,--as-needed %s %s $(EXTRA_LDFLAGS)"
            % (" ".join(objs), torch_ld,
               " ".join("$(call archive,%s)" % a for a in plan["archives"]),
               " ".join("$(call lib,%s)" % o if o.startswith("-l") else o
                        for o in plan["linkopts"])),
            "",
        ]
    lines += [
        "# -lfoo only when the toolchain finds libfoo (Ubuntu's older abseil",
        "# lacks some of Debian's libabsl_* pieces; the link says what is",
        "# really missing).",
        "lib = $(if $(filter /%,$(shell $(CXX) -print-file-name=lib$(1:-l%=%).so)),$(1),"
        "$(if $(filter /%,$(shell $(CXX) -print-file-name=lib$(1:-l%=%).a)),$(1),))",
        "",
        "# A static archive from a BUILD file's srcs, or -lname where it lives",
        "# elsewhere.",
        "archive = $(or $(wildcard $(1)),-l$(patsubst lib%,%,$(basename $(notdir $(1)))))",
        "",
        "-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)",
    ]
    print("\n".join(lines))


def name_of(label):
    pkg, _, name = label[2:].partition(":")
    return "%s/%s" % (pkg, name)


if __name__ == "__main__":
    main()
