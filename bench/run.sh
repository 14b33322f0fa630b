#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The one command of bench/ (bench/README.md): builds aves-bench if needed, runs it, and
# writes the table (results/latest.txt), the CSV (results/latest.csv) and the plot of cycles
# per packet by stage and size (results/latest.png).
#
#   bench/run.sh            the whole set (about ten seconds to a minute here)
#   bench/run.sh --quick    seconds; CI's smoke test (numbers reported, never asserted)
#   bench/run.sh [--quick] -- EAL options   e.g. real NICs; default: --no-huge --no-pci -l 0
#
# Environment: BUILD_DIR (default build), OUT_DIR (default bench/results).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
out=${OUT_DIR:-$top/bench/results}
mode=()
if [[ "${1:-}" == --quick ]]; then
	mode=(--quick)
	shift
fi

if [[ ! -f "$build/build.ninja" ]]; then
	meson setup "$build" "$top" >"$build.setup.log" 2>&1 ||
		{ cat "$build.setup.log" >&2; exit 1; }
fi
ninja -C "$build" bench/aves-bench >"$build.bench-build.log" 2>&1 ||
	{ tail -40 "$build.bench-build.log" >&2; exit 1; }
mkdir -p "$out"

"$build/bench/aves-bench" "${mode[@]}" --csv "$out/latest.csv" "$@" | tee "$out/latest.txt"

# Stacked bars: the waypoint's stages at each size (the main table's rows of the CSV).
if command -v gnuplot >/dev/null; then
	awk -F, '$1 == "wp_inbound" && $3 == 32 && $5 ~ /^(rx|parse|lookup|rewrite|encap|tag|tx|other)$/ {
			if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
			v[$2, $5] = $6
		}
		END {
			print "size rx parse lookup rewrite encap tag tx other"
			for (i = 1; i <= n; i++) {
				s = order[i]
				print s, v[s,"rx"], v[s,"parse"], v[s,"lookup"], v[s,"rewrite"],
				      v[s,"encap"], v[s,"tag"], v[s,"tx"], v[s,"other"]
			}
		}' "$out/latest.csv" | tail -n +1 >"$out/stages.dat"
	# The table-size sweep writes frame64 rows first; keep each size's last (main-table) row.
	awk 'NR == 1 { print; next } { last[$1] = $0; if (!($1 in o)) { o[$1] = ++n; k[n] = $1 } }
		END { for (i = 1; i <= n; i++) print last[k[i]] }' "$out/stages.dat" >"$out/stages.tmp"
	mv "$out/stages.tmp" "$out/stages.dat"
	gnuplot <<GP
set terminal pngcairo size 900,540 noenhanced
set output "$out/latest.png"
set title "aves-waypoint inbound: TSC cycles per packet by stage (burst 32)"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set key outside right
set ylabel "TSC cycles per packet"
set yrange [0:*]
plot for [i=2:9] "$out/stages.dat" using i:xtic(1) title columnheader(i)
GP
	echo "bench/run.sh: wrote $out/latest.txt, $out/latest.csv, $out/latest.png"
else
	echo "bench/run.sh: gnuplot not installed (.ci/install-deps.sh --system): no plot" >&2
	echo "bench/run.sh: wrote $out/latest.txt, $out/latest.csv"
fi
