#!/usr/bin/env bash
# Your own data from the command line, end to end: train on a CSV regression, a gzipped CSV of
# text class labels and a 0/1 target; evaluate and predict from model.bin alone (the same loss
# bit for bit as the run's summary); compare optimizers; describe a model; and every kind of bad
# input answered by one line naming the file, line, column or word.
# Usage: own_data_test.sh <path to curvopt>
set -uo pipefail
curvopt="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
export OMP_NUM_THREADS=1

# y = sin(2 x1) + 0.5 x2 + noise, with an unused text column; x2 on a scale of hundreds (so the
# fit needs the standardization stored in model.bin).
awk 'BEGIN { srand(7); print "id,x1,x2,note,y"; for (i = 0; i < 400; i++) {
  x1 = 3 * rand() - 1.5; x2 = 200 * rand() + 100;
  printf "%d,%.6f,%.4f,n%d,%.6f\n", i, x1, x2, i, sin(2 * x1) + 0.005 * (x2 - 200) + 0.02 * (rand() - 0.5) } }' \
  > "$work/all.csv"
head -n 301 "$work/all.csv" > "$work/train.csv"
{ head -n 1 "$work/all.csv"; tail -n 100 "$work/all.csv"; } > "$work/test.csv"

# json_value <file> <key path...>: a number from a JSON file, as written.
json_value() { tr -d ' \n' < "$1" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2; }
below() { awk -v v="$1" -v t="$2" 'BEGIN { exit !(v != "" && v + 0 < t + 0) }'; }

# 1. Regression: LM by default (a small network), test RMSE near the noise.
if "$curvopt" train --model "dense 16 tanh dense 1" --data "$work/train.csv" --target y \
    --features x1,x2 --test "$work/test.csv" --epochs 60 --out "$work/reg" \
    > "$work/out" 2> "$work/err"; then
  grep -q "with lm" "$work/err" || fail "the default optimizer of a small network is not lm: $(cat "$work/err")"
  rmse=$(tr -d ' \n' < "$work/reg/summary.json" | grep -o '"test":{[^}]*}' | grep -o '"rmse":[^,}]*' | cut -d: -f2)
  # The target's deviation is about 0.75; a fitted network is far below it.
  below "$rmse" 0.08 || fail "test RMSE $rmse, expected < 0.08"
  test_loss=$(tr -d ' \n' < "$work/reg/summary.json" | grep -o '"test":{[^}]*}' | grep -o '"loss":[^,}]*' | cut -d: -f2)
  # evaluate from model.bin alone: the same loss, bit for bit (the same shortest decimal).
  "$curvopt" evaluate --model-file "$work/reg/model.bin" --data "$work/test.csv" --json \
    > "$work/eval" 2>&1 || fail "evaluate failed: $(cat "$work/eval")"
  eval_loss=$(json_value "$work/eval" loss)
  [ "$eval_loss" = "$test_loss" ] || fail "evaluate gives loss $eval_loss, the run's summary $test_loss"
  "$curvopt" evaluate --model-file "$work/reg/model.bin" --data "$work/test.csv" > "$work/eval" 2>&1
  grep -q "rmse" "$work/eval" || fail "evaluate does not print the RMSE: $(cat "$work/eval")"
  # predict needs only the feature columns, in any order.
  cut -d, -f3,2 "$work/test.csv" | awk -F, '{ print $2 "," $1 }' > "$work/x_only.csv"
  "$curvopt" predict --model-file "$work/reg/model.bin" --data "$work/x_only.csv" \
    --out "$work/pred.csv" 2> "$work/err" || fail "predict failed: $(cat "$work/err")"
  [ "$(head -n 1 "$work/pred.csv")" = "y" ] || fail "predictions header: $(head -n 1 "$work/pred.csv")"
  [ "$(wc -l < "$work/pred.csv")" -eq 101 ] || fail "predictions: $(wc -l < "$work/pred.csv") lines"
  # The predictions' RMSE against the test targets is the run's.
  pred_rmse=$(paste -d, <(tail -n 100 "$work/test.csv" | cut -d, -f5) <(tail -n 100 "$work/pred.csv") |
    awk -F, '{ s += ($1 - $2) ^ 2 } END { printf "%.6f", sqrt(s / NR) }')
  awk -v a="$pred_rmse" -v b="$rmse" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5) }' ||
    fail "predictions' RMSE $pred_rmse, the run's $rmse"
  grep -q '"own_data"' "$work/reg/config.json" || fail "config.json lacks own_data"
  # The run repeats from its config.json (flags override).
  "$curvopt" train --config "$work/reg/config.json" --epochs 2 --out "$work/reg2" \
    > /dev/null 2> "$work/err" || fail "--config of an own-data run failed: $(cat "$work/err")"
else
  fail "regression training failed: $(cat "$work/err")"
fi

# 2. Text class labels in a gzipped CSV: classes, softmax cross-entropy, accuracy, class names.
awk 'BEGIN { srand(3); print "a,b,colour"; split("red green blue", name, " ");
  for (i = 0; i < 300; i++) { k = i % 3; printf "%.5f,%.5f,%s\n", 3 * (k == 1) + 0.6 * (rand() - 0.5),
    3 * (k == 2) + 0.6 * (rand() - 0.5), name[k + 1] } }' | gzip > "$work/colours.csv.gz"
if "$curvopt" train --model "dense 8 relu dense 3" --data "$work/colours.csv.gz" --target colour \
    --test-fraction 0.2 --epochs 30 --out "$work/cls" > /dev/null 2> "$work/err"; then
  acc=$(tr -d ' \n' < "$work/cls/summary.json" | grep -o '"test":{[^}]*}' | grep -o '"accuracy":[^,}]*' | cut -d: -f2)
  awk -v a="$acc" 'BEGIN { exit !(a + 0 >= 0.95) }' || fail "colour test accuracy $acc < 0.95"
  zcat "$work/colours.csv.gz" | head -n 11 > "$work/ten.csv"
  "$curvopt" predict --model-file "$work/cls/model.bin" --data "$work/ten.csv" > "$work/pred" 2>&1
  [ "$(head -n 1 "$work/pred")" = "class,p_blue,p_green,p_red" ] ||
    fail "class prediction header: $(head -n 1 "$work/pred")"
  [ "$(tail -n 10 "$work/pred" | cut -d, -f1 | tr '\n' ' ')" = "red green blue red green blue red green blue red " ] ||
    fail "predicted classes: $(tail -n 10 "$work/pred" | cut -d, -f1 | tr '\n' ' ')"
  # A label the training set did not have is named.
  printf 'a,b,colour\n0,0,purple\n' > "$work/purple.csv"
  "$curvopt" evaluate --model-file "$work/cls/model.bin" --data "$work/purple.csv" > "$work/err" 2>&1
  grep -q 'purple.csv: line 2: .*"purple"' "$work/err" || fail "unknown label: $(cat "$work/err")"
else
  fail "class training failed: $(cat "$work/err")"
fi

# 3. A 0/1 target, no header, columns by number: binary, one sigmoid output.
awk 'BEGIN { srand(5); for (i = 0; i < 200; i++) { x = 4 * rand() - 2; printf "%.5f,%d\n", x, (x > 0.3) } }' \
  > "$work/binary.csv"
if "$curvopt" train --model "dense 4 tanh dense 1" --data "$work/binary.csv" --no-header \
    --target 1 --epochs 30 --evaluate-train --out "$work/bin" > /dev/null 2> "$work/err"; then
  "$curvopt" evaluate --model-file "$work/bin/model.bin" --data "$work/binary.csv" > "$work/eval" 2>&1
  grep -q "sigmoid-cross-entropy" "$work/eval" || fail "the 0/1 target was not binary: $(cat "$work/eval")"
  acc=$(tr -d ' \n' < "$work/bin/summary.json" | grep -o '"train":{[^}]*}' | grep -o '"accuracy":[^,}]*' | cut -d: -f2)
  awk -v a="$acc" 'BEGIN { exit !(a + 0 >= 0.95) }' || fail "binary training accuracy $acc < 0.95"
else
  fail "binary training failed: $(cat "$work/err")"
fi

# 3b. NumPy arrays: uint8 features (N, 2) and uint8 labels (N,), written byte by byte.
# npy_u1 <file> <shape> <byte values...>: a version 1.0 .npy of dtype |u1.
npy_u1() {
  local file="$1" shape="$2" header
  shift 2
  header="{'descr': '|u1', 'fortran_order': False, 'shape': $shape, }"
  while [ $(( (10 + ${#header} + 1) % 64 )) -ne 0 ]; do header="$header "; done
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $(( (${#header} + 1) % 256 )))\\x$(printf %02x $(( (${#header} + 1) / 256 )))"
    printf '%s\n' "$header"
    for v in "$@"; do printf "\\x$(printf %02x "$v")"; done
  } > "$file"
}
features=() labels=()
for i in $(seq 0 39); do
  k=$((i % 2))
  features+=($((50 + 150 * k + (i * 7) % 20)) $((60 + 140 * k + (i * 11) % 25)))
  labels+=($k)
done
npy_u1 "$work/x.npy" "(40, 2)" "${features[@]}"
npy_u1 "$work/y.npy" "(40,)" "${labels[@]}"
if "$curvopt" train --model "dense 4 tanh dense 1" --data "$work/x.npy" --target-file "$work/y.npy" \
    --epochs 20 --out "$work/npy" > /dev/null 2> "$work/err"; then
  "$curvopt" evaluate --model-file "$work/npy/model.bin" --data "$work/x.npy" \
    --target-file "$work/y.npy" > "$work/eval" 2>&1
  grep -q "sigmoid-cross-entropy .*accuracy 100.00 %" "$work/eval" ||
    fail "npy binary evaluation: $(cat "$work/eval")"
  "$curvopt" predict --model-file "$work/npy/model.bin" --data "$work/x.npy" > "$work/pred" 2>&1
  [ "$(tail -n 40 "$work/pred" | cut -d, -f1 | tr -d '\n')" = "$(printf '01%.0s' $(seq 20))" ] ||
    fail "npy predictions: $(head -n 5 "$work/pred")"
else
  fail "npy training failed: $(cat "$work/err")"
fi

# 4. compare: two optimizers, two seeds, a report.
if "$curvopt" compare --model "dense 8 tanh dense 1" --data "$work/train.csv" --target y \
    --features x1,x2 --optimizers "lm;adam lr=0.01" --seeds 2 --epochs 3 --out "$work/cmp" \
    > /dev/null 2> "$work/err"; then
  grep -q "adam lr=0.01" "$work/cmp/report.md" || fail "compare report lacks adam"
  [ -f "$work/cmp/compare/lm/seed2/summary.json" ] || fail "compare lacks lm seed 2: $(ls -R "$work/cmp" | head)"
else
  fail "compare failed: $(cat "$work/err")"
fi

# 5. model describe: the parameter count, and its description line describes the same network.
"$curvopt" model describe "conv 32 5 relu pool 2 conv 64 5 relu pool 2 flatten dense 10" \
  --input 1x28x28 > "$work/describe" 2>&1 || fail "describe failed: $(cat "$work/describe")"
grep -q "parameters: 62346" "$work/describe" || fail "describe: $(cat "$work/describe")"
line=$(grep '^description: ' "$work/describe" | cut -d' ' -f2-)
"$curvopt" model describe "$line" --input 1x28x28 > "$work/describe2" 2>&1
cmp -s "$work/describe" "$work/describe2" || fail "describe → parse changed the network"

# 6. Bad input: one line, naming the file, line, column or word.
bad() {  # bad <expected fragment> <curvopt arguments...>
  local want="$1"
  shift
  "$curvopt" "$@" > "$work/out" 2>&1
  local status=$?
  [ "$status" -ne 0 ] || { fail "accepted: $*"; return; }
  [ "$(wc -l < "$work/out")" -eq 1 ] || fail "not one line for $*: $(cat "$work/out")"
  grep -qF -- "$want" "$work/out" || fail "for $*: expected '$want', got: $(cat "$work/out")"
}
printf 'x,y\n1,2\n3\n' > "$work/ragged.csv"
printf 'x,y\n1,2\nnan,3\n' > "$work/nan.csv"
printf 'x,y\n1,2\n' > "$work/small.csv"
train=(train --epochs 1 --out "$work/bad")
bad "small.csv: line 1: no column named 'z'" "${train[@]}" --model "dense 1" --data "$work/small.csv" --target z
bad "ragged.csv: line 3" "${train[@]}" --model "dense 1" --data "$work/ragged.csv" --target y
bad "nan.csv: line 3" "${train[@]}" --model "dense 1" --data "$work/nan.csv" --target y
bad "word 2 'dens' (column 6): unknown layer" "${train[@]}" --model "relu dens 1" --data "$work/small.csv" --target y
bad "end the description with 'dense 1'" "${train[@]}" --model "dense 3" --data "$work/small.csv" --target y
bad "--kind = ordinal" "${train[@]}" --model "dense 1" --data "$work/small.csv" --target y --kind ordinal
bad "--loss = hinge: must be one of squared-error" "${train[@]}" --model "dense 1" --data "$work/small.csv" --target y --loss hinge
bad "not both" "${train[@]}" --model "dense 1" --task iris --data "$work/small.csv" --target y
bad "name the target column" "${train[@]}" --model "dense 1" --data "$work/small.csv"
bad "missing.csv" "${train[@]}" --model "dense 1" --data "$work/missing.csv" --target y
printf '{"own_data": {"model": "dense 1", "data": "a.csv", "tagret": "y"}}' > "$work/bad_config.json"
bad "bad_config.json: own_data: unknown key 'tagret'" train --config "$work/bad_config.json"
printf '{"own_data": {"model": "dense 1", "data": "a.csv", "targets": "y"}}' > "$work/bad_config2.json"
bad "bad_config2.json: own_data: key 'targets'" train --config "$work/bad_config2.json"
if [ -f "$work/reg/model.bin" ]; then
  printf 'x1\n1\n' > "$work/no_x2.csv"
  bad "no_x2.csv: line 1" predict --model-file "$work/reg/model.bin" --data "$work/no_x2.csv"
  bad "no_x2.csv" evaluate --model-file "$work/reg/model.bin" --data "$work/no_x2.csv"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "own data: all checks passed"
