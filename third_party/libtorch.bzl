"""Repository rule for LibTorch: Debian's system copy, or LIBTORCH_DIR.

Default: Debian's `libtorch-dev` (CPU, 1.13.1) under /usr. With the
environment variable LIBTORCH_DIR pointing at an unpacked libtorch archive
(for example a CUDA build from pytorch.org, cxx11 ABI), that copy is used
instead and CUDA libraries are linked when present. Nothing is downloaded.
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
    srcs = glob(
        ["root/lib/libc10.so", "root/lib/libtorch.so", "root/lib/libtorch_cpu.so",
         "root/lib/libtorch_cuda.so", "root/lib/libc10_cuda.so"],
    ),
    hdrs = glob(["root/include/**/*.h"]),
    defines = ["_GLIBCXX_USE_CXX11_ABI=1"],
    includes = ["root/include", "root/include/torch/csrc/api/include"],
    # --no-as-needed keeps libtorch_cuda linked: nothing references it by
    # symbol, but it registers the CUDA backend when loaded.
    linkopts = ["-Wl,-rpath,{dir}/lib", "-Wl,--no-as-needed"],
    visibility = ["//visibility:public"],
)
"""

def _libtorch_impl(ctx):
    custom = ctx.os.environ.get("LIBTORCH_DIR", "")
    if custom:
        ctx.symlink(custom, "root")
        ctx.file("BUILD", _ARCHIVE_BUILD.format(dir = custom))
    else:
        ctx.symlink("/usr/lib", "usr/lib")
        ctx.symlink("/usr/include", "usr/include")
        ctx.file("BUILD", _SYSTEM_BUILD)

libtorch_repository = repository_rule(
    implementation = _libtorch_impl,
    environ = ["LIBTORCH_DIR"],
    local = True,
)
