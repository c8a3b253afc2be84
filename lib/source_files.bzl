"""source_files(): a lib package's sources, for //lib:source_rules_test."""

def source_files():
    """Exports this package's .cc and .h files as :source_files to //lib."""
    native.filegroup(
        name = "source_files",
        srcs = native.glob(["*.cc", "*.h"]),
        visibility = ["//lib:__pkg__"],
    )
