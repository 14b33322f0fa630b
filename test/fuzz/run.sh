#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds every libFuzzer harness in test/fuzz/ with clang (ASan + UBSan) and runs each for a
# fixed time from the corpus kept in the build directory, so successive runs go deeper.
# One TAP case per harness: "ok" when the fuzzer ran its time without a finding. A finding
# leaves the crashing input in $build/fuzz/ and prints libFuzzer's report.
#
#   sudo test/fuzz/run.sh          FUZZ_SECONDS (default 30) per harness; BUILD_DIR as test/run.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
seconds=${FUZZ_SECONDS:-30}
out="$build/fuzz"
passed=0
failed=0

"$top/.ci/install-deps.sh" --system >/dev/null || { echo "not ok 1 - install clang"; exit 1; }
mkdir -p "$out"

# harness NAME SOURCES...: build test/fuzz/NAME.c with the library sources it exercises.
harness() {
	local name=$1 n=$((passed + failed + 1)) log="$out/$1.log"
	shift
	if ! clang -g -O1 -std=c11 -D_GNU_SOURCE $(pkg-config --cflags libdpdk) \
		-Ilib/aves_flow -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		"test/fuzz/$name.c" "$@" -o "$out/$name" >"$log" 2>&1; then
		failed=$((failed + 1))
		echo "not ok $n - $name: build failed"
		sed 's/^/#   /' "$log" | tail -20
		return
	fi
	mkdir -p "$out/$name-corpus"
	if (cd "$out" && "./$name" -max_len=1600 -max_total_time="$seconds" -print_final_stats=1 \
		"$name-corpus") >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "ok $n - $name: $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" |
			grep -oE '[0-9]+$') inputs in ${seconds}s, no finding"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name: finding (input and report in $out)"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -20 | sed 's/^/#   /'
	fi
}

cd "$top" || exit 1
harness parse_fuzz lib/aves_flow/aves_parse.c lib/aves_flow/aves_cksum.c \
	lib/aves_flow/aves_icmp.c

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
