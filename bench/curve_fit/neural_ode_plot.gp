# Cost against seconds of every run of curvopt_neural_ode_bench, from its trajectories.csv.
# Usage: gnuplot -e "csv='DIR/trajectories.csv'; out='neural-ode_vs_seconds.png'" neural_ode_plot.gp
set datafile separator ","
set terminal pngcairo size 960,640 font ",11"
set output out
set logscale y
set xlabel "seconds (one thread)"
set ylabel "cost ½‖r‖²"
set key below maxrows 5
set grid
set xrange [0:*]
set autoscale xfixmax
colours = "#9400d3 #009e73 #56b4e9 #e69f00 #f0e442 #0072b2 #d55e00 #000000 #cc79a7 #808000"
do for [i=1:10] { set linetype i lc rgb word(colours, i) }
set yrange [1e-4:*]
floor = 0.0124  # ½·62·0.02²: the cost of the noise itself
# The run names, spaces as '~' so that gnuplot's words() keeps each whole; LM solid, Adam dashed.
runs(filter) = system("tail -n +2 " . csv . " | cut -d, -f1 | uniq | grep " . filter . \
                      " | tr ' ' '~' | tr '\n' ' '")
lm = runs("-v adam")
adam = runs("adam")
name(m) = system("echo '" . m . "' | tr '~' ' '")
plot for [i=1:words(lm)] csv using 2:(strcol(1) eq name(word(lm, i)) ? $3 : 1/0) \
       with lines lw 2 lc i title name(word(lm, i)), \
     for [i=1:words(adam)] csv using 2:(strcol(1) eq name(word(adam, i)) ? $3 : 1/0) \
       with lines lw 2 dt 2 lc (words(lm) + i) title name(word(adam, i)), \
     floor with lines lw 1 dt 3 lc rgb "#606060" title "noise floor (½·62·0.02²)"
