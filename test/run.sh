#!/usr/bin/env bash
# The AVES test command: installs what is missing, builds from scratch if needed, runs every
# suite, and ends with one line "N passed, N failed" counting individual test cases.
#
#   sudo test/run.sh            everything
#   sudo test/run.sh unit       only the CMocka unit suites
#   sudo test/run.sh dns        only the aves-dns system suite (dig, kdig, unbound)
#
# Environment: BUILD_DIR (default build), AVES_WERROR=1 to build with -Werror (CI does).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
what=${1:-all}

die() { echo "test/run.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

"$top/.ci/install-deps.sh" --system || die "installing dependencies failed"

werror=false
[[ "${AVES_WERROR:-0}" == 1 ]] && werror=true
if [[ ! -f "$build/build.ninja" ]]; then
	meson setup "$build" "$top" -Dwerror=$werror >"$build.setup.log" 2>&1 ||
		{ cat "$build.setup.log" >&2; die "meson setup failed (log above)"; }
fi
ninja -C "$build" >"$build.ninja.log" 2>&1 ||
	{ tail -60 "$build.ninja.log" >&2; die "build failed (last lines above)"; }

passed=0
failed=0

# Count TAP results ("ok N ...", "not ok N ...") in one suite's output.
count_tap() {
	local log=$1 p f
	p=$(grep -cE '^ok [0-9]+' "$log" || true)
	f=$(grep -cE '^not ok [0-9]+' "$log" || true)
	passed=$((passed + p))
	failed=$((failed + f))
}

run_unit() {
	echo "== unit suites (CMocka) =="
	local log="$build/meson-logs/unit.txt"
	# meson runs the suites in parallel and enforces their timeouts.
	meson test -C "$build" --print-errorlogs --num-processes 2 >"$log" 2>&1
	local rc=$?
	grep -E '^ *[0-9]+/[0-9]+ ' "$log"
	[[ -f "$build/meson-logs/testlog.txt" ]] || die "meson wrote no test log"
	count_tap "$build/meson-logs/testlog.txt"
	# A suite that died without TAP output (crash, timeout) shows only in meson's summary.
	local crashed
	crashed=$(grep -cE '^ *[0-9]+/[0-9]+ .*(TIMEOUT|ERROR|SIGSEGV|SIGABRT|killed)' "$log" || true)
	failed=$((failed + crashed))
	[[ $rc -ne 0 && $failed -eq 0 ]] && failed=1
}

# run_system NAME SCRIPT: a system suite printing TAP lines; its output is kept in the log.
run_system() {
	local name=$1 script=$2 log="$build/meson-logs/$1.txt" rc before=$failed
	echo "== system suite: $name =="
	BUILD_DIR="$build" "$script" >"$log" 2>&1 </dev/null
	rc=$?
	grep -E '^(not )?ok [0-9]+' "$log" | grep -E '^not ok' || true
	grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1
	count_tap "$log"
	if [[ $rc -ne 0 && $failed -eq $before ]]; then
		# The suite failed before or between its cases: show why and count it.
		tail -20 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

case "$what" in
all)
	run_unit
	run_system dns "$top/test/dns/run.sh"
	;;
unit) run_unit ;;
dns) run_system dns "$top/test/dns/run.sh" ;;
*) die "unknown suite '$what' (all, unit, dns)" ;;
esac

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
