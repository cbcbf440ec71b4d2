#!/usr/bin/env bash
# Fault injection: a run is killed with SIGKILL at random moments, many times over, and resumed
# after each kill; at the end its logs, model and summary must equal those of a run that was never
# interrupted. The kills land anywhere: inside a step, while a log row or the checkpoint is being
# written, during start-up. Bounded to about a minute on a slow machine.
# Usage: fault_injection_test.sh <path to curvopt> [kills (default 25)] [seed (default 1)]
set -uo pipefail
curvopt="$1"
kills="${2:-25}"
RANDOM="${3:-1}"  # seeds bash's generator: the same delays on every run of the test
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A log with its wall-clock fields (every *_seconds column) replaced by T.
mask() {
  case "$1" in
    *.csv) awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) t[i] = ($i ~ /_seconds$/); print; next }
                            { for (i = 1; i <= NF; i++) if (t[i]) $i = "T"; print }' "$1" ;;
    *) sed -E 's/("[a-z_]*_seconds":)[^,}]*/\1T/g; s/("seconds":)[^,}]*/\1T/g; s/ in [0-9.]+ s/ in T s/g' "$1" ;;
  esac
}

# Adam on the sine task, 10 steps per epoch, a checkpoint every 2 steps (so that kills land
# before, between and inside checkpoint writes), long enough that every kill interrupts it.
run=(train --task sine --optimizer adam lr=0.01 --batch-size 100 --seed 3 --threads 1
  --epochs 1000 --checkpoint-every 2)

"$curvopt" "${run[@]}" --out "$work/reference" 2> /dev/null || fail "the uninterrupted run failed"

started=0 killed_running=0
for ((k = 0; k < kills; ++k)); do
  resume=()
  [ -s "$work/run/checkpoint.bin" ] && resume=(--resume)
  # A kill before the first checkpoint leaves nothing to resume: start afresh.
  [ ${#resume[@]} -eq 0 ] && rm -rf "$work/run"
  "$curvopt" "${run[@]}" --out "$work/run" "${resume[@]}" 2> "$work/err" &
  pid=$!
  started=$((started + 1))
  # 10 to 200 ms: some kills land in start-up or the resume's validation, most in training.
  sleep "0.$(printf '%03d' $((10 + RANDOM % 191)))"
  if kill -KILL "$pid" 2> /dev/null; then killed_running=$((killed_running + 1)); fi
  wait "$pid" 2> /dev/null
  status=$?
  pid=""
  # Killed (137), or finished before the kill (0); anything else is a failed resume.
  if [ "$status" -ne 137 ] && [ "$status" -ne 0 ]; then
    fail "attempt $k exited $status: $(cat "$work/err")"
    break
  fi
done

# Finish the run.
resume=()
[ -s "$work/run/checkpoint.bin" ] && resume=(--resume)
[ ${#resume[@]} -eq 0 ] && rm -rf "$work/run"
"$curvopt" "${run[@]}" --out "$work/run" "${resume[@]}" 2> "$work/err" ||
  fail "the final resume failed: $(cat "$work/err")"

for f in steps.csv steps.jsonl epochs.csv epochs.jsonl summary.json; do
  cmp -s <(mask "$work/reference/$f") <(mask "$work/run/$f") ||
    fail "$f differs from the uninterrupted run's: $(diff <(mask "$work/reference/$f") <(mask "$work/run/$f") | head -4)"
done
cmp -s "$work/reference/model.bin" "$work/run/model.bin" ||
  fail "model.bin differs from the uninterrupted run's"
[ "$killed_running" -ge $((kills / 2)) ] ||
  fail "only $killed_running of $kills kills hit a running process: the run is too short to test"

echo "$started starts, $killed_running killed while running (SIGKILL), the final run equals the uninterrupted one"
if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
