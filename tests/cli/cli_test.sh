#!/usr/bin/env bash
# Command-line tests of the `curvopt` tool: bad input exits non-zero with one clear line, a run's
# config.json reproduces the run, and a resumed run matches an uninterrupted one.
# Usage: cli_test.sh <path to curvopt>
set -uo pipefail
curvopt="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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

expect_error "unknown task 'nope'" train --task nope --data "$work/data"
expect_error "adam: unknown option 'beta3'" train --task sine --optimizer adam beta3=0.9
expect_error "AdamOptions::beta1 = 2" train --task sine --optimizer adam beta1=2
expect_error "unknown optimizer 'adma'" train --task sine --optimizer adma
expect_error "missing data file .*mnist" train --task mnist-cnn --data "$work/no-data"
expect_error "--task or --model is required" train
expect_error "sgd: expected key=value, got .momentum." train --task sine --optimizer sgd momentum
expect_error "lm: expected key=value, got .lr." train --task sine --optimizer "lm lr"
expect_error "not valid JSON" train --config "$0"
expect_error "has no epochs.csv" plot "$work"
expect_error "unknown optimizer 'nope'" optimizers nope
expect_error "suite: .*not in" bench nosuch
expect_error "no experiment of suite 'quick' matches --only nothing" bench quick --only nothing \
  --out "$work/bench-none"

# A run, its rerun from config.json, and a resumed run: the losses must agree exactly.
columns() { cut -d, -f1-3 "$1"; }  # epoch, steps, mean_step_loss (not the timings)
"$curvopt" train --task sine --optimizer adam lr=0.01 --epochs 6 --batch-size 100 --seed 3 \
  --out "$work/a" 2> /dev/null || fail "training run a failed"
"$curvopt" train --config "$work/a/config.json" --out "$work/b" 2> /dev/null ||
  fail "rerun from config failed"
diff <(columns "$work/a/epochs.csv") <(columns "$work/b/epochs.csv") > /dev/null ||
  fail "a run's config.json did not reproduce the run"
"$curvopt" train --task sine --optimizer adam lr=0.01 --epochs 3 --batch-size 100 --seed 3 \
  --out "$work/c" 2> /dev/null || fail "first half failed"
"$curvopt" train --task sine --optimizer adam lr=0.01 --epochs 6 --batch-size 100 --seed 3 \
  --out "$work/c" --resume 2> /dev/null || fail "resume failed"
diff <(columns "$work/a/epochs.csv") <(columns "$work/c/epochs.csv") > /dev/null ||
  fail "resumed run differs: $(diff <(columns "$work/a/epochs.csv") <(columns "$work/c/epochs.csv"))"
grep -q '"stop_reason": "completed"' "$work/a/summary.json" || fail "summary.json lacks the stop reason"

# The run directory's model.bin predicts what the run reported; bad model files are refused.
"$curvopt" train --task sine --optimizer lm --epochs 20 --seed 2 --evaluate-train \
  --out "$work/m" 2> /dev/null || fail "training run m failed"
[ -s "$work/m/model.bin" ] || fail "the run directory has no model.bin"
"$curvopt" predict --model-file "$work/m/model.bin" --task sine --split train --seed 2 \
  --output "$work/m/predictions.csv" > "$work/predict.out" 2> /dev/null || fail "predict failed"
reported=$(grep -A3 '"train"' "$work/m/summary.json" | grep '"loss"' | head -1 |
  sed 's/.*: *\([^,]*\),*/\1/')
predicted=$(sed 's/.*loss \([^ ,]*\).*/\1/' "$work/predict.out")
awk -v a="$reported" -v b="$predicted" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-5 * a) }' ||
  fail "predict's loss $predicted differs from the run's final training loss $reported"
[ "$(wc -l < "$work/m/predictions.csv")" -eq 1001 ] || fail "predictions.csv lacks rows"
head -c 100 "$work/m/model.bin" > "$work/truncated.bin"
expect_error "truncated.bin: truncated model file" predict --model-file "$work/truncated.bin" --task sine
expect_error "another architecture" predict --model-file "$work/m/model.bin" --task sine-wide
expect_error "cannot open model file" predict --model-file "$work/none.bin" --task sine

# Lists.
"$curvopt" tasks | grep -q "^mnist-cnn-large" || fail "tasks does not list mnist-cnn-large"
"$curvopt" optimizers lbfgs | grep -q "line_search" || fail "optimizers lbfgs lacks line_search"

# Plots (only where gnuplot is installed; scripts/setup installs it).
if command -v gnuplot > /dev/null; then
  "$curvopt" plot "$work/a" "$work/b" --out "$work/plots" > /dev/null || fail "plot failed"
  for f in loss_vs_epoch.png loss_vs_seconds.svg; do
    [ -s "$work/plots/$f" ] || fail "plot did not write $f"
  done
  # A benchmark suite, cut to its synthetic experiment: run directories, report and figures;
  # a second invocation reuses the finished runs.
  "$curvopt" bench quick --only sine-class --epochs 30 --out "$work/bench" > /dev/null 2>&1 ||
    fail "bench quick --only sine-class failed"
  grep -q "^| L-BFGS (\`lbfgs memory=10\`) | " "$work/bench/report.md" ||
    fail "bench report lacks the L-BFGS row: $(cat "$work/bench/report.md")"
  grep -q "| 30 |" "$work/bench/report.md" || fail "bench report does not show the 30 epochs run"
  [ -s "$work/bench/plots/sine-class-medium_vs_epoch.png" ] || fail "bench did not plot"
  [ -s "$work/bench/sine-class-medium/adam-lr-0-01/seed1/epochs.csv" ] || fail "bench run dir missing"
  "$curvopt" bench quick --only sine-class --epochs 30 --out "$work/bench" > "$work/bench.log" 2>&1
  grep -q "reusing" "$work/bench.log" || fail "bench did not reuse finished runs"
  # The quick sine budget is counted in the task's gradient evaluations, timed on this machine.
  "$curvopt" bench quick --only sine --seeds 1 --threads 1 --out "$work/bench-sine" \
    > "$work/bench-sine.log" 2>&1 || fail "bench quick --only sine failed: $(cat "$work/bench-sine.log")"
  grep -q "a wall-clock budget per run of 1.3e+04 gradient evaluations of the task (.* ms each on this machine: .* s)" \
    "$work/bench-sine/report.md" || fail "bench report lacks the calibrated budget: $(head -c 2000 "$work/bench-sine/report.md")"
  grep -q "one gradient evaluation takes" "$work/bench-sine.log" || fail "bench did not log its calibration"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
