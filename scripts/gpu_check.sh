#!/usr/bin/env bash
# gpu_check.sh: the one-shot GPU check of issue 17. On a machine with an
# NVIDIA GPU and PyTorch (or an unpacked LibTorch) but possibly no Bazel, it
#   1. finds LibTorch and checks its C++ ABI (cxx11, as our code, abseil and
#      protobuf are built), prints the torch and CUDA versions and the GPUs;
#   2. checks the prerequisites and, when some are missing, names the
#      Debian/Ubuntu packages to bring and stops before compiling;
#   3. builds the task binaries (train, fig3, fig4, table3) and the smoke
#      golden tests with plain g++ and make from the BUILD files
#      (scripts/gpu_check/build_plan.py) into build/gpu_check/, incrementally;
#   4. runs, on --device=cuda: (a) the smoke golden tests with
#      MMC_SMOKE_DEVICE=cuda; (b) train, fig3, fig4, table3 on the smoke spec
#      into a fresh cache, then fig3 again, which must load every model from
#      the cache and reproduce the first fig3.json; (c) one epoch of the
#      paper's ResNet-18 / CIFAR-10 spec, for img/s and GPU utilisation;
#   5. prints one PASS/FAIL line per check and exits non-zero if any failed.
# Everything is also written to build/gpu_check/gpu_check.log (per-step logs
# in build/gpu_check/logs/).
#
# On a GPU machine (about 10 minutes with 16 cores, compilation included):
#   scripts/gpu_check.sh                                # PyTorch >= 2.7 via pip
#   LIBTORCH_DIR=/opt/libtorch scripts/gpu_check.sh     # cxx11-ABI LibTorch zip
#   CIFAR10_DIR=/data/cifar-10-batches-bin scripts/gpu_check.sh
# Self-test on a CPU-only machine (here: Debian's LibTorch 1.13):
#   GPU_CHECK_DEVICE=cpu scripts/gpu_check.sh
#
# Needs: g++ (C++17), make, protoc + libprotobuf-dev (same version),
# libabsl-dev, libpng-dev, zlib1g-dev, libdlib-dev, libgtest-dev,
# libgmock-dev, python3 (standard library only), coreutils, binutils (nm);
# optional libgoogle-perftools-dev (tcmalloc), nvidia-smi; the Fashion-MNIST
# IDX files (Debian's dataset-fashion-mnist, or a copy). CIFAR-10 is
# optional: without CIFAR10_DIR a stand-in of random bytes in the official
# binary format is written (throughput does not depend on pixel values).
# Nothing is downloaded.
#
# Options: --help; --steps=LIST (comma-separated of smoke,tasks,timing;
# default all; the build always runs); --prereqs-only (stop after step 2:
# say what is missing without compiling).
# Environment:
#   GPU_CHECK_DEVICE     cuda (default) or cpu (self-test without a GPU)
#   LIBTORCH_DIR         unpacked LibTorch (lib/, include/); default: the
#                        torch of python3 ($PYTHON first), else /usr (Debian)
#   PYTHON               the python with torch, when not python3
#   FASHION_MNIST_DIR    Fashion-MNIST IDX files; default
#                        third_party/data/fashion-mnist if present, else
#                        /usr/share/datasets/fashion-mnist
#   CIFAR10_DIR          cifar-10-batches-bin; default: a random stand-in
#   GPU_CHECK_JOBS       compile jobs (default: nproc)
#   GPU_CHECK_TEST_JOBS  smoke tests run side by side (default: min(5, nproc))
#   GPU_CHECK_BUILD_DIR  build and output directory (default build/gpu_check)
#   GPU_CHECK_TIMING_LIMIT  seconds for the ResNet-18 epoch (default 240 on
#                        cuda; on cpu 120, stopped after two progress lines)
#   GPU_CHECK_TCMALLOC   0: do not link tcmalloc even when present
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

STEPS="smoke,tasks,timing"
PREREQS_ONLY=0
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    --steps=*) STEPS="${arg#--steps=}" ;;
    --prereqs-only) PREREQS_ONLY=1 ;;
    *) echo "gpu_check: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
want() { [[ ",$STEPS," == *",$1,"* ]]; }

DEVICE="${GPU_CHECK_DEVICE:-cuda}"
if [[ "$DEVICE" != cuda && "$DEVICE" != cpu ]]; then
  echo "gpu_check: GPU_CHECK_DEVICE must be cuda or cpu, got '$DEVICE'" >&2
  exit 2
fi
NPROC="$(nproc 2>/dev/null || echo 2)"
JOBS="${GPU_CHECK_JOBS:-$NPROC}"
TEST_JOBS="${GPU_CHECK_TEST_JOBS:-$((NPROC < 5 ? NPROC : 5))}"
B="${GPU_CHECK_BUILD_DIR:-$ROOT/build/gpu_check}"
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
if [[ "$B" == *" "* ]]; then
  echo "gpu_check: GPU_CHECK_BUILD_DIR must not contain spaces (make): '$B'" >&2
  exit 2
fi
mkdir -p "$B/logs" "$B/tmp"
LOG="$B/gpu_check.log"
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
section() { printf '\n=== %s\n' "$*"; }
die() { echo "gpu_check: $*" >&2; exit 1; }

SUMMARY=()
FAILED=0
# record NAME PASS|FAIL SECONDS NOTE
record() {
  SUMMARY+=("$(printf '%-4s %-34s %8s s  %s' "$2" "$1" "$3" "${4:-}")")
  if [[ "$2" != PASS ]]; then FAILED=1; fi
}
print_summary() {
  section "Summary (device $DEVICE; log $LOG)"
  local line
  for line in "${SUMMARY[@]}"; do echo "$line"; done
  if [[ "$FAILED" == 0 ]]; then echo "ALL PASSED"; else echo "SOME CHECKS FAILED"; fi
}
START="$(now)"
echo "gpu_check: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname), $NPROC CPUs," \
  "device $DEVICE, build dir $B"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  [[ -n "$(git status --porcelain -uno 2>/dev/null)" ]] && echo ' (with uncommitted changes)')"

# ---------------------------------------------------------------- LibTorch
section "1. LibTorch"
PY=""       # any python3 (standard library) for the helpers
TORCH_PY="" # the python whose torch is used, if any
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  command -v "$p" >/dev/null 2>&1 || continue
  [[ -z "$PY" ]] && "$p" -c 'import json' >/dev/null 2>&1 && PY="$p"
  if [[ -z "${LIBTORCH_DIR:-}" && -z "$TORCH_PY" ]] &&
    "$p" -c 'import torch' >/dev/null 2>&1; then
    TORCH_PY="$p"
  fi
done

TORCH_KIND="" TORCH_LIB="" TORCH_INCS=() TORCH_VERSION="?" TORCH_CUDA="none" TORCH_ABI=""
if [[ -n "${LIBTORCH_DIR:-}" ]]; then
  D="$(cd "$LIBTORCH_DIR" 2>/dev/null && pwd)" ||
    die "LIBTORCH_DIR=$LIBTORCH_DIR is not a directory"
  [[ -f "$D/lib/libtorch.so" && -f "$D/include/torch/csrc/api/include/torch/torch.h" ]] ||
    die "LIBTORCH_DIR=$D is not an unpacked LibTorch (needs lib/libtorch.so and include/torch/csrc/api/include/torch/torch.h)"
  TORCH_KIND="LIBTORCH_DIR=$D"
  TORCH_LIB="$D/lib"
  TORCH_INCS=("$D/include" "$D/include/torch/csrc/api/include")
  [[ -f "$D/build-version" ]] && TORCH_VERSION="$(cat "$D/build-version")"
  if ls "$D"/lib/libcudart*.so* >/dev/null 2>&1 || [[ -f "$D/lib/libtorch_cuda.so" ]]; then
    TORCH_CUDA="$(sed -n 's/.*+\(cu[0-9]*\)$/\1/p' "$D/build-version" 2>/dev/null || true)"
    TORCH_CUDA="${TORCH_CUDA:-yes (version unknown)}"
  fi
  cfg="$D/share/cmake/Torch/TorchConfig.cmake"
  if [[ -f "$cfg" ]] && grep -q '_GLIBCXX_USE_CXX11_ABI=[01]' "$cfg"; then
    TORCH_ABI="$(grep -o '_GLIBCXX_USE_CXX11_ABI=[01]' "$cfg" | head -1 | cut -d= -f2)"
  fi
elif [[ -n "$TORCH_PY" ]]; then
  info="$("$TORCH_PY" -c 'import torch, os
print(os.path.dirname(torch.__file__))
print(torch.__version__)
print(torch.version.cuda or "none")
print(int(torch.compiled_with_cxx11_abi()))')" || die "$TORCH_PY: importing torch failed"
  { read -r TD; read -r TORCH_VERSION; read -r TORCH_CUDA; read -r TORCH_ABI; } <<<"$info"
  TORCH_KIND="PyTorch of $(command -v "$TORCH_PY") ($TD)"
  TORCH_LIB="$TD/lib"
  TORCH_INCS=("$TD/include" "$TD/include/torch/csrc/api/include")
  [[ -e "$TORCH_LIB/libtorch.so" && -e "$TD/include/torch/csrc/api/include/torch/torch.h" ]] ||
    die "$TD has no C++ LibTorch (lib/libtorch.so, include/torch/csrc/api/include); use a PyTorch wheel from pip or set LIBTORCH_DIR"
elif [[ -f /usr/include/torch/csrc/api/include/torch/torch.h ]] &&
  [[ "$(g++ -print-file-name=libtorch.so 2>/dev/null)" == /* ]]; then
  TORCH_KIND="system LibTorch under /usr (Debian's libtorch-dev)"
  TORCH_LIB="$(dirname "$(g++ -print-file-name=libtorch.so)")"
  TORCH_INCS=("/usr/include/torch/csrc/api/include")
  TORCH_VERSION="$(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo '?')"
else
  die "no LibTorch found: install PyTorch >= 2.7 for python3 (pip install torch), or unpack a cxx11-ABI LibTorch and set LIBTORCH_DIR, or set PYTHON to a python with torch"
fi
if [[ -z "$TORCH_ABI" ]]; then
  # The pre-cxx11 ABI has no std::__cxx11 (std::string) in its signatures.
  if command -v nm >/dev/null 2>&1; then
    if [[ "$(nm -DC "$TORCH_LIB/libc10.so" 2>/dev/null | grep -c '__cxx11' || true)" -gt 0 ]]; then
      TORCH_ABI=1
    else
      TORCH_ABI=0
    fi
  else
    TORCH_ABI="unknown (no nm)"
  fi
fi
echo "LibTorch: $TORCH_KIND"
echo "  version $TORCH_VERSION, CUDA $TORCH_CUDA, _GLIBCXX_USE_CXX11_ABI=$TORCH_ABI"
echo "  lib $TORCH_LIB"
echo "  include ${TORCH_INCS[*]}"
if [[ "$TORCH_ABI" != 1 ]]; then
  die "this LibTorch uses the pre-cxx11 C++ ABI (_GLIBCXX_USE_CXX11_ABI=$TORCH_ABI); our code, Debian's/Ubuntu's abseil and protobuf use the cxx11 ABI, so it cannot link. Use a PyTorch >= 2.7 wheel (pip install 'torch>=2.7'; earlier wheels are pre-cxx11) or the cxx11-ABI LibTorch zip (libtorch-cxx11-abi-shared-with-deps-*.zip, or any 2.7+ zip) with LIBTORCH_DIR=/path/to/libtorch"
fi
HAS_CUDA_LIBS=0
[[ -e "$TORCH_LIB/libtorch_cuda.so" ]] && HAS_CUDA_LIBS=1
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "GPUs (nvidia-smi -L):"
  nvidia-smi -L 2>&1 | sed 's/^/  /' || true
  nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader 2>/dev/null |
    sed 's/^/  driver, memory: /' || true
else
  echo "nvidia-smi: not found"
fi
if [[ "$DEVICE" == cuda && "$HAS_CUDA_LIBS" == 0 ]]; then
  die "--device=cuda needs a CUDA LibTorch, and $TORCH_LIB has no libtorch_cuda.so (CPU-only build). Use a CUDA PyTorch wheel or LIBTORCH_DIR with a CUDA LibTorch; GPU_CHECK_DEVICE=cpu self-tests without a GPU"
fi

# ----------------------------------------------------------- prerequisites
section "2. Prerequisites"
MISSING=()  # "package: why"
need() { MISSING+=("$1: $2"); }
have_header() { printf '#include <%s>\n' "$1" | g++ -std=c++17 -E -x c++ - >/dev/null 2>&1; }
have_lib() { [[ "$(g++ -print-file-name="$1" 2>/dev/null)" == /* ]]; }
if ! command -v g++ >/dev/null 2>&1; then
  need g++ "no g++"
else
  printf '#include <optional>\n#include <string_view>\nint main() { std::optional<std::string_view> s; return s.has_value(); }\n' |
    g++ -std=c++17 -x c++ - -o "$B/tmp/cxx17_check" >/dev/null 2>&1 ||
    need g++ "g++ $(g++ -dumpversion) cannot compile C++17"
  have_header absl/strings/str_cat.h || need libabsl-dev "no <absl/strings/str_cat.h>"
  have_lib libabsl_strings.so || have_lib libabsl_strings.a || need libabsl-dev "no libabsl_strings"
  have_header google/protobuf/message.h || need libprotobuf-dev "no <google/protobuf/message.h>"
  have_lib libprotobuf.so || need libprotobuf-dev "no libprotobuf.so"
  have_header png.h || need libpng-dev "no <png.h>"
  have_lib libpng16.so || need libpng-dev "no libpng16.so"
  have_header zlib.h || need zlib1g-dev "no <zlib.h>"
  have_lib libz.so || need zlib1g-dev "no libz.so"
  have_header dlib/optimization/max_cost_assignment.h || need libdlib-dev "no <dlib/optimization/max_cost_assignment.h>"
  have_lib libdlib.so || have_lib libdlib.a || need libdlib-dev "no libdlib"
  have_header gtest/gtest.h || need libgtest-dev "no <gtest/gtest.h>"
  have_lib libgtest.a || have_lib libgtest.so || need libgtest-dev "no libgtest"
  have_lib libgtest_main.a || have_lib libgtest_main.so || need libgtest-dev "no libgtest_main"
  have_header gmock/gmock.h || need libgmock-dev "no <gmock/gmock.h>"
  have_lib libgmock.a || have_lib libgmock.so || need libgmock-dev "no libgmock"
fi
command -v make >/dev/null 2>&1 || need make "no make"
command -v nm >/dev/null 2>&1 || need binutils "no nm"
command -v timeout >/dev/null 2>&1 || need coreutils "no timeout"
[[ -n "$PY" ]] || need python3 "no python3 (standard library only)"
if ! command -v protoc >/dev/null 2>&1; then
  need protobuf-compiler "no protoc"
elif command -v g++ >/dev/null 2>&1 && have_header google/protobuf/message.h; then
  # protoc's output only compiles against headers of the same version.
  pc="$(protoc --version | awk '{print $2}')"
  ph="$(printf '#include <google/protobuf/stubs/common.h>\nGOOGLE_PROTOBUF_VERSION\n' |
    g++ -E -P -x c++ - 2>/dev/null | tail -1 | tr -d ' ')"
  pcn="$(awk -F. -v v="$pc" 'BEGIN { split(v, a, "."); printf "%d%03d", a[1], a[2] }')"
  if [[ "$ph" =~ ^[0-9]+$ && "${ph:0:${#pcn}}" != "$pcn" ]]; then
    need protobuf-compiler "protoc $pc does not match libprotobuf-dev headers $ph (install both from the same release)"
  fi
fi
TCMALLOC=""
if [[ "${GPU_CHECK_TCMALLOC:-1}" != 0 ]] && have_lib libtcmalloc_minimal.so; then
  TCMALLOC="-ltcmalloc_minimal"
fi
echo "optional: tcmalloc ${TCMALLOC:-not linked (libgoogle-perftools-dev absent or GPU_CHECK_TCMALLOC=0)}"

# Fashion-MNIST, for the smoke spec and the smoke tests.
FASHION=""
if [[ -n "${FASHION_MNIST_DIR:-}" ]]; then
  candidates=("$FASHION_MNIST_DIR")
else
  candidates=("$ROOT/third_party/data/fashion-mnist" /usr/share/datasets/fashion-mnist)
fi
for d in "${candidates[@]}"; do
  if ls "$d"/train-images-idx3-ubyte* >/dev/null 2>&1 &&
    ls "$d"/t10k-labels-idx1-ubyte* >/dev/null 2>&1; then
    FASHION="$(cd "$d" && pwd)"
    break
  fi
done
if [[ -z "$FASHION" ]]; then
  need dataset-fashion-mnist "no Fashion-MNIST IDX files ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]) in ${candidates[*]}; or copy the four files and set FASHION_MNIST_DIR"
else
  echo "Fashion-MNIST: $FASHION"
fi
if [[ -n "${CIFAR10_DIR:-}" && ! -f "${CIFAR10_DIR}/data_batch_1.bin" ]]; then
  die "CIFAR10_DIR=$CIFAR10_DIR has no data_batch_1.bin (the binary version, cifar-10-batches-bin)"
fi
if [[ "${#MISSING[@]}" -gt 0 ]]; then
  echo "MISSING prerequisites:"
  printf '  %s\n' "${MISSING[@]}"
  pkgs="$(printf '%s\n' "${MISSING[@]}" | cut -d: -f1 | sort -u | tr '\n' ' ')"
  echo "Bring these Debian/Ubuntu packages (with their dependencies) as .deb files:"
  echo "  $pkgs"
  echo "  (apt-get install --no-install-recommends $pkgs; offline: apt-get download on a"
  echo "   machine of the same release, then dpkg -i *.deb)"
  exit 3
fi
echo "all prerequisites present: g++ $(g++ -dumpversion), $(protoc --version), make, $("$PY" --version 2>&1)"
if [[ "$PREREQS_ONLY" == 1 ]]; then exit 0; fi

# ------------------------------------------------------------------- build
section "3. Build (g++, make -j$JOBS, into $B)"
TARGETS=(//tasks:train //tasks:fig3 //tasks:fig4 //tasks:table3)
SMOKE_TESTS=(fig3_smoke_test fig4_smoke_test table3_smoke_test ladder_smoke_test training_smoke_test)
for t in "${SMOKE_TESTS[@]}"; do TARGETS+=("//lib/experiment:$t"); done

TORCH_CPPFLAGS=""
for inc in "${TORCH_INCS[@]}"; do
  # -I/usr/include would break libstdc++'s #include_next.
  [[ "$inc" == /usr/include ]] || TORCH_CPPFLAGS+="-isystem $inc "
done
TORCH_CPPFLAGS="${TORCH_CPPFLAGS% }"
TORCH_LDFLAGS="-L$TORCH_LIB -ltorch -ltorch_cpu -lc10"
if [[ "$HAS_CUDA_LIBS" == 1 ]]; then
  # Nothing references libtorch_cuda by symbol; loading it registers CUDA
  # (this sits inside -Wl,--no-as-needed).
  TORCH_LDFLAGS+=" -ltorch_cuda"
  [[ -e "$TORCH_LIB/libc10_cuda.so" ]] && TORCH_LDFLAGS+=" -lc10_cuda"
  # pip wheels find cuDNN, cuBLAS, ... in site-packages/nvidia/*/lib through
  # their RUNPATH ($ORIGIN); tell the linker too.
  for d in "$(dirname "$(dirname "$TORCH_LIB")")"/nvidia/*/lib; do
    [[ -d "$d" ]] && TORCH_LDFLAGS+=" -Wl,-rpath-link,$d"
  done
  TORCH_LDFLAGS+=" -Wl,--allow-shlib-undefined"
fi
[[ -n "$TCMALLOC" ]] && TORCH_LDFLAGS+=" $TCMALLOC"
TORCH_LDFLAGS+=" -Wl,-rpath,$TORCH_LIB"

# Stamps change (and trigger a rebuild) only when the flags do.
write_if_changed() { if [[ "$(cat "$1" 2>/dev/null)" != "$2" ]]; then printf '%s\n' "$2" >"$1"; fi; }
write_if_changed "$B/compile.stamp" "CXX=g++
TORCH_CPPFLAGS=$TORCH_CPPFLAGS"
write_if_changed "$B/link.stamp" "TORCH_LDFLAGS=$TORCH_LDFLAGS"

build_start="$(now)"
if ! "$PY" scripts/gpu_check/build_plan.py --build_dir "$B" "${TARGETS[@]}" >"$B/Makefile.new"; then
  die "scripts/gpu_check/build_plan.py could not read the BUILD files"
fi
if cmp -s "$B/Makefile.new" "$B/Makefile"; then rm "$B/Makefile.new"; else mv "$B/Makefile.new" "$B/Makefile"; fi
MAKE_ARGS=(-f "$B/Makefile" CXX=g++ "TORCH_CPPFLAGS=$TORCH_CPPFLAGS" "TORCH_LDFLAGS=$TORCH_LDFLAGS")
todo_cc="$(make -n "${MAKE_ARGS[@]}" 2>/dev/null | grep -c "^echo 'CC " || true)"
todo_link="$(make -n "${MAKE_ARGS[@]}" 2>/dev/null | grep -c "^echo 'LINK " || true)"
echo "$todo_cc of $(grep -c "^\S*\.o:" "$B/Makefile") objects and $todo_link of ${#TARGETS[@]} binaries to build"
set +e
make -k -j"$JOBS" "${MAKE_ARGS[@]}" 2>&1 |
  { n=0; while IFS= read -r line; do
      if [[ "$line" == "CC "* ]]; then n=$((n + 1)); line="[$n/$todo_cc] ${line#CC }"; fi
      printf '%s\n' "$line"
    done; } | tee "$B/logs/build.log"
rc="${PIPESTATUS[0]}"
set -e
build_s="$(since "$build_start")"
if [[ "$rc" != 0 ]]; then
  echo "BUILD FAILED (make exit $rc); the first errors:"
  grep -m 10 -E 'error|undefined reference|multiple definition' "$B/logs/build.log" | sed 's/^/  /' || true
  record build FAIL "$build_s" "see $B/logs/build.log"
  print_summary
  exit 1
fi
echo "build: ${build_s} s"
record build PASS "$build_s" "$todo_cc compiled, $todo_link linked"
BIN="$B/bin"

# ---------------------------------------------------------- smoke goldens
smoke_env=(
  env MMC_SMOKE_DEVICE="$DEVICE" MMC_SMOKE_DATA_DIR="$FASHION"
  TEST_TMPDIR="$B/tmp"
  # As .bazelrc's test_env: pinned OpenBLAS kernels and bazel test's malloc.
  OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512
  MALLOC_MMAP_THRESHOLD_=17179869184 MALLOC_TRIM_THRESHOLD_=17179869184
)
run_smoke() { # TEST: writes logs/TEST.log and logs/TEST.result
  local t="$1" t0 rc
  t0="$(now)"
  set +e
  timeout 1200 "${smoke_env[@]}" "$BIN/lib/experiment/$t" >"$B/logs/$t.log" 2>&1
  rc=$?
  set -e
  echo "$rc $(since "$t0")" >"$B/logs/$t.result"
}
if want smoke; then
  section "4a. Smoke golden tests (MMC_SMOKE_DEVICE=$DEVICE, $TEST_JOBS side by side)"
  if [[ "$DEVICE" == cuda ]] && ! grep -aq MMC_SMOKE_DEVICE "$BIN/lib/experiment/fig3_smoke_test"; then
    echo "WARNING: this checkout's smoke_golden.cc does not read MMC_SMOKE_DEVICE:" \
      "the smoke tests below run on the CPU, not the GPU"
  fi
  # Explicit pids: a bare `wait` would also wait for the log's tee.
  pids=()
  running_count() {
    local n=0 p
    for p in "${pids[@]}"; do if kill -0 "$p" 2>/dev/null; then n=$((n + 1)); fi; done
    echo "$n"
  }
  for t in "${SMOKE_TESTS[@]}"; do
    rm -f "$B/logs/$t.result"
    while [[ "$(running_count)" -ge "$TEST_JOBS" ]]; do sleep 1; done
    run_smoke "$t" &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  for t in "${SMOKE_TESTS[@]}"; do
    read -r rc secs <"$B/logs/$t.result" || { rc=99; secs=0; }
    counts="$(grep -E '^\[  (PASSED|FAILED)  \] [0-9]+ test' "$B/logs/$t.log" | tr -s ' ' | tr '\n' ' ' || true)"
    if [[ "$rc" == 0 ]]; then
      echo "PASS $t (${secs} s) $counts"
      record "smoke $t" PASS "$secs" "$counts"
    else
      why="exit $rc"
      [[ "$rc" == 124 ]] && why="timed out after 1200 s"
      echo "FAIL $t (${secs} s, $why) $counts; log $B/logs/$t.log; first failures:"
      first_re='got .*, golden|: Failure$|error:|what\(\)|terminate'
      { grep -E '^\[  FAILED  \] [A-Za-z][^ ]*$' "$B/logs/$t.log" | sort -u | head -8
        if grep -qE "$first_re" "$B/logs/$t.log"; then
          grep -m 1 -A 25 -E "$first_re" "$B/logs/$t.log"
        else
          tail -n 8 "$B/logs/$t.log"
        fi; } | sed 's/^/    /'
      record "smoke $t" FAIL "$secs" "$why; $counts"
    fi
  done
fi

# -------------------------------------------------------------- task runs
# run_task NAME LOGFILE ARGS...: runs a binary from the repository root,
# output shown indented and kept in LOGFILE; sets TASK_RC and TASK_S.
run_task() {
  local log="$2" t0
  shift 2
  t0="$(now)"
  set +e
  "$@" 2>&1 | tee "$log" | sed -u 's/^/    | /'
  TASK_RC="${PIPESTATUS[0]}"
  set -e
  TASK_S="$(since "$t0")"
}
if want tasks; then
  section "4b. Tasks on specs/smoke/fashion_box.textproto (--device=$DEVICE, fresh cache)"
  RUN="$B/run"
  rm -rf "$RUN"
  mkdir -p "$RUN/out" "$RUN/out_rerun"
  common=(--spec=specs/smoke/fashion_box.textproto "--data_dir=$FASHION"
    "--cache_dir=$RUN/cache" "--device=$DEVICE")
  for task in train fig3 fig4 table3; do
    echo "--- $task"
    run_task "$task" "$B/logs/task_$task.log" "$BIN/tasks/$task" "${common[@]}" "--out_dir=$RUN/out"
    if [[ "$TASK_RC" == 0 && -f "$RUN/out/$task.json" ]]; then
      echo "$task: PASS in $TASK_S s"
      record "task $task" PASS "$TASK_S" "$(grep -oE '[0-9]+ of [0-9]+ asserted claims hold' "$B/logs/task_$task.log" | tail -1 || true)"
    else
      echo "$task: FAIL (exit $TASK_RC) in $TASK_S s; log $B/logs/task_$task.log"
      record "task $task" FAIL "$TASK_S" "exit $TASK_RC"
    fi
  done
  echo "--- fig3 again (must load every model from the cache)"
  models_before="$(find "$RUN/cache" -path '*/models/*' -type f 2>/dev/null | wc -l)"
  run_task fig3 "$B/logs/task_fig3_rerun.log" "$BIN/tasks/fig3" "${common[@]}" "--out_dir=$RUN/out_rerun"
  models_after="$(find "$RUN/cache" -path '*/models/*' -type f 2>/dev/null | wc -l)"
  rerun_s="$TASK_S"
  if [[ "$TASK_RC" != 0 || ! -f "$RUN/out_rerun/fig3.json" ]]; then
    record "task fig3 (rerun)" FAIL "$rerun_s" "exit $TASK_RC"
    record "cache reload" FAIL "$rerun_s" "rerun failed"
    record "determinism fig3.json" FAIL 0 "rerun failed"
  else
    record "task fig3 (rerun)" PASS "$rerun_s"
    # Loaded, not trained: no SGD progress line (every training run prints
    # one at its last step), no new model file, every endpoint from_cache.
    trained_lines="$(grep -cE '\] epoch [0-9]+/[0-9]+ step' "$B/logs/task_fig3_rerun.log" || true)"
    not_cached="$("$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(sum(1 for e in r.get("endpoints", []) if not e.get("from_cache")))' "$RUN/out_rerun/fig3.json")"
    note="$models_after model files (were $models_before), $trained_lines training progress lines, $not_cached endpoints not from_cache"
    echo "cache reload: $note"
    if [[ "$models_after" == "$models_before" && "$models_before" -gt 0 && "$trained_lines" == 0 && "$not_cached" == 0 ]]; then
      record "cache reload" PASS "$rerun_s" "$note"
    else
      record "cache reload" FAIL "$rerun_s" "$note"
    fi
    if [[ -f "$RUN/out/fig3.json" ]]; then
      set +e
      cmp_out="$("$PY" scripts/gpu_check/compare_json.py "$RUN/out/fig3.json" "$RUN/out_rerun/fig3.json")"
      cmp_rc=$?
      set -e
      echo "fig3.json, first run vs rerun: $cmp_out"
      if [[ "$cmp_rc" == 0 ]]; then
        record "determinism fig3.json" PASS 0 "$(head -1 <<<"$cmp_out" | cut -c1-70)"
      else
        record "determinism fig3.json" FAIL 0 "$(sed -n 2p <<<"$cmp_out" | cut -c1-70)"
      fi
    else
      record "determinism fig3.json" FAIL 0 "no first fig3.json"
    fi
  fi
fi

# LibTorch warns (warn_only) at every nondeterministic kernel under
# --device=cuda (lib/train/device.cc): count them over every log so far.
if want smoke || want tasks; then
  nondet="$(cat "$B"/logs/*_smoke_test.log "$B"/logs/task_*.log 2>/dev/null |
    grep -E 'does not have a deterministic implementation|nondeterministic' || true)"
  if [[ -n "$nondet" ]]; then
    echo "nondeterministic-kernel warnings: $(wc -l <<<"$nondet") lines; distinct:"
    sort <<<"$nondet" | uniq -c | sort -rn | head -5 | cut -c1-200 | sed 's/^/  /'
    SUMMARY+=("$(printf '%-4s %-34s %8s    %s' INFO "nondeterminism warnings" - "$(wc -l <<<"$nondet") lines (see above)")")
  else
    SUMMARY+=("$(printf '%-4s %-34s %8s    %s' INFO "nondeterminism warnings" - "none")")
  fi
fi

# ----------------------------------------------------------------- timing
if want timing; then
  section "4c. One epoch of specs/paper/resnet18_cifar10.textproto (train, --device=$DEVICE)"
  CIFAR="${CIFAR10_DIR:-}"
  if [[ -z "$CIFAR" ]]; then
    CIFAR="$B/cifar10_random"
    if [[ ! -f "$CIFAR/STAND_IN" ]]; then
      echo "CIFAR10_DIR unset: writing a stand-in of RANDOM images in the CIFAR-10 binary format to $CIFAR"
      mkdir -p "$CIFAR"
      "$PY" - "$CIFAR" <<'EOF'
import os, sys
d = sys.argv[1]
for name in ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]:
    buf = bytearray(os.urandom(10000 * 3073))  # label byte + 3x32x32 pixels
    for r in range(0, len(buf), 3073):
        buf[r] %= 10
    with open(os.path.join(d, name), "wb") as f:
        f.write(buf)
open(os.path.join(d, "STAND_IN"), "w").write(
    "random bytes in the CIFAR-10 binary format, written by scripts/gpu_check.sh\n")
EOF
    fi
    echo "NOTE: the images are RANDOM bytes (throughput does not depend on pixel values; accuracies are meaningless)"
  fi
  # One epoch, one seed, one cue proportion: theta_NC then theta_C.
  TSPEC="$B/resnet18_cifar10_1epoch.textproto"
  "$PY" - specs/paper/resnet18_cifar10.textproto "$TSPEC" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
# epochs of the top-level train block only (fig4, finetune, ... keep theirs).
m = re.search(r"^train \{.*?^\}", text, re.S | re.M)
block = re.sub(r"epochs: \d+", "epochs: 1", m.group(0))
text = text[:m.start()] + block + text[m.end():]
text = re.sub(r"^seeds: .*$", "seeds: [0]", text, flags=re.M)
text = re.sub(r"^cue_proportions: .*$", "cue_proportions: [0.8]", text, flags=re.M)
text = text.replace('name: "paper:', 'name: "gpu_check 1 epoch of paper:', 1)
open(sys.argv[2], "w").write(text)
EOF
  if [[ "$DEVICE" == cuda ]]; then limit="${GPU_CHECK_TIMING_LIMIT:-240}"; else limit="${GPU_CHECK_TIMING_LIMIT:-120}"; fi
  tlog="$B/logs/timing_train.log"
  rm -rf "$B/run_timing"
  mkdir -p "$B/run_timing/out"
  smi_csv="$B/logs/timing_nvidia_smi.csv"
  rm -f "$smi_csv"
  smi_pid=""
  if command -v nvidia-smi >/dev/null 2>&1; then
    # Sampled from the start; the statistics keep the training window only.
    # The GPU the task uses: the first visible one.
    gpu_id="${CUDA_VISIBLE_DEVICES:-0}"
    nvidia-smi -i "${gpu_id%%,*}" --query-gpu=timestamp,utilization.gpu,memory.used \
      --format=csv,noheader,nounits -lms 500 >"$smi_csv" 2>/dev/null &
    smi_pid=$!
  fi
  t0="$(now)"
  "$BIN/tasks/train" "--spec=$TSPEC" "--data_dir=$CIFAR" "--cache_dir=$B/run_timing/cache" \
    "--out_dir=$B/run_timing/out" "--device=$DEVICE" >"$tlog" 2>&1 &
  tpid=$!
  stopped=""
  shown=0
  seen_progress=0
  t_first="" t_last=""
  while kill -0 "$tpid" 2>/dev/null; do
    sleep 1
    n="$(wc -l <"$tlog")"
    if [[ "$n" -gt "$shown" ]]; then sed -n "$((shown + 1)),${n}p" "$tlog" | sed 's/^/    | /'; shown="$n"; fi
    progress="$(grep -cE '\] epoch [0-9]+/[0-9]+ step' "$tlog" || true)"
    if [[ "$progress" -gt "$seen_progress" ]]; then
      # A progress line comes every 5 s of training (and at each epoch end).
      [[ -z "$t_first" ]] && t_first="$(awk -v t="$(now)" 'BEGIN { printf "%.1f", t - 6 }')"
      t_last="$(now)"
      seen_progress="$progress"
    fi
    if [[ "$DEVICE" == cpu && "$progress" -ge 2 ]]; then stopped="after two progress lines (CPU self-test)"; fi
    if awk -v a="$(since "$t0")" -v l="$limit" 'BEGIN { exit !(a > l) }'; then stopped="at the ${limit} s limit"; fi
    if [[ -n "$stopped" ]]; then kill "$tpid" 2>/dev/null || true; break; fi
  done
  set +e
  wait "$tpid"
  trc=$?
  set -e
  timing_s="$(since "$t0")"
  n="$(wc -l <"$tlog")"
  [[ "$n" -gt "$shown" ]] && sed -n "$((shown + 1)),${n}p" "$tlog" | sed 's/^/    | /'
  if [[ -n "$smi_pid" ]]; then kill "$smi_pid" 2>/dev/null || true; wait "$smi_pid" 2>/dev/null || true; fi
  # The first model's last progress line: cumulative img/s over its epoch.
  first="$(grep -m1 -oE '^\[[^]]*\] epoch' "$tlog" | sed 's/ epoch$//' || true)"
  line=""
  [[ -n "$first" ]] && line="$(grep -F "$first epoch" "$tlog" | tail -1)"
  rate="$(sed -n 's/.* \([0-9][0-9]*\) img\/s.*/\1/p' <<<"$line")"
  if [[ -n "$rate" ]]; then
    steps="$(sed -n 's/.* step \([0-9]*\)\/\([0-9]*\) .*/\1 \2/p' <<<"$line")"
    read -r step nsteps <<<"$steps"
    est="$(awk -v n="$nsteps" -v r="$rate" 'BEGIN { printf "%.0f", n * 256 / r }')"
    msg="$rate img/s ($first, step $step/$nsteps of the epoch); one epoch ~${est} s, the paper's 100 epochs ~$(awk -v e="$est" 'BEGIN { printf "%.1f", e * 100 / 3600 }') h per model"
    [[ -z "${CIFAR10_DIR:-}" ]] && msg+="; random stand-in images"
    if [[ -s "$smi_csv" && -n "$t_first" ]]; then
      gpu="$("$PY" scripts/gpu_check/gpu_util.py "$smi_csv" "$t_first" "$t_last")"
      echo "$gpu"
      msg+="; $gpu"
    fi
    echo "timing: $msg"
    if [[ "$trc" == 0 || -n "$stopped" ]]; then
      record "timing resnet18 1 epoch" PASS "$timing_s" "$rate img/s${stopped:+, stopped $stopped}"
    else
      record "timing resnet18 1 epoch" FAIL "$timing_s" "train exit $trc after $rate img/s"
    fi
  else
    echo "timing: no progress line (train exit $trc${stopped:+, stopped $stopped}); log $tlog"
    tail -n 5 "$tlog" | sed 's/^/    /'
    record "timing resnet18 1 epoch" FAIL "$timing_s" "no img/s line${stopped:+, stopped $stopped}"
  fi
fi

print_summary
echo "total: $(since "$START") s"
exit "$FAILED"
