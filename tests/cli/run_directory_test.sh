#!/usr/bin/env bash
# The run directory's guarantees, checked on the real `curvopt` binary (docs/reliability.md):
# - a resume after a crash (a real kill -9, and a simulated crash that left rows past the
#   checkpoint and torn last lines) writes the same logs and model as an uninterrupted run, byte
#   for byte apart from the wall-clock columns;
# - a second process on a run directory in use is refused with one line naming it;
# - a refused --resume changes nothing and creates nothing;
# - resuming a finished run keeps its final metrics in summary.json;
# - SIGTERM and SIGINT stop at a step boundary with a checkpoint and summary.json, exit 143 and
#   130, and the run resumes to the uninterrupted result; stale temporaries are removed.
# Nothing here depends on timing: background runs are long enough never to finish, every wait
# is a bounded poll for a file, and the comparisons hold wherever the signal lands.
# Usage: run_directory_test.sh <path to curvopt>
set -uo pipefail
curvopt="$1"
work=$(mktemp -d)
pid=""  # the background run, until it has been waited for
cleanup() {
  [ -z "$pid" ] || kill -9 "$pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# start <args...>: runs curvopt in the background (stderr to $work/bg.err) and sets $pid.
start() {
  "$curvopt" "$@" 2> "$work/bg.err" &
  pid=$!
}
# finish [signal]: sends the signal (default KILL) and waits; sets $rc to the exit status.
finish() {
  kill -"${1:-KILL}" "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  rc=$?
  pid=""
}
# Job control: a script's background jobs otherwise start with SIGINT ignored, and curvopt
# leaves an inherited SIG_IGN alone.
set -m
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_error "<substring>" args...: non-zero exit, exactly one line on stderr, naming the problem.
expect_error() {
  local want="$1"; shift
  "$curvopt" "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  [ "$rc" -ne 0 ] || fail "curvopt $* exited 0"
  [ "$(wc -l < "$work/err")" -eq 1 ] || fail "curvopt $*: expected one line, got: $(cat "$work/err")"
  grep -q "^curvopt: error: .*$want" "$work/err" || fail "curvopt $*: '$want' not in: $(cat "$work/err")"
}

# wait_until <seconds> <command...>: polls until the command succeeds; fails when time runs out.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
# Complete data rows of a CSV log (a torn last line has no newline and is not counted).
rows() { if [ -f "$1" ]; then echo $(($(wc -l < "$1") - 1)); else echo 0; fi; }
training() { [ -s "$1/checkpoint.bin" ] && [ "$(rows "$1/steps.csv")" -ge "$2" ]; }
logging() { [ "$(rows "$1/steps.csv")" -ge "$2" ]; }

# A log with its wall-clock fields (every *_seconds column) replaced by T.
mask() {
  case "$1" in
    *.csv) awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) t[i] = ($i ~ /_seconds$/); print; next }
                            { for (i = 1; i <= NF; i++) if (t[i]) $i = "T"; print }' "$1" ;;
    *) sed -E 's/("[a-z_]*_seconds":)[^,}]*/\1T/g' "$1" ;;
  esac
}
# same_run <expected dir> <dir> <what>: the logs (times masked) and model.bin are identical.
same_run() {
  local f
  for f in steps.csv steps.jsonl epochs.csv epochs.jsonl; do
    cmp -s <(mask "$1/$f") <(mask "$2/$f") ||
      fail "$3: $f differs from the uninterrupted run: $(diff <(mask "$1/$f") <(mask "$2/$f") | head -4)"
  done
  cmp -s "$1/model.bin" "$2/model.bin" || fail "$3: model.bin differs from the uninterrupted run"
}
# Every file of a directory with its size, modification time and checksum.
snapshot() { (cd "$1" && find . -type f -printf '%p %s %T@ ' -exec md5sum {} \; | sort); }

# The sine task with Adam: 10 steps per epoch.
sine=(train --task sine --optimizer adam lr=0.01 --batch-size 100 --seed 3 --threads 1)
# Never finishes in a test's time: background runs are stopped by a signal. The time budget only
# bounds a run orphaned by a test killed from outside; no check comes near it.
long=("${sine[@]}" --epochs 10000000 --time-budget 300)

# --- 1. A simulated crash: checkpoint at step 21, rows logged to step 34 (past the end of
# epoch 3), torn last lines. The resume must cut the rows and continue as if uninterrupted.
"$curvopt" "${sine[@]}" --epochs 6 --checkpoint-every 7 --out "$work/ref" 2> /dev/null ||
  fail "reference run failed"
"$curvopt" "${sine[@]}" --epochs 6 --checkpoint-every 7 --max-steps 21 --out "$work/sim" \
  2> /dev/null || fail "run to step 21 failed"
cp "$work/sim/checkpoint.bin" "$work/checkpoint-21.bin"
"$curvopt" "${sine[@]}" --epochs 6 --checkpoint-every 7 --max-steps 34 --out "$work/sim" --resume \
  2> /dev/null || fail "run to step 34 failed"
[ "$(rows "$work/sim/steps.csv")" -eq 34 ] && [ "$(rows "$work/sim/epochs.csv")" -eq 3 ] ||
  fail "the simulated crash did not log past its checkpoint"
cp "$work/checkpoint-21.bin" "$work/sim/checkpoint.bin"
printf '35,4,accep' >> "$work/sim/steps.csv"
printf '{"step":35,"epo' >> "$work/sim/steps.jsonl"
printf '4,40,0.1' >> "$work/sim/epochs.csv"
"$curvopt" "${sine[@]}" --epochs 6 --checkpoint-every 7 --out "$work/sim" --resume 2> /dev/null ||
  fail "resume after the simulated crash failed"
[ "$(rows "$work/sim/steps.csv")" -eq 60 ] ||
  fail "steps.csv has $(rows "$work/sim/steps.csv") rows after the resume, not 60"
same_run "$work/ref" "$work/sim" "resume after a simulated crash"
diff <(grep -v '"seconds"' "$work/ref/summary.json") <(grep -v '"seconds"' "$work/sim/summary.json") \
  > /dev/null || fail "summary.json after the resume differs from the uninterrupted run's"

# --- 2. A real kill -9 wherever it lands, then a resume to a fixed step (the last logged step
# + 40) against an uninterrupted run to that step.
start "${long[@]}" --checkpoint-every 25 --out "$work/kill"
if wait_until 120 training "$work/kill" 60; then
  kill -0 "$pid" 2> /dev/null || fail "the run to be killed ended by itself"
  finish KILL
  target=$(($(rows "$work/kill/steps.csv") + 40))
  "$curvopt" "${long[@]}" --checkpoint-every 25 --max-steps "$target" --out "$work/kill" --resume \
    2> /dev/null || fail "resume after kill -9 failed"
  "$curvopt" "${long[@]}" --checkpoint-every 25 --max-steps "$target" --out "$work/kill-ref" \
    2> /dev/null || fail "reference run to step $target failed"
  [ "$(rows "$work/kill/steps.csv")" -eq "$target" ] ||
    fail "after kill -9 and resume steps.csv has $(rows "$work/kill/steps.csv") rows, not $target"
  same_run "$work/kill-ref" "$work/kill" "resume after kill -9"
else
  fail "the run to be killed wrote no checkpoint and 60 steps within 120 s"
  finish KILL
fi

# --- 3. A second writer on a directory in use is refused; SIGTERM then stops the first at a step
# boundary, and the run resumes to the uninterrupted result.
start "${long[@]}" --out "$work/lock"
if wait_until 120 logging "$work/lock" 5; then
  expect_error "run directory $work/lock is in use by another process" \
    "${sine[@]}" --epochs 6 --out "$work/lock"
  expect_error "run directory $work/lock is in use by another process" \
    "${long[@]}" --max-steps 1 --out "$work/lock" --resume  # a bounded run, were it let in
  kill -0 "$pid" 2> /dev/null || fail "the first run ended before the second was refused"
  finish TERM
  [ "$rc" -eq 143 ] || fail "SIGTERM: exit status $rc, not 143"
  grep -q '"stop_reason": "interrupted"' "$work/lock/summary.json" ||
    fail "SIGTERM: summary.json does not say interrupted: $(cat "$work/lock/summary.json")"
  grep -q '"message": "SIGTERM: interrupted after step' "$work/lock/summary.json" ||
    fail "SIGTERM: summary.json does not name the signal"
  grep -q "SIGTERM: interrupted after step .*continue with --resume" "$work/bg.err" ||
    fail "SIGTERM: no line saying how to continue: $(tail -2 "$work/bg.err")"
  [ -s "$work/lock/checkpoint.bin" ] || fail "SIGTERM: no checkpoint"
  steps=$(sed -n 's/.*"steps": \([0-9]*\).*/\1/p' "$work/lock/summary.json")
  [ "$(rows "$work/lock/steps.csv")" -eq "$steps" ] ||
    fail "SIGTERM: steps.csv has $(rows "$work/lock/steps.csv") rows, the summary $steps steps"
  # Stale temporaries of a process killed mid-write go; other files stay.
  touch "$work/lock/checkpoint.bin.tmp" "$work/lock/checkpoint.bin.tmp.99999.0" "$work/lock/notes.tmp"
  target=$((steps + 30))
  "$curvopt" "${long[@]}" --max-steps "$target" --out "$work/lock" --resume 2> /dev/null ||
    fail "resume after SIGTERM failed"
  "$curvopt" "${long[@]}" --max-steps "$target" --out "$work/lock-ref" 2> /dev/null ||
    fail "reference run to step $target failed"
  same_run "$work/lock-ref" "$work/lock" "resume after SIGTERM"
  [ ! -e "$work/lock/checkpoint.bin.tmp" ] && [ ! -e "$work/lock/checkpoint.bin.tmp.99999.0" ] ||
    fail "stale checkpoint temporaries were not removed"
  [ -e "$work/lock/notes.tmp" ] || fail "a file that is not a curvopt temporary was removed"
else
  fail "the first run logged no step within 120 s"
  finish KILL
fi

# --- 4. SIGINT: the same stop, exit 130.
start "${long[@]}" --out "$work/int"
if wait_until 120 logging "$work/int" 5; then
  finish INT
  [ "$rc" -eq 130 ] || fail "SIGINT: exit status $rc, not 130"
  grep -q '"message": "SIGINT: interrupted after step' "$work/int/summary.json" ||
    fail "SIGINT: summary.json does not say interrupted by SIGINT"
  [ -s "$work/int/checkpoint.bin" ] && [ -s "$work/int/model.bin" ] ||
    fail "SIGINT: no checkpoint or model"
else
  fail "the run to interrupt logged no step within 120 s"
  finish KILL
fi

# --- 5. A refused --resume changes nothing: another optimizer, a zero-byte checkpoint, a missing
# directory.
"$curvopt" "${sine[@]}" --epochs 2 --out "$work/r" 2> /dev/null || fail "run r failed"
before=$(snapshot "$work/r")
# One rule: a run resumes with the task and optimizer its config.json records.
expect_error "r holds a run of task 'sine' with optimizer 'adam', not task 'sine' with 'lm'" \
  train --task sine --optimizer lm --epochs 5 --batch-size 100 --seed 3 --out "$work/r" --resume
expect_error "with optimizer 'adam', not task 'sine' with 'adamw'" \
  train --task sine --optimizer adamw --epochs 5 --batch-size 100 --seed 3 --out "$work/r" --resume
[ "$(snapshot "$work/r")" = "$before" ] || fail "a resume with another optimizer changed the run"
"$curvopt" train --task sine --optimizer lm --epochs 1 --out "$work/r-lm" 2> /dev/null ||
  fail "run r-lm failed"
expect_error "r-lm holds a run of task 'sine' with optimizer 'lm', not task 'sine' with 'lm-modified'" \
  train --task sine --optimizer lm-modified --epochs 2 --out "$work/r-lm" --resume
expect_error "r-lm holds a run of task 'sine' with optimizer 'lm', not task 'sine-class-small'" \
  train --task sine-class-small --optimizer lm --epochs 2 --out "$work/r-lm" --resume
: > "$work/r/checkpoint.bin"
before=$(snapshot "$work/r")
expect_error "r/checkpoint.bin: not a curvopt checkpoint" \
  "${sine[@]}" --epochs 5 --out "$work/r" --resume
[ "$(snapshot "$work/r")" = "$before" ] || fail "a resume from a zero-byte checkpoint changed the run"
expect_error "there is no run directory $work/missing to resume" \
  "${sine[@]}" --out "$work/missing" --resume
[ ! -e "$work/missing" ] || fail "a refused resume created the run directory"

# --- 5b. curvopt bench holds its --out for the whole suite: a second bench would remove the run
# directories the first is writing. Another holder of the lock (flock(1), the same lock) makes
# a bench stop with one line before it touches anything.
mkdir -p "$work/bench"
flock "$work/bench/.lock" sleep 60 &
holder=$!
lock_held() { ! flock -n "$work/bench/.lock" true; }
if wait_until 10 lock_held; then
  expect_error "$work/bench is in use by another process" bench quick --only sine --out "$work/bench"
  [ -z "$(ls "$work/bench")" ] || fail "a refused bench wrote into its --out"
else
  fail "flock did not take the lock within 10 s"
fi
kill "$holder" 2> /dev/null
wait "$holder" 2> /dev/null

# --- 6. Resuming a finished run keeps its final metrics (validation loss and accuracy here, test
# loss and accuracy on Iris when its data are installed).
check_finished_resume() {
  local dir="$1"; shift
  "$curvopt" "$@" --out "$dir" 2> /dev/null || { fail "run $dir failed"; return; }
  cp "$dir/summary.json" "$dir.summary"
  "$curvopt" "$@" --out "$dir" --resume 2> /dev/null || fail "resuming the finished run $dir failed"
  diff <(grep -v '"seconds"' "$dir.summary") <(grep -v '"seconds"' "$dir/summary.json") > /dev/null ||
    fail "resuming the finished run $dir changed summary.json: $(diff "$dir.summary" "$dir/summary.json")"
}
check_finished_resume "$work/fin" train --task sine-class-small --optimizer adam --epochs 3 \
  --batch-size 10 --validation-fraction 0.2 --seed 1
grep -A3 '"validation"' "$work/fin/summary.json" | grep -q '"accuracy"' ||
  fail "the finished run's summary.json lacks the validation accuracy"
if "$curvopt" train --task iris --epochs 1 --out "$work/iris-probe" > /dev/null 2>&1; then
  check_finished_resume "$work/iris" train --task iris --epochs 3 --seed 1
  grep -A3 '"test"' "$work/iris/summary.json" | grep -q '"accuracy"' ||
    fail "the finished Iris run's summary.json lacks the test accuracy"
else
  echo "note: no Iris data; the finished-run case ran on sine-class-small only"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures run directory check(s) failed"
  exit 1
fi
echo "all run directory checks passed"
