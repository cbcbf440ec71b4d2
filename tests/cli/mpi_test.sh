#!/usr/bin/env bash
# `mpirun -np K curvopt train`: the run over 2 ranks follows the one-process run; a checkpoint
# written by 2 ranks resumes on 1 and on 3; rank 0 alone writes the run directory; an error on
# one rank ends the whole job with one line and a non-zero status.
# Usage: mpi_test.sh <path to curvopt> <path to mpirun>
set -uo pipefail
curvopt="$1"
mpirun="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

# Adam on the sine task (float32), 10 batches of 100 per epoch.
run=(train --task sine --optimizer adam lr=0.01 --batch-size 100 --seed 3 --threads 1)

# The final training loss of a run directory (its last steps.csv row, column loss_before).
last_loss() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "loss_before") c = i; next } { v = $c } END { print v }' "$1/steps.csv"
}
# |a − b| ≤ tol·|b|
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= t * m) }'; }

"$curvopt" "${run[@]}" --epochs 2 --out "$work/one" 2> /dev/null || fail "the one-process run failed"
"$mpirun" -np 2 "$curvopt" "${run[@]}" --epochs 2 --out "$work/two" 2> "$work/two.err" ||
  { fail "the 2-rank run failed"; cat "$work/two.err"; }
grep -q "on 2 processes" "$work/two.err" || fail "the 2-rank run did not say it ran on 2 processes"
[ "$(grep -c 'curvopt: training' "$work/two.err")" = 1 ] || fail "more than one rank printed"
# 20 steps, one row each: rank 0 alone wrote the log.
[ "$(($(wc -l < "$work/two/steps.csv") - 1))" = 20 ] || fail "steps.csv of the 2-rank run has $(wc -l < "$work/two/steps.csv") lines"
grep -q '"processes": 2' "$work/two/summary.json" || fail "summary.json does not record 2 processes"
# Float32 sums in another order: the first batch's loss to float rounding, the end to 1e-3.
l1=$(last_loss "$work/one")
l2=$(last_loss "$work/two")
close "$l2" "$l1" 1e-3 || fail "2 ranks end at loss $l2, one process at $l1"

# A checkpoint of 2 ranks, resumed on 1 and on 3: both end where the uninterrupted run ends.
"$mpirun" -np 2 "$curvopt" "${run[@]}" --epochs 1 --out "$work/half" 2> /dev/null || fail "the 1-epoch 2-rank run failed"
cp -r "$work/half" "$work/on1"
cp -r "$work/half" "$work/on3"
"$curvopt" "${run[@]}" --epochs 2 --resume --out "$work/on1" 2> /dev/null || fail "resume on 1 process failed"
"$mpirun" -np 3 "$curvopt" "${run[@]}" --epochs 2 --resume --out "$work/on3" 2> "$work/on3.err" ||
  { fail "resume on 3 ranks failed"; cat "$work/on3.err"; }
for d in on1 on3; do
  l=$(last_loss "$work/$d")
  close "$l" "$l1" 1e-3 || fail "$d: resumed run ends at loss $l, the uninterrupted one at $l1"
  [ "$(($(wc -l < "$work/$d/steps.csv") - 1))" = 20 ] || fail "$d: steps.csv has $(wc -l < "$work/$d/steps.csv") lines"
done

# One rank meets an error the other does not (an unknown optimizer on rank 1 only, by mpirun's
# MPMD form): the job ends at once, says which rank and why, and fails.
start=$SECONDS
"$mpirun" -np 1 "$curvopt" "${run[@]}" --epochs 1000 --out "$work/bad" : \
  -np 1 "$curvopt" train --task sine --optimizer no-such-method --batch-size 100 --seed 3 \
  --threads 1 --epochs 1000 --out "$work/bad" > "$work/bad.out" 2> "$work/bad.err"
status=$?
[ "$status" -ne 0 ] || fail "a failing rank left the job's status 0"
grep -q "curvopt: error (rank 1 of 2):.*no-such-method" "$work/bad.err" ||
  { fail "no one-line error naming rank 1"; cat "$work/bad.err"; }
[ $((SECONDS - start)) -lt 60 ] || fail "the job took $((SECONDS - start)) s to end after rank 1 failed"

# An error every rank meets is printed once (by rank 0, whose abort ends the others).
"$mpirun" -np 2 "$curvopt" train --task sine --optimizer no-such-method --out "$work/bad2" \
  > /dev/null 2> "$work/bad2.err"
[ $? -ne 0 ] || fail "a bad flag on every rank left the status 0"
[ "$(grep -c 'curvopt: error' "$work/bad2.err")" = 1 ] ||
  { fail "the error every rank met was printed $(grep -c 'curvopt: error' "$work/bad2.err") times"; cat "$work/bad2.err"; }

# Only training is data-parallel: another command under several ranks is refused, once.
"$mpirun" -np 2 "$curvopt" bench quick --out "$work/bench" > /dev/null 2> "$work/bench.err"
[ $? -ne 0 ] || fail "curvopt bench under 2 ranks was not refused"
grep -q "only \`curvopt train\` runs" "$work/bench.err" || { fail "no refusal of bench"; cat "$work/bench.err"; }
[ ! -e "$work/bench" ] || fail "the refused bench created its directory"

[ "$failures" -eq 0 ] && echo "mpi_test: all checks passed"
exit $((failures > 0))
