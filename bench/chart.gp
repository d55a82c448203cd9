# SPDX-License-Identifier: GPL-2.0-only
# bench/chart.gp: bar chart of one bench/run.
#   gnuplot -e "datafile='chart.dat'; outfile='latest.png'; subtitle='...'" bench/chart.gp
# Columns of datafile: label med1 min1 max1 med8 min8 max8 cpu1 cpu8 (NaN = not run).

if (!exists("subtitle")) subtitle = ""
if (!exists("hascpu")) hascpu = 1
set terminal pngcairo size 1400,680 font "DejaVu Sans,10"
set output outfile
set datafile missing "NaN"
set multiplot layout 1,(hascpu ? 2 : 1) title "tunlane bench: TCP through each tunnel (iperf3, median, bars = min–max)\n".subtitle

set style data histogram
set style histogram errorbars gap 1.5 lw 1.2
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by 25 right nomirror
set grid ytics lc rgb "#dddddd"
set key top right
set bmargin 10

set title "Throughput, Gbit/s (log scale)"
set logscale y
set yrange [0.05:*]
set format y "%g"
plot datafile using 2:3:4:xtic(1) title "1 stream" lc rgb "#3b75af", \
     ''       using 5:6:7 title "8 streams" lc rgb "#ef8636"

if (hascpu) {
    set title "Tunnel CPU seconds per GB moved (both ends; lower is better)"
    unset logscale y
    set yrange [0:*]
    set style histogram clustered gap 1.5
    plot datafile using 8:xtic(1) title "1 stream" lc rgb "#3b75af", \
         ''       using 9 title "8 streams" lc rgb "#ef8636"
}
unset multiplot
