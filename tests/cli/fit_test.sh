#!/usr/bin/env bash
# `curvopt fit` end to end: an expression model on a CSV (the fitted values and intervals, the
# run directory), weights, bounds and a robust loss, an ODE system, and every kind of bad input
# answered by one line naming the file, line, column or word.
# Usage: fit_test.sh <path to curvopt>
set -uo pipefail
curvopt="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# y = 5·exp(−0.7·t) + 1 with small deterministic noise, and a σ column.
awk 'BEGIN { print "t,y,s,label"; for (i = 0; i < 40; i++) { t = 0.25 * i;
  printf "%.2f,%.10f,0.02,p%d\n", t, 5 * exp(-0.7 * t) + 1 + 0.02 * sin(12.9898 * i + 78.233), i } }' \
  > "$work/decay.csv"

# value_of <name>: the fitted value of a parameter from the table on stdout.
value_of() { awk -v p="$1" '$1 == p { print $2 }' "$work/out"; }
near() {  # near <value> <target> <tolerance>
  awk -v v="$1" -v t="$2" -v e="$3" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(v != "" && d <= e) }'
}

# A good fit: parameters near the truth, an interval table, a run directory.
if "$curvopt" fit --data "$work/decay.csv" --model "a*exp(-b*t)+c" --start a=1,b=0.1,c=0 \
    --out "$work/run" > "$work/out" 2> "$work/err"; then
  near "$(value_of a)" 5 0.05 || fail "a = $(value_of a), expected 5 ± 0.05"
  near "$(value_of b)" 0.7 0.01 || fail "b = $(value_of b), expected 0.7 ± 0.01"
  near "$(value_of c)" 1 0.02 || fail "c = $(value_of c), expected 1 ± 0.02"
  grep -q "CONVERGENCE" "$work/out" || fail "no CONVERGENCE in: $(cat "$work/out")"
  grep -q "95% confidence interval" "$work/out" || fail "no interval column"
  for f in report.txt summary.json fit.csv; do
    [ -s "$work/run/$f" ] || fail "run directory lacks $f"
  done
  [ "$(wc -l < "$work/run/fit.csv")" -eq 41 ] || fail "fit.csv should have 40 rows and a header"
  grep -q '"standard_error"' "$work/run/summary.json" || fail "summary.json lacks standard errors"
else
  fail "the decay fit failed: $(cat "$work/err")"
fi

# Weighted by σ, bounded (b ≤ 0.5 is active), robust.
"$curvopt" fit --data "$work/decay.csv" --model "a*exp(-b*t)+c" --sigma s --start a=1,b=0.1,c=0 \
  > "$work/out" 2> "$work/err" || fail "weighted fit failed: $(cat "$work/err")"
near "$(value_of b)" 0.7 0.01 || fail "weighted b = $(value_of b)"
"$curvopt" fit --data "$work/decay.csv" --model "a*exp(-b*t)+c" --start a=1,b=0.1,c=0 \
  --bounds b=0:0.5 > "$work/out" 2> "$work/err" || fail "bounded fit failed: $(cat "$work/err")"
near "$(value_of b)" 0.5 1e-12 || fail "bounded b = $(value_of b), expected the bound 0.5"
"$curvopt" fit --data "$work/decay.csv" --model "a*exp(-b*t)+c" --start a=1,b=0.1,c=0 \
  --loss cauchy:0.1 --method dogleg > "$work/out" 2> "$work/err" ||
  fail "robust dogleg fit failed: $(cat "$work/err")"
near "$(value_of a)" 5 0.05 || fail "robust a = $(value_of a)"

# An ODE system: Lotka-Volterra from a = 1, b = 0.1, c = 1.5, d = 0.075, x(0) = 10, y(0) = 5
# (integrated here by RK4 with a step of 1e-3, far finer than the fit's tolerances need).
awk 'BEGIN { a = 1; b = 0.1; c = 1.5; d = 0.075; x = 10; y = 5; h = 0.001; print "t,x,y";
  for (k = 0; k <= 15000; k++) {
    if (k % 500 == 0) printf "%.3f,%.12f,%.12f\n", k * h, x, y;
    k1x = a*x - b*x*y; k1y = -c*y + d*x*y;
    x2 = x + h/2*k1x; y2 = y + h/2*k1y; k2x = a*x2 - b*x2*y2; k2y = -c*y2 + d*x2*y2;
    x3 = x + h/2*k2x; y3 = y + h/2*k2y; k3x = a*x3 - b*x3*y3; k3y = -c*y3 + d*x3*y3;
    x4 = x + h*k3x; y4 = y + h*k3y; k4x = a*x4 - b*x4*y4; k4y = -c*y4 + d*x4*y4;
    x += h/6*(k1x + 2*k2x + 2*k3x + k4x); y += h/6*(k1y + 2*k2y + 2*k3y + k4y) } }' \
  > "$work/lv.csv"
if "$curvopt" fit --data "$work/lv.csv" --ode "dx = a*x - b*x*y; dy = -c*y + d*x*y" \
    --start a=0.8,b=0.12,c=1.2,d=0.09 --out "$work/ode" > "$work/out" 2> "$work/err"; then
  near "$(value_of a)" 1 1e-4 || fail "ode a = $(value_of a), expected 1"
  near "$(value_of d)" 0.075 1e-5 || fail "ode d = $(value_of d), expected 0.075"
  near "$(value_of 'x(t0)')" 10 1e-3 || fail "ode x(t0) = $(value_of 'x(t0)'), expected 10"
  [ "$(wc -l < "$work/ode/fit.csv")" -eq 63 ] || fail "ode fit.csv: 2 series x 31 times + header"
else
  fail "the Lotka-Volterra fit failed: $(cat "$work/err")"
fi

# refused <exit status> "<regex>" args...: that status and exactly one line on stderr.
refused() {
  local want_rc="$1" want="$2"; shift 2
  "$curvopt" "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  [ "$rc" -eq "$want_rc" ] || fail "curvopt $*: exit $rc, expected $want_rc ($(cat "$work/err"))"
  [ "$(wc -l < "$work/err")" -eq 1 ] || fail "curvopt $*: expected one line, got: $(cat "$work/err")"
  grep -q -e "$want" "$work/err" || fail "curvopt $*: '$want' not in: $(cat "$work/err")"
}
printf 't,y\n0,1\n1,nan\n' > "$work/nan.csv"
printf 't,y\n0,1\n1,2,3\n' > "$work/ragged.csv"
printf 't,y\n0,1\n1,abc\n' > "$work/text.csv"
printf 't,y\n' > "$work/header_only.csv"
: > "$work/empty.csv"
decay=(fit --data "$work/decay.csv")
refused 1 "no column 'w' for --target" "${decay[@]}" --model "a*t" --target w
refused 1 "column 3: unknown function 'expp'" "${decay[@]}" --model "a*expp(-b*t)"
refused 1 "column 11: expected ')'" "${decay[@]}" --model "a*exp(-b*t"
refused 1 "--start: unknown parameter 'q' (parameters: a, b)" "${decay[@]}" --model "a*exp(-b*t)" \
  --start q=1
refused 1 "--start a: 'x': expected a number" "${decay[@]}" --model "a*t" --start a=x
refused 1 "--bounds: 'b=1': expected name=lower:upper" "${decay[@]}" --model "a*exp(-b*t)" --bounds b=1
refused 1 "has no parameters" "${decay[@]}" --model "2*t"
refused 1 "uses the target column 'y'" "${decay[@]}" --model "a*y"
refused 2 "give exactly one of --model EXPRESSION and --ode SYSTEM" "${decay[@]}"
refused 2 "--method 'newton': must be one of" "${decay[@]}" --model "a*t" --method newton
refused 2 "robust loss 'hubr'" "${decay[@]}" --model "a*t" --loss hubr:1
refused 1 "--loss cauchy: scale 'abc': expected a number" "${decay[@]}" --model "a*t" --loss cauchy:abc
refused 1 "nan.csv: line 3" fit --data "$work/nan.csv" --model "a*t"
refused 1 "ragged.csv: line 3: 3 cells, the header has 2" fit --data "$work/ragged.csv" --model "a*t"
refused 1 "text.csv: line 3" fit --data "$work/text.csv" --model "a*t"
refused 1 "header_only.csv: a header but no data rows" fit --data "$work/header_only.csv" --model "a*t"
refused 1 "empty.csv: the file is empty" fit --data "$work/empty.csv" --model "a*t"
refused 1 "missing.csv" fit --data "$work/missing.csv" --model "a*t"
refused 1 "state 'z' is not a column of .*lv.csv: give its initial value with --initial z=" \
  fit --data "$work/lv.csv" --ode "dx = a*x; dz = -b*z"
refused 1 "ode statement 2 .* column" fit --data "$work/lv.csv" --ode "dx = a*x; dy = -c*y +"
refused 1 "--initial: 'q' is not a state" fit --data "$work/lv.csv" --ode "dx = a*x" --initial q=1

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "fit: all cases passed"
