#!/usr/bin/env bash
# The bad-input corpus: every input a user (or a hostile one) can get wrong, with the exit status
# and the one line `curvopt` must answer. Nothing here may crash, run silently with another value,
# or leave a run directory behind.
# Usage: bad_input_test.sh <path to curvopt>
set -uo pipefail
curvopt="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
cases=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# refused <exit status> "<regex of the message>" args...: that exit status, exactly one line on
# stderr, naming the problem, and no run directory created under $work/run.
refused() {
  local want_rc="$1" want="$2"; shift 2
  cases=$((cases + 1))
  rm -rf "$work/run"
  "$curvopt" "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  [ "$rc" -eq "$want_rc" ] || fail "curvopt $*: exit $rc, expected $want_rc ($(cat "$work/err"))"
  [ "$(wc -l < "$work/err")" -eq 1 ] || fail "curvopt $*: expected one line, got: $(cat "$work/err")"
  grep -q -e "^curvopt: error: .*$want" "$work/err" ||
    fail "curvopt $*: '$want' not in: $(cat "$work/err")"
  [ ! -e "$work/run" ] || fail "curvopt $*: created the run directory"
}

train=(train --task sine --out "$work/run")

# Flags: syntax and range, checked before anything runs.
refused 2 "--epochs = -1: must be >= 0" "${train[@]}" --epochs -1
refused 2 "--epochs: out of range \[-9223372036854775808, 9223372036854775807\], got '99999999999999999999'" \
  "${train[@]}" --epochs 99999999999999999999
refused 2 "--epochs: expected an integer, got '2.7'" "${train[@]}" --epochs 2.7
refused 2 "--batch-size = 0: must be >= 1" "${train[@]}" --batch-size 0
refused 2 "--batch-size = -4: must be >= 1" "${train[@]}" --batch-size -4
refused 2 "--seed: expected a non-negative integer, got '-1'" "${train[@]}" --seed -1
refused 2 "--seed: out of range \[0, 18446744073709551615\], got '18446744073709551616'" \
  "${train[@]}" --seed 18446744073709551616
refused 2 "--threads = -2: must be >= 0" "${train[@]}" --threads -2
refused 2 "--curvature-batch = -1: must be >= 0" "${train[@]}" --curvature-batch -1
refused 2 "--validation-fraction: expected a number, not NaN" "${train[@]}" --validation-fraction nan
refused 2 "--validation-fraction = 0.95: must be in \[0, 0.9\]" "${train[@]}" --validation-fraction 0.95
refused 2 "--time-budget: must be finite, got 'inf'" "${train[@]}" --time-budget inf
refused 2 "--time-budget = -1: must be a finite number of seconds >= 0" "${train[@]}" --time-budget -1
refused 2 "--max-steps = -3: must be >= 0" "${train[@]}" --max-steps -3
refused 2 "--checkpoint-every = -1: must be >= 0" "${train[@]}" --checkpoint-every -1
refused 2 "--early-stopping = -1: must be >= 0" "${train[@]}" --early-stopping -1
refused 2 "--optimizer is empty" "${train[@]}" --optimizer ""
refused 2 "lm: lr = '1e400': out of range for a double" "${train[@]}" --optimizer lm lr=1e400
refused 2 "adam: lr = 'nan': expected a number, not NaN" "${train[@]}" --optimizer adam lr=nan

# Config files: the same rules, naming the file and the key.
config() { printf '%s\n' "$1" > "$work/config.json"; }
for bad in '"epochs": -5|key .epochs.* = -5: must be >= 0' \
  '"epochs": 2.7|key .epochs.* = 2.7: expected an integer' \
  '"epochs": 1e30|key .epochs.* = 1e.30: expected an integer' \
  '"epochs": 99999999999999999999|key .epochs.* = .*: expected an integer' \
  '"epochs": 18446744073709551615|key .epochs.* = 18446744073709551615: out of range' \
  '"batch_size": -3|key .batch_size.* = -3: must be >= 1' \
  '"batch_size": 0|key .batch_size.* = 0: must be >= 1' \
  '"seed": -1|key .seed.* = -1: out of range \[0, 18446744073709551615\]' \
  '"threads": -1|key .threads.* = -1: must be >= 0' \
  '"threads": 4294967296|key .threads.* = 4294967296: out of range' \
  '"validation_fraction": 2|key .validation_fraction.* = 2: must be in \[0, 0.9\]' \
  '"validation_fraction": null|key .validation_fraction.* = null: expected a number' \
  '"time_budget_seconds": -1|key .time_budget_seconds.* = -1: must be a finite number' \
  '"max_steps": -1|key .max_steps.* = -1: must be >= 0' \
  '"checkpoint_every": "10"|key .checkpoint_every.* = "10": expected an integer' \
  '"early_stopping_patience": -2|key .early_stopping_patience.* = -2: must be >= 0' \
  '"evaluate_train": 1|key .evaluate_train.* = 1: expected true or false' \
  '"task": 3|key .task.* = 3: expected a string' \
  '"colour": "red"|unknown key .colour.'; do
  config "{\"task\": \"sine\", ${bad%%|*}}"
  refused 2 "config.json: ${bad#*|}" train --config "$work/config.json" --out "$work/run"
done
refused 2 "is a directory; --config takes a run's config.json" train --config "$work"
refused 2 "cannot read config .*missing.json" train --config "$work/missing.json"
config '{"task": "sine", "epochs": '
refused 2 "config.json: not valid JSON" train --config "$work/config.json" --out "$work/run"
config '{"task": "sine", "epochs": 2e862}'  # found by fuzz_config: nlohmann's out_of_range
refused 2 "config.json: not valid JSON" train --config "$work/config.json" --out "$work/run"
config '[1, 2]'
refused 2 "config.json: a run config must be a JSON object" train --config "$work/config.json"

# Data that do not fit the task's network, refused when loaded (not at the first batch holding
# them, with a partial run directory).
mkdir -p "$work/data/iris" "$work/data/mnist"
{
  echo "12,4,a,b,c,d,e"
  for i in 0 1 2 3 4 0 1 2 3 4 0 1; do echo "5.1,3.5,1.4,0.2,$i"; done
} > "$work/data/iris/iris.csv"
refused 1 "iris.csv: the header lists 5 classes, but the iris tasks classify 3 species" \
  train --task iris --data "$work/data" --out "$work/run"
# idx files of two 14x56 images: the pixel count of 28x28, another shape.
idx_images() { printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x0e\x00\x00\x00\x38'; head -c 1568 /dev/zero; }
idx_labels() { printf '\x00\x00\x08\x01\x00\x00\x00\x02\x03\x07'; }
for set in train t10k; do
  idx_images > "$work/data/mnist/$set-images-idx3-ubyte"
  idx_labels > "$work/data/mnist/$set-labels-idx1-ubyte"
done
refused 1 "mnist/train: examples are 1x14x56 but the model takes 1x28x28" \
  train --task mnist-cnn --data "$work/data" --out "$work/run"

# A batch larger than the data set is one batch of everything (the batch count once overflowed
# to zero: "completed" without a single step).
"$curvopt" train --task sine --epochs 2 --batch-size 9223372036854775807 --out "$work/huge" \
  > /dev/null 2> "$work/err" || fail "a huge --batch-size: $(cat "$work/err")"
grep -q '"steps": 2' "$work/huge/summary.json" || fail "a huge --batch-size: not 2 steps"

echo "$cases refused inputs checked"
if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
