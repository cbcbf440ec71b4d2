#!/usr/bin/env bash
# Installs the built library into a temporary prefix and builds and runs tests/package/consumer
# against it with find_package(curvopt), as a user's project would.
# Usage: package_test.sh <build dir> <source dir>
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
for f in include/curvopt/curvopt.h lib/cmake/curvopt/curvoptConfig.cmake \
         lib/cmake/curvopt/curvoptConfigVersion.cmake lib/cmake/curvopt/curvoptTargets.cmake; do
  [ -f "$work/prefix/$f" ] || { echo "FAIL: the install lacks $f"; exit 1; }
done
[ ! -e "$work/prefix/include/tasks" ] || { echo "FAIL: the task catalogue was installed"; exit 1; }
# No CMAKE_BUILD_TYPE and no flags: the consumer compiles with the compiler's defaults.
cmake -S "$source/tests/package/consumer" -B "$work/consumer" \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log" ||
  { cat "$work/configure.log"; echo "FAIL: the consumer does not configure"; exit 1; }
cmake --build "$work/consumer" > "$work/build.log" 2>&1 ||
  { cat "$work/build.log"; echo "FAIL: the consumer does not build"; exit 1; }
"$work/consumer/consumer" "$work/model.bin"
