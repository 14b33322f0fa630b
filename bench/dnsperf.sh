#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bound sessions per second: dnsperf asks aves-dns for subscriber names, aves-dns sends each
# lookup's SETUP to a live aves-waypoint (DPDK, net_tap, --no-huge, idle back-off at its
# defaults) and answers with W once it ACCEPTs. A bound session is a query answered NOERROR with
# the waypoint address the waypoint ACCEPTed (aves-dns's waypoint_answers counter); SERVFAILs
# and dropped queries are not.
#
#   intranet  dnsperf's source is inside local-prefixes: SETUP mode 1 names it as the initiator
#             and the waypoint binds it at once. The paper: 2,800 sessions/s (142,000 cycles of
#             DNS work per lookup on a 400 MHz host). Run with dnsperf keeping 100 queries
#             outstanding (its default), and in the full run also 20 and 300.
#   delayed   dnsperf's source is outside: it stands for a recursive resolver, SETUP mode 2, and
#             each ACCEPT puts W in its wait state for Twait. The paper's bound: N / Twait
#             (50 addresses / 2 s = 25 sessions/s). Run with aves-dns's defaults, and (full run)
#             with waypoint-fail-threshold = 1000 so that SETUPs the waypoint ignores during its
#             waits never get the appliance marked down ("delayed-nodown").
#
# Every name is an alias of one responder: an initiator holds at most one (R, B) per W (the
# admission rule), so names of distinct responders would be refused after the first 50; the
# names only keep held queries apart (aves-dns coalesces a requester's queries for one name).
# aves-dns is reloaded (SIGHUP) before each run, which also clears its view of waypoint health.
#
#   sudo bench/dnsperf.sh [--quick] [--csv FILE]
#
# Environment: BUILD_DIR (default build), AVES_BENCH_CSV (rows appended when --csv is not
# given). Needs root and Debian's dnsperf. Everything it creates is named avb-*: namespaces
# avb-dns and avb-wp (which hold every link and TAP device), DPDK's /var/run/dpdk/avb-wp, a
# temporary directory; all of it is removed on exit, success or not, and at start (a killed
# earlier run). Prints a table and TAP lines; exits non-zero if a run bound no session at all.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
csv_path=${AVES_BENCH_CSV:-}
quick=0
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--csv) csv_path=${2:?--csv needs a file}; shift ;;
	*) echo "usage: bench/dnsperf.sh [--quick] [--csv FILE]" >&2; exit 2 ;;
	esac
	shift
done

NS_DNS=avb-dns NS_WP=avb-wp DPDK_PREFIX=avb-wp
DNS=192.0.2.53 WP=192.0.2.10 INITIATOR=203.0.113.11 RESOLVER=198.51.100.53 GATEWAY=198.51.100.20
N_WAYPOINTS=50 NAMES=2000 TWAIT_MS=2000
SERVICE_SECRET=00112233445566778899aabbccddeeff GW_SECRET=0123456789abcdef0123456789abcdef
PY=/usr/bin/python3 # Debian's (dpdk-telemetry.py, test/dns/fake_peer.py)
WARM=1 # seconds of each run not counted: the first lookups find every address free
if ((quick)); then
	RUN_INTRANET=2 RUN_DELAYED=4
else
	RUN_INTRANET=5 RUN_DELAYED=6
fi

tmp=
pids=()
tap_n=0
failed=0

tap() { # OK WHAT
	tap_n=$((tap_n + 1))
	if (($1)); then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; failed=1; fi
}

# forget PID: a child that was reaped; its pid is no longer ours to signal.
forget() {
	local p kept=()
	for p in "${pids[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
	pids=("${kept[@]}")
}

# Everything named avb-*: this run's processes (by pid), then any process left in our
# namespaces by a killed run, then the namespaces, DPDK's runtime directory, the files.
cleanup() {
	local p ns
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for ns in "$NS_DNS" "$NS_WP"; do
		[[ -e /run/netns/$ns ]] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns delete "$ns" 2>/dev/null
	done
	rm -rf "/var/run/dpdk/$DPDK_PREFIX"
	[[ -n "$tmp" ]] && rm -rf "$tmp"
	return 0
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench/dnsperf.sh: $1" >&2
	if [[ -n "${2:-}" && -s "$2" ]]; then tail -n 15 "$2" | sed 's/^/    /' >&2; fi
	tap 0 "dnsperf: $1"
	exit 1
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	until "$@" >/dev/null 2>&1; do
		((${EPOCHREALTIME/./} < deadline)) || return 1
		sleep 0.1
	done
}

in_dns() { ip netns exec "$NS_DNS" "$@"; }

((EUID == 0)) || die "needs root (namespaces, TAP devices)"
for p in dnsperf dig ip tc "$PY" /usr/bin/dpdk-telemetry.py; do
	command -v "$p" >/dev/null || die "$p is missing (.ci/install-deps.sh --system; dnsperf: apt-get install dnsperf)"
done
cleanup
if [[ ! -f "$build/build.ninja" ]]; then
	meson setup "$build" "$top" >"$build.setup.log" 2>&1 || die "meson setup $build failed" "$build.setup.log"
fi
ninja -C "$build" dns/aves-dns app/waypoint/aves-waypoint >"$build.dnsperf-build.log" 2>&1 ||
	die "building aves-dns and aves-waypoint failed" "$build.dnsperf-build.log"
tmp=$(mktemp -d /tmp/avb-dnsperf.XXXXXX)

# ---------------------------------------------------------------- configuration
quoted=()
for ((i = 0; i < N_WAYPOINTS; i++)); do
	quoted+=("\"192.0.2.$((100 + i))\"")
done
wlist=$(IFS=,; echo "${quoted[*]}")

cat >"$tmp/waypoint.conf" <<EOF
ports = ( { device = "net_tap0"; address = "$WP/24"; rx-descriptors = 256; tx-descriptors = 256; } );
control = { address = "$WP"; };
waypoints = [ $wlist ];
keys = {
	service = ( { id = 1; secret = "$SERVICE_SECRET"; } );
	gateways = ( { id = 101; secret = "$GW_SECRET"; } );
};
tables = { bindings = 4096; blocks = 4096; connections = 4096; neighbours = 256; punt-ring = 1024; };
lcores = { control = 0; workers = [ 1 ]; };
# No idle group: the default back-off (sleep 50 us after 1024 empty polls) lets the two
# polling lcores share the cores with aves-dns and dnsperf.
mbufs = { count = 4095; cache = 64; };
datapath = { link-wait = "2s"; };
log = { stats-interval = "0s"; };
EOF

{
	cat <<EOF
listen = [ "$DNS" ];
control = { address = "$DNS"; };
zone = { name = "avesnet.test"; ns = ( { name = "ns1"; address = "$DNS"; } ); };
service-keys = ( { id = 1; secret = "$SERVICE_SECRET"; } );
waypoints = ( { address = "$WP"; addresses = [ $wlist ]; } );
local-prefixes = [ "203.0.113.0/24" ];
subscribers = ( { name = "bench"; keys = ( { id = 101; secret = "$GW_SECRET"; } ); hosts = (
EOF
	for ((i = 0; i < NAMES; i++)); do
		printf '\t{ name = "h%d"; address = "10.0.0.2"; }%s\n' "$i" "$( ((i + 1 < NAMES)) && echo ,)"
	done
	echo "); } );"
} >"$tmp/dns.base.conf"
cp "$tmp/dns.base.conf" "$tmp/dns.conf"
for ((i = 0; i < NAMES; i++)); do echo "h$i.bench.avesnet.test A"; done >"$tmp/queries"

"$build/app/waypoint/aves-waypoint" --check-config -f "$tmp/waypoint.conf" >"$tmp/wp-check.log" 2>&1 ||
	die "aves-waypoint refused its configuration" "$tmp/wp-check.log"
"$build/dns/aves-dns" --check-config -f "$tmp/dns.conf" >"$tmp/dns-check.log" 2>&1 ||
	die "aves-dns refused its configuration" "$tmp/dns-check.log"

# ---------------------------------------------------------------- topology and daemons
# avb-wp: aves-waypoint; its TAP device's kernel side avb-wp0 is spliced (tc mirred, both
# ways) to the veth up0, as app/devmode/topology.sh does: a bridge would keep the frames
# addressed to the TAP's MAC, which is the appliance's own. avb-dns: the veth's other end
# (192.0.2.53), aves-dns, dnsperf, and the two query sources on lo.
{ ip netns add "$NS_WP" && ip netns add "$NS_DNS"; } || die "cannot create the namespaces"
{ ip -n "$NS_WP" link set lo up && ip -n "$NS_DNS" link set lo up &&
	ip link add up0 netns "$NS_WP" type veth peer name avb-wp netns "$NS_DNS" &&
	ip -n "$NS_WP" link set up0 up &&
	ip -n "$NS_DNS" addr add "$DNS/24" dev avb-wp && ip -n "$NS_DNS" link set avb-wp up &&
	ip -n "$NS_DNS" addr add "$INITIATOR/32" dev lo &&
	ip -n "$NS_DNS" addr add "$RESOLVER/32" dev lo; } || die "cannot create the links"

ip netns exec "$NS_WP" "$build/app/waypoint/aves-waypoint" -l 0-1 --no-pci --no-huge -m 256 \
	--file-prefix "$DPDK_PREFIX" --log-level 'lib.eal:error' --vdev net_tap0,iface=avb-wp0 \
	-- -f "$tmp/waypoint.conf" >"$tmp/waypoint.log" 2>&1 </dev/null &
wp_pid=$!
pids+=("$wp_pid")
wait_for 10 ip -n "$NS_WP" link show avb-wp0 || die "aves-waypoint created no avb-wp0" "$tmp/waypoint.log"
for dev in avb-wp0 up0; do
	peer=up0
	[[ $dev == up0 ]] && peer=avb-wp0
	{ tc -n "$NS_WP" qdisc add dev "$dev" ingress &&
		tc -n "$NS_WP" filter add dev "$dev" parent ffff: protocol all prio 1 u32 \
			match u32 0 0 action mirred egress redirect dev "$peer"; } ||
		die "cannot splice avb-wp0 to up0"
done
wait_for 15 in_dns ping -c 1 -W 1 "$WP" || die "aves-waypoint does not answer ping at $WP" "$tmp/waypoint.log"

# Started by ip netns exec itself, not through a function: $! must be aves-dns's own pid.
ip netns exec "$NS_DNS" "$build/dns/aves-dns" -d -f "$tmp/dns.conf" 2>"$tmp/dns.log" </dev/null &
dns_pid=$!
pids+=("$dns_pid")
wait_for 10 in_dns dig +time=1 +tries=1 +short @"$DNS" avesnet.test SOA || die "aves-dns does not answer" "$tmp/dns.log"

# aves-dns's counters: SIGUSR1 writes them to its log; print the latest dump.
dns_stats() {
	local before
	before=$(grep -c 'aves-dns: state:' "$tmp/dns.log")
	kill -USR1 "$dns_pid" || return 1
	wait_for 5 sh -c "[ \$(grep -c 'aves-dns: state:' '$tmp/dns.log') -gt $before ]" || return 1
	awk '/aves-dns: statistics:/ { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$tmp/dns.log"
}

# counter TEXT GROUP NAME: the value of "group: ... name=value" in a dump.
counter() {
	awk -v g="aves-dns: $2:" -v n="$3" 'index($0, g) == 1 {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) { print kv[2]; exit } } }' <<<"$1"
}

# The waypoint's counters, through DPDK telemetry: "accept_sent new same wait ignored" (its
# ACCEPTs, and its SETUP verdicts: a new binding, the same binding, a wait state, ignored).
wp_stats() {
	echo /aves/waypoint/stats | "$PY" /usr/bin/dpdk-telemetry.py -f "$DPDK_PREFIX" 2>/dev/null |
		"$PY" -c 'import json, sys
d = json.loads(sys.stdin.read().strip() or "{}").get("/aves/waypoint/stats", {})
c, v = d.get("counters", {}), d.get("verdicts", {})
print(c.get("accept_sent", 0), v.get("setup_accept_new", 0), v.get("setup_accept_same", 0),
      v.get("setup_accept_wait", 0), v.get("setup_ignored", 0))'
}

in_dns "$PY" "$top/test/dns/fake_peer.py" register --to "$DNS:4796" --key-id 101 \
	--secret "$GW_SECRET" --origin "$GATEWAY" --public "$GATEWAY" ||
	die "cannot send the gateway's REGISTER"
wait_for 5 sh -c "kill -USR1 $dns_pid; sleep 0.2; grep -q 'register_ok=1' '$tmp/dns.log'" ||
	die "aves-dns did not register the gateway" "$tmp/dns.log"

# ticks PID: user + system CPU time in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

# reload_dns SETTING...: the base configuration plus SETTINGs, applied with SIGHUP.
reload_dns() {
	local before
	cp "$tmp/dns.base.conf" "$tmp/dns.conf"
	printf '%s\n' "$@" >>"$tmp/dns.conf"
	before=$(grep -c 'reload: .* applied' "$tmp/dns.log")
	kill -HUP "$dns_pid"
	wait_for 5 sh -c "[ \$(grep -c 'reload: .* applied' '$tmp/dns.log') -gt $before ]" ||
		die "aves-dns did not apply its reloaded configuration" "$tmp/dns.log"
}

# delta BEFORE AFTER GROUP COUNTER: how much a counter grew between two dumps.
delta() { echo $(($(counter "$2" "$3" "$4") - $(counter "$1" "$3" "$4"))); }

# ---------------------------------------------------------------- the runs
printf '\nBound sessions per second: dnsperf -> aves-dns -> aves-waypoint (live, net_tap), %d waypoint addresses, Twait %d ms\n' \
	"$N_WAYPOINTS" "$TWAIT_MS"
printf '  %-15s %4s %9s %10s %6s %6s | %6s %6s %6s %6s | %s\n' mode q queries/s sessions/s paper x \
	new same wait ignor "CPU % of a core: aves-dns waypoint dnsperf; dnsperf's view"

# run MODE SOURCE SECONDS OUTSTANDING PAPER: dnsperf for WARM + SECONDS s; the counters are read
# after WARM s and again SECONDS s later.
run() {
	local mode=$1 src=$2 secs=$3 q=$4 paper=$5 out=$tmp/dnsperf-$1-$4.txt
	local s_begin s0 s1 w0 w1 t0 t1 c0 c1 d0 d1 p0 p1 perf_pid secs_real sessions queries rate qps x cpu

	s_begin=$(dns_stats) || die "cannot read the counters" "$tmp/dns.log"
	ip netns exec "$NS_DNS" dnsperf -s "$DNS" -a "$src" -d "$tmp/queries" -l $((WARM + secs + 1)) \
		-q "$q" -t 4 >"$out" 2>&1 &
	perf_pid=$!
	pids+=("$perf_pid")
	sleep "$WARM"
	{ s0=$(dns_stats) && w0=$(wp_stats); } || die "cannot read the counters" "$tmp/dns.log"
	t0=${EPOCHREALTIME/./} c0=$(ticks "$dns_pid") d0=$(ticks "$wp_pid") p0=$(ticks "$perf_pid")
	sleep "$secs"
	{ s1=$(dns_stats) && w1=$(wp_stats); } || die "cannot read the counters" "$tmp/dns.log"
	t1=${EPOCHREALTIME/./} c1=$(ticks "$dns_pid") d1=$(ticks "$wp_pid") p1=$(ticks "$perf_pid")
	wait "$perf_pid"
	forget "$perf_pid"

	secs_real=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
	sessions=$(delta "$s0" "$s1" replies waypoint_answers)
	queries=$(delta "$s0" "$s1" queries a)
	rate=$(awk -v n="$sessions" -v t="$secs_real" 'BEGIN { printf "%.0f", n / t }')
	qps=$(awk -v n="$queries" -v t="$secs_real" 'BEGIN { printf "%.0f", n / t }')
	x=$(awk -v r="$rate" -v p="$paper" 'BEGIN { printf "%.2fx", r / p }')
	read -r -a W0 <<<"$w0"
	read -r -a W1 <<<"$w1"
	cpu=$(awk -v a="$((c1 - c0))" -v b="$((d1 - d0))" -v c="$((p1 - p0))" -v hz="$hz" -v t="$secs_real" \
		'BEGIN { printf "%3.0f %3.0f %3.0f", 100 * a / hz / t, 100 * b / hz / t, 100 * c / hz / t }')
	printf '  %-15s %4s %9s %10s %6s %6s | %6s %6s %6s %6s | %s; %s\n' "$mode" "$q" "$qps" "$rate" \
		"$paper" "$x" $((W1[1] - W0[1])) $((W1[2] - W0[2])) $((W1[3] - W0[3])) $((W1[4] - W0[4])) \
		"$cpu" "$(awk '/Queries completed:/ { c = $3 } /Queries lost:/ { l = $3 }
			/Response codes:/ { sub(/.*Response codes: +/, ""); r = $0 }
			END { printf "completed %s lost %s (%s)", c, l, r }' "$out")"
	printf '  %-15s aves-dns: servfail=%s gave_up=%s waited_for_waypoint=%s; since the run began: setup_timeouts=%s waypoint_marked_down=%s\n' "" \
		"$(delta "$s0" "$s1" replies servfail)" "$(delta "$s0" "$s1" held gave_up_dropped)" \
		"$(delta "$s0" "$s1" held waited_for_waypoint)" \
		"$(delta "$s_begin" "$s1" setup attempt_timeouts)" \
		"$(delta "$s_begin" "$s1" setup waypoint_marked_down)"
	if [[ -n "$csv_path" ]]; then
		[[ -s "$csv_path" ]] || echo "path,size,burst,bindings,metric,value,paper" >>"$csv_path"
		{
			echo "dnsperf,$mode,$q,-,sessions_per_s,$rate,$paper"
			echo "dnsperf,$mode,$q,-,queries_per_s,$qps,"
			echo "dnsperf,$mode,$q,-,aves_dns_cpu_pct,$(awk '{ print $1 }' <<<"$cpu"),"
		} >>"$csv_path"
	fi
	tap $((sessions > 0)) "dnsperf $mode, $q outstanding: $sessions sessions bound in $secs_real s"
}

if ((quick)); then outstanding=(100); else outstanding=(20 100 300); fi
for q in "${outstanding[@]}"; do
	reload_dns
	run intranet "$INITIATOR" "$RUN_INTRANET" "$q" 2800
done
# Delayed binding: every wait from an earlier run over first.
reload_dns
sleep $((TWAIT_MS / 1000))
run delayed "$RESOLVER" "$RUN_DELAYED" 100 $((N_WAYPOINTS * 1000 / TWAIT_MS))
if ((!quick)); then
	reload_dns "waypoint-fail-threshold = 1000;"
	sleep $((TWAIT_MS / 1000))
	run delayed-nodown "$RESOLVER" "$RUN_DELAYED" 100 $((N_WAYPOINTS * 1000 / TWAIT_MS))
fi
echo "q: dnsperf's queries outstanding; paper: 2,800/s (intranet), N/Twait = $N_WAYPOINTS/$((TWAIT_MS / 1000)) s (delayed); x: ours / paper."
echo "new/same/wait/ignor: the waypoint's SETUP verdicts (ACCEPT of a new binding, of the same binding, of a wait state; SETUP ignored during a wait)."
echo "1..$tap_n"
exit "$failed"
