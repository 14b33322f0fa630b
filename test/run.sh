#!/usr/bin/env bash
# The AVES test command: installs what is missing, builds from scratch if needed, runs every
# suite, and ends with one line "N passed, N failed" counting individual test cases.
#
#   sudo test/run.sh            everything
#   sudo test/run.sh unit       only the CMocka unit suites
#   sudo test/run.sh sanitize   the unit suites built with ASan + UBSan
#   sudo test/run.sh fuzz       each libFuzzer harness for FUZZ_SECONDS (30)
#   sudo test/run.sh dns        only the aves-dns system suite (dig, kdig, unbound)
#   sudo test/run.sh e2e        only the end-to-end suite: the whole system in development
#                               mode with real programs (test/e2e/run.sh, docs/DEVMODE.md)
#   sudo test/run.sh bench      bench/run.sh --quick: one TAP line per path measured, ok when
#                               it produced numbers (none asserted: the machine is noisy)
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

# The unit suites again, built with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/, next to the main build): every library and app module under the checkers.
# Debian's DPDK is not ASan-instrumented, so rte_malloc memory stays invisible to it
# (PLATFORM-NOTES.md); plain malloc memory, stacks and UB are covered.
run_sanitize() {
	local sbuild="${build}-asan" log
	echo "== unit suites under ASan + UBSan =="
	if [[ ! -f "$sbuild/build.ninja" ]]; then
		meson setup "$sbuild" "$top" -Dwerror=$werror -Db_sanitize=address,undefined \
			-Db_lundef=false >"$sbuild.setup.log" 2>&1 ||
			{ cat "$sbuild.setup.log" >&2; die "meson setup (sanitizers) failed"; }
	fi
	ninja -C "$sbuild" >"$sbuild.ninja.log" 2>&1 ||
		{ tail -60 "$sbuild.ninja.log" >&2; die "sanitizer build failed (last lines above)"; }
	log="$sbuild/meson-logs/unit.txt"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$sbuild" --print-errorlogs --num-processes 2 >"$log" 2>&1
	local rc=$? before=$failed
	grep -E '^ *[0-9]+/[0-9]+ ' "$log" | grep -vE ' OK ' || true
	count_tap "$sbuild/meson-logs/testlog.txt"
	local crashed
	crashed=$(grep -cE '^ *[0-9]+/[0-9]+ .*(TIMEOUT|ERROR|SIGSEGV|SIGABRT|killed)' "$log" || true)
	failed=$((failed + crashed))
	[[ $rc -ne 0 && $failed -eq $before ]] && failed=$((failed + 1))
	grep -E '^(Ok|Fail):' "$log" | tr '\n' ' '
	echo
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

# The benchmark's quick mode as a smoke test; its table, CSV and plot go to $build/bench.
run_bench() {
	local log="$build/meson-logs/bench.txt" rc before=$failed
	echo "== bench (quick) =="
	OUT_DIR="$build/bench" BUILD_DIR="$build" "$top/bench/run.sh" --quick >"$log" 2>&1 </dev/null
	rc=$?
	grep -E '^(not )?ok [0-9]+' "$log"
	count_tap "$log"
	if [[ $rc -ne 0 && $failed -eq $before ]]; then
		tail -20 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

case "$what" in
all)
	run_unit
	run_sanitize
	run_system fuzz "$top/test/fuzz/run.sh"
	run_system dns "$top/test/dns/run.sh"
	run_system e2e "$top/test/e2e/run.sh"
	run_bench
	;;
unit) run_unit ;;
sanitize) run_sanitize ;;
fuzz) run_system fuzz "$top/test/fuzz/run.sh" ;;
dns) run_system dns "$top/test/dns/run.sh" ;;
e2e) run_system e2e "$top/test/e2e/run.sh" ;;
bench) run_bench ;;
*) die "unknown suite '$what' (all, unit, sanitize, fuzz, dns, e2e, bench)" ;;
esac

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
