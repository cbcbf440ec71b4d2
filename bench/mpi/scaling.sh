#!/usr/bin/env bash
# One rank × 1 thread against K ranks × 1 thread: training seconds (summary.json, evaluation
# excluded) of a fixed number of steps, three runs each, for the methods of docs/distributed.md.
# Usage: bench/mpi/scaling.sh [ranks (default 2)] [curvopt (default build/apps/curvopt/curvopt)]
set -euo pipefail
ranks="${1:-2}"
curvopt="${2:-build/apps/curvopt/curvopt}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for rep in 1 2 3; do
  while read -r task optimizer steps; do
    for np in 1 "$ranks"; do
      rm -rf "$out/run"
      # stdin from /dev/null: mpirun would otherwise read this loop's list.
      mpirun -np "$np" "$curvopt" train --task "$task" --optimizer "$optimizer" --threads 1 \
        --max-steps "$steps" --seed 1 --out "$out/run" 2> /dev/null < /dev/null
      seconds=$(grep -o '"seconds": [0-9.e+-]*' "$out/run/summary.json" | cut -d' ' -f2)
      echo "run $rep  $task  $optimizer  ranks $np  steps $steps  seconds $seconds"
    done
  done << 'LIST'
mnist-cnn-large adam 300
mnist-cnn-large kfac 60
mnist-cnn-large slsr1 40
mnist-cnn lm 20
sine-wide lm 40
mnist-cnn-large lm 6
mnist-cnn hessian-free 20
LIST
done
