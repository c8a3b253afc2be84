"""Repository rule for LibTorch: Debian's system copy, or LIBTORCH_DIR.

Default: Debian's `libtorch-dev` (CPU, 1.13.1) under /usr. With the
environment variable LIBTORCH_DIR pointing at an unpacked libtorch archive
(for example a CUDA build from pytorch.org, cxx11 ABI), that copy is used
instead and its CUDA libraries (libtorch_cuda, libc10_cuda) are linked when
present, whether or not anything references them. Nothing is downloaded.
"""

_SYSTEM_BUILD = """
# LibTorch from Debian's libtorch-dev (CPU).
cc_library(
    name = "torch",
    srcs = [
        "usr/lib/x86_64-linux-gnu/libc10.so",
        "usr/lib/x86_64-linux-gnu/libtorch.so",
        "usr/lib/x86_64-linux-gnu/libtorch_cpu.so",
    ],
    hdrs = glob(["usr/include/torch/**/*.h"]),
    defines = ["_GLIBCXX_USE_CXX11_ABI=1"],
    # <torch/torch.h> lives under the C++ API include dir; ATen/ and c10/ are
    # found in /usr/include, which is searched anyway.
    includes = ["usr/include/torch/csrc/api/include"],
    # tcmalloc keeps freed blocks instead of returning them to the OS every
    # step (2.5-4x faster training on this machine, DESIGN.md section 6).
    linkopts = ["-ltcmalloc_minimal"],
    visibility = ["//visibility:public"],
)
"""

_ARCHIVE_BUILD = """
# LibTorch from LIBTORCH_DIR={dir}.
cc_library(
    name = "torch",
    # The CUDA libraries are inputs too (a changed one relinks), and linked
    # through linkopts below, where --no-as-needed can bracket them.
    srcs = glob([
        "root/lib/libc10.so",
        "root/lib/libtorch.so",
        "root/lib/libtorch_cpu.so",
        "root/lib/libtorch_cuda.so",
        "root/lib/libc10_cuda.so",
    ]),
    hdrs = glob(["root/include/**/*.h"]),
    defines = ["_GLIBCXX_USE_CXX11_ABI=1"],
    includes = ["root/include", "root/include/torch/csrc/api/include"],
    linkopts = ["-Wl,-rpath,{dir}/lib"{cuda_linkopts}],
    visibility = ["//visibility:public"],
)
"""

# The CUDA libraries of a CUDA LibTorch. Nothing references libtorch_cuda by
# symbol (loading it registers the CUDA backend), so a linker running with
# --as-needed (the default on Ubuntu's gcc, and what some toolchains pass)
# would drop it and the binary would report "CUDA not available". linkopts
# come after every object and library on Bazel's link line, so the switch
# must bracket the libraries themselves: a --no-as-needed placed after them
# (as this file once did) changes nothing. Checked with stub CUDA libraries
# in a fake LIBTORCH_DIR: Bazel's auto-configured gcc toolchain passes
# -Wl,-no-as-needed before the inputs, so today they stay linked with or
# without the bracket (even with a gcc specs file that adds --as-needed);
# the bracket keeps it so under a toolchain that does not.
_CUDA_LINKOPTS = """,
        "-Wl,--no-as-needed",
        "{dir}/lib/libtorch_cuda.so",
        "{dir}/lib/libc10_cuda.so",
        "-Wl,--as-needed\""""

def _libtorch_impl(ctx):
    custom = ctx.os.environ.get("LIBTORCH_DIR", "")
    if custom:
        ctx.symlink(custom, "root")
        for lib in ["libc10.so", "libtorch.so", "libtorch_cpu.so"]:
            if not ctx.path(custom + "/lib/" + lib).exists:
                fail("LIBTORCH_DIR=%s has no lib/%s: point it at an unpacked libtorch archive (lib/, include/)" % (custom, lib))
        cuda = ctx.path(custom + "/lib/libtorch_cuda.so").exists
        if cuda and not ctx.path(custom + "/lib/libc10_cuda.so").exists:
            fail("LIBTORCH_DIR=%s has lib/libtorch_cuda.so but no lib/libc10_cuda.so" % custom)
        ctx.file("BUILD", _ARCHIVE_BUILD.format(
            dir = custom,
            cuda_linkopts = _CUDA_LINKOPTS.format(dir = custom) if cuda else "",
        ))
    else:
        ctx.symlink("/usr/lib", "usr/lib")
        ctx.symlink("/usr/include", "usr/include")
        ctx.file("BUILD", _SYSTEM_BUILD)

libtorch_repository = repository_rule(
    implementation = _libtorch_impl,
    environ = ["LIBTORCH_DIR"],
    local = True,
)
