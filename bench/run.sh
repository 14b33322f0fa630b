#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The one command of bench/ (bench/README.md): builds aves-bench if needed, runs it, runs the
# other benchmarks of bench/ that are present after it, and writes the table
# (results/latest.txt), the CSV (results/latest.csv) and the plot of cycles per packet by
# path, stage and size (results/latest.png).
#
#   bench/run.sh            the whole set (about a minute here, plus the other benchmarks)
#   bench/run.sh --quick    seconds; CI's smoke test (numbers reported, never asserted)
#   bench/run.sh [--quick] -- EAL options   aves-bench's EAL options, e.g. real NICs;
#                           default: --no-huge -m 4096 --no-pci -l 0
#
# The other benchmarks (the `others` list below) are each called as `CMD [--quick] --csv FILE`
# (dnsperf.sh only in full runs):
# they append their rows to the CSV (same columns), print their table, and print TAP lines,
# which this script renumbers so that latest.txt carries one TAP plan for the whole run.
# A benchmark listed but absent is skipped; one that fails makes this script's status 1 (its
# own TAP lines say what failed; test/run.sh counts a failure without one).
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
[[ "${1:-}" == -- ]] && shift

# A fresh machine: the build packages, gnuplot for the plot, dnsperf for dnsperf.sh (quick
# when everything is there already: it only asks dpkg).
if [[ $EUID -eq 0 ]]; then
	install_log=$(mktemp)
	"$top/.ci/install-deps.sh" --system >"$install_log" 2>&1 ||
		{ tail -20 "$install_log" >&2; echo "bench/run.sh: installing packages failed" >&2; exit 1; }
	rm -f "$install_log"
fi
if [[ ! -f "$build/build.ninja" ]]; then
	meson setup "$build" "$top" >"$build.setup.log" 2>&1 ||
		{ cat "$build.setup.log" >&2; exit 1; }
fi
ninja -C "$build" bench/aves-bench >"$build.bench-build.log" 2>&1 ||
	{ tail -40 "$build.bench-build.log" >&2; exit 1; }
mkdir -p "$out"
txt=$out/latest.txt csv=$out/latest.csv
rm -f "$csv"

# Renumber TAP lines after the ones already written, drop the plans (the count of lines so
# far is kept in a file: the function runs in a pipeline's subshell).
tap_count=$out/.tap-count
echo 0 >"$tap_count"
tap_merge() {
	awk -v base="$(cat "$tap_count")" -v count="$tap_count" '
		/^1\.\.[0-9]+$/ { next }
		/^(not )?ok [0-9]+/ {
			n++
			sub(/ok [0-9]+/, "ok " base + n)
		}
		{ print; fflush() }
		END { print base + n > count }'
}

status=0
"$build/bench/aves-bench" "${mode[@]}" --csv "$csv" "$@" | tap_merge | tee "$txt" ||
	status=1

# Other benchmarks: "ninja target or -", "always" or "full" (skipped by --quick), the command.
# dnsperf.sh is full-only: it runs real traffic through namespaces for half a minute.
others=(
	"bench/aves-dns-bench always $build/bench/aves-dns-bench"
	"- full $top/bench/dnsperf.sh"
)
for entry in "${others[@]}"; do
	read -r target when cmd <<<"$entry"
	name=$(basename "$cmd")
	if [[ $when == full && ${#mode[@]} -gt 0 ]]; then
		echo "# $name: full runs only (bench/run.sh without --quick)" | tee -a "$txt"
		continue
	fi
	if [[ "$target" != - ]] && ninja -C "$build" -t query "$target" >/dev/null 2>&1; then
		if ! ninja -C "$build" "$target" >"$build.$name-build.log" 2>&1; then
			echo "not ok 1 - $name: build failed ($build.$name-build.log)" | tap_merge |
				tee -a "$txt"
			status=1
			continue
		fi
	fi
	if [[ ! -x "$cmd" ]]; then
		echo "# $name: not present, skipped" | tee -a "$txt"
		continue
	fi
	echo | tee -a "$txt"
	BUILD_DIR="$build" "$cmd" "${mode[@]}" --csv "$csv" </dev/null 2>&1 | tap_merge |
		tee -a "$txt" || status=1
done
echo "1..$(cat "$tap_count")" | tee -a "$txt"
rm -f "$tap_count"

# Stacked bars: each path's stages at each size (the main tables' rows of the CSV: the only
# rows with an "rx" metric), one group per path, tag-off runs as groups of their own.
if command -v gnuplot >/dev/null; then
	dat=$out/stages.dat
	awk -F, '
		$5 == "rx" { if (!($1 in seen)) { seen[$1] = 1; paths[++np] = $1 }
			     if (!(($1, $2) in has)) { has[$1, $2] = 1; sizes[$1, ++ns[$1]] = $2 } }
		$5 ~ /^(rx|parse|lookup|rewrite|encap|tag|tx|other)$/ { v[$1, $2, $5] = $6 }
		END {
			for (p = 1; p <= np; p++) {
				P = paths[p]
				print "size rx parse lookup rewrite encap tag tx other"
				for (s = 1; s <= ns[P]; s++) {
					S = sizes[P, s]
					printf "%s", S
					split("rx parse lookup rewrite encap tag tx other", st, " ")
					for (k = 1; k <= 8; k++) printf " %s", v[P, S, st[k]] + 0
					printf "\n"
				}
				printf "\n\n"
			}
			for (p = 1; p <= np; p++) print paths[p] > "/dev/stderr"
		}' "$csv" >"$dat" 2>"$out/paths.txt"
	plot="plot"
	b=0
	while read -r path; do
		[[ $b -gt 0 ]] && plot+=","
		plot+=" newhistogram \"$path\" lt 1, '$dat' index $b using 2:xtic(1)"
		if [[ $b -eq 0 ]]; then plot+=" title columnheader(2)"; else plot+=" notitle"; fi
		for i in 3 4 5 6 7 8 9; do
			plot+=", '' index $b using $i"
			if [[ $b -eq 0 ]]; then plot+=" title columnheader($i)"; else plot+=" notitle"; fi
		done
		b=$((b + 1))
	done <"$out/paths.txt"
	rm -f "$out/paths.txt"
	gnuplot <<GP
set terminal pngcairo size 1600,640 noenhanced
set output "$out/latest.png"
set title "aves-bench: TSC cycles per packet by stage, burst 32, largest tables (one group per path)"
set style data histograms
set style histogram rowstacked title offset 0,-1.5
set style fill solid 0.85 border -1
set boxwidth 0.7
set key outside right
set ylabel "TSC cycles per packet"
set yrange [0:*]
set xtics rotate by -45 font ",9"
set bmargin 7
$plot
GP
	echo "bench/run.sh: wrote $txt, $csv, $out/latest.png"
else
	echo "bench/run.sh: gnuplot not installed (.ci/install-deps.sh --system): no plot" >&2
	echo "bench/run.sh: wrote $txt, $csv"
fi
exit "$status"
