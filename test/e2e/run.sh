#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The end-to-end suite: the whole AVES system in development mode (app/devmode/topology.sh,
# docs/DEVMODE.md) with real programs on both sides — curl, ssh, ping, nc, traceroute, iperf3,
# FTP, dig, unbound — and the appliances' telemetry to check what happened inside. The
# topology is built with the suite's short timers from the start, and every case runs
# against it; each case uses initiator addresses of its own (203.0.113.2x), so that sessions
# one case leaves at the waypoint cannot decide another's outcome. The whole suite runs twice,
# once for each way the appliances attach: net_tap (the default), then virtio_user with
# aves-vhost-tap as the vhost-user backend; each pass builds the system afresh and removes it.
# Everything is removed at the end, on failure and on Ctrl-C too. Prints TAP lines (each
# case's name starts with the attachment) and "N passed, N failed"; exits non-zero on failure.
#
#   sudo test/e2e/run.sh      BUILD_DIR=... another build directory;
#                             AVES_ATTACH=tap or virtio: that pass only
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
export AVES_TOP=$top
export AVES_BUILD=${BUILD_DIR:-$top/build}
# Read before topology.sh, which gives AVES_ATTACH its default.
if [[ -n "${AVES_ATTACH:-}" ]]; then
	attachments=("$AVES_ATTACH")
else
	attachments=(tap virtio)
fi
# shellcheck source-path=SCRIPTDIR/../..
. "$top/app/devmode/topology.sh"

PACKETS="$top/test/e2e/packets.py"
GW1_SECRET=0123456789abcdef0123456789abcdef

passed=0
failed=0
pass= # the attachment of the pass running, which every case's name starts with
started=$EPOCHREALTIME

ok() {
	passed=$((passed + 1))
	echo "ok $((passed + failed)) - ${pass:+$pass: }$1"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok $((passed + failed)) - ${pass:+$pass: }$1"
	if [[ -n "${2:-}" ]]; then
		sed 's/^/#   /' <<<"$2" | head -40
	fi
}

# check NAME CONDITION-COMMAND... [-- DIAGNOSTIC-TEXT]: ok when the command succeeds.
check() {
	local name=$1 diag=
	shift
	local cmd=()
	while (($#)); do
		if [[ $1 == -- ]]; then
			diag=${2:-}
			break
		fi
		cmd+=("$1")
		shift
	done
	if "${cmd[@]}"; then ok "$name"; else not_ok "$name" "$diag"; fi
}

# expect NAME TEXT REGEX...: every extended regex matches some line of TEXT.
expect() {
	local name=$1 text=$2 re
	shift 2
	for re in "$@"; do
		if ! grep -qE -- "$re" <<<"$text"; then
			not_ok "$name" "missing /$re/ in:"$'\n'"$text"
			return 1
		fi
	done
	ok "$name"
}

bail() {
	not_ok "$1" "${2:-}"
	exit 1
}

# show_logs: the end of the daemons' logs and their state, after a failure.
show_logs() {
	local f
	[[ -d "$AVES_RUN/log" ]] || return 0
	echo "# logs of the daemons (last lines):"
	for f in "$AVES_RUN"/log/{waypoint,natgw1,natgw2,aves-dns,unbound,vhost-wp,vhost-gw1,vhost-gw2}.log; do
		[[ -f "$f" ]] && { echo "# -- ${f##*/}"; tail -n 8 "$f" | sed 's/^/#   /'; }
	done
	echo "# aves-dns's counters:"
	devmode_dns_stats 2>/dev/null | sed 's/^/#   /'
	echo "# the waypoint's bindings:"
	echo "#   $(devmode_telemetry aves-wp /aves/waypoint/bindings 2>/dev/null)"
}

# shellcheck disable=SC2317 # called by the EXIT trap
finish() {
	local rc=$?
	trap - EXIT INT TERM
	((failed > 0)) && show_logs
	devmode_cleanup
	awk -v a="$started" -v b="$EPOCHREALTIME" \
		'BEGIN { printf "# test/e2e/run.sh took %.1f s\n", b - a }'
	echo "$passed passed, $failed failed"
	((failed == 0 && rc == 0)) || exit 1
	exit 0
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers

SSH=(ssh -F /dev/null -i "$AVES_RUN/ssh/id_ed25519" -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR)

# identity HOST ADDRESS: HOST sends from ADDRESS from now on (a second address on its link,
# and the source of its default route), DNS queries included.
identity() {
	ip -n "aves-$1" addr add "$2/24" dev eth0 2>/dev/null
	ip -n "aves-$1" route replace default via 203.0.113.1 src "$2"
}

# on HOST RESOLVER CMD...: run CMD on HOST with RESOLVER in its resolv.conf, 30 s at most.
on() {
	local host=$1 resolver=$2
	shift 2
	devmode_with_resolver "$host" "$resolver" timeout 30 "$@"
}

wp_get() { devmode_tel_get aves-wp "$@"; }
wp_addr() { devmode_tel_get aves-wp "/aves/waypoint/address,$1" "${@:2}"; }
gw_get() { local n=$1; shift; devmode_tel_get "aves-gw$n" "$@"; }

# dns_counter GROUP NAME: one of aves-dns's counters ("setup" "accepted").
dns_counter() {
	devmode_dns_stats | sed 's/^aves-dns: //' | awk -v g="$1:" -v n="$2" '$1 == g {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) v = kv[2] } }
		END { print v + 0 }'
}

# lookup HOST RESOLVER NAME: the A record as HOST sees it through RESOLVER (dig, retries).
lookup() {
	devmode_ns "$1" dig +short +tries=3 +time=4 @"$2" "$3" A 2>/dev/null | tail -n 1
}

# free_waypoint: wait until no waypoint address is in a wait state. The waypoint takes at most
# N / Twait delayed bindings per second (the paper's §3.3.2); beyond that aves-dns answers
# SERVFAIL, which a resolver may cache for a few seconds. The suite paces its lookups instead.
free_waypoint() {
	devmode_wait 5 sh -c "echo /aves/waypoint/bindings | $AVES_PY /usr/bin/dpdk-telemetry.py -f aves-wp |
		grep -q '\"waiting_addresses\": 0'"
}

is_waypoint() {
	local w
	for w in "${DEVMODE_WAYPOINTS[@]}"; do
		[[ $1 == "$w" ]] && return 0
	done
	return 1
}

# ---------------------------------------------------------------- build, once

echo "# building the development-mode programs (build: $AVES_BUILD)"
"$top/.ci/install-deps.sh" --system >/dev/null || bail "installing the system packages"
if [[ ! -f "$AVES_BUILD/build.ninja" ]]; then
	meson setup "$AVES_BUILD" "$top" >/dev/null || bail "meson setup $AVES_BUILD"
fi
# shellcheck disable=SC2086 # a list of targets
out=$(ninja -C "$AVES_BUILD" $DEVMODE_PROGRAMS 2>&1) ||
	bail "building $DEVMODE_PROGRAMS" "$(tail -n 20 <<<"$out")"

# The suite's timers, appended to copies of config/devmode's files so that the timeout,
# FIN-tracking and reject cases take seconds (the paper's values are minutes).
e2e_timers='
# The end-to-end suite'"'"'s timers (test/e2e/run.sh), appended to config/devmode.
timers = {
	idle-icmp = "3s";
	idle-udp = "5s";
	idle-tcp = "20s";
	idle-other = "20s";
	idle-http = "20s";
	tcp-linger = "1s";
'

# e2e_conf: the suite's configuration in $AVES_CONF.
e2e_conf() {
	local n
	mkdir -p "$AVES_CONF"
	cp "$top/config/devmode/dns.conf" "$AVES_CONF/dns.conf"
	{
		cat "$top/config/devmode/waypoint.conf"
		echo "$e2e_timers"
		echo '	wait = "1s";'
		echo '	reject = "5s";'
		echo '	penalty = "60s";'
		echo '};'
	} >"$AVES_CONF/waypoint.conf"
	for n in 1 2; do
		{
			cat "$top/config/devmode/natgw$n.conf"
			echo "$e2e_timers"
			echo '};'
		} >"$AVES_CONF/natgw$n.conf"
	done
}

# ---------------------------------------------------------------- the applications, twice

# apps HOST RESOLVER MODE [PACE]: every application of the paper's §5.5 from HOST, names
# resolved through RESOLVER. Each one looks its name up again, as an application does; PACE
# runs before each.
apps() {
	local h=$1 r=$2 mode=$3 pace=${4:-:} out w
	local me
	me=$(ip -n "aves-$h" -4 route show default | sed -n 's/.* src \([0-9.]*\).*/\1/p')
	[[ -n "$me" ]] || me=$(ip -n "aves-$h" -4 -o addr show dev eth0 | awk '{ print $4 }' | head -n 1 | cut -d/ -f1)

	$pace
	out=$(on "$h" "$r" curl -sS -m 10 -w '\nremote %{remote_ip}\n' http://web.home1.avesnet.test/ 2>&1)
	expect "$mode: curl fetches http://web.home1.avesnet.test/ by name" "$out" \
		'^Hello from web\.home1\.avesnet\.test \(10\.0\.0\.2, namespace aves-h1b\)$' \
		'^remote 192\.0\.2\.10[0-3]$'

	$pace
	# shellcheck disable=SC2016 # expanded by the remote shell
	out=$(on "$h" "$r" "${SSH[@]}" root@web.home1.avesnet.test \
		'echo "ns=$(ip netns identify $$) client=${SSH_CLIENT%% *}"' 2>&1)
	expect "$mode: ssh runs a command on web.home1, which sees the initiator's own address" \
		"$out" "^ns=aves-h1b client=$me\$"

	$pace
	out=$(on "$h" "$r" ping -n -c 3 -i 0.2 -W 2 web.home1.avesnet.test 2>&1)
	expect "$mode: ping gets its replies from the waypoint address" "$out" \
		'^3 packets transmitted, 3 received' '^64 bytes from 192\.0\.2\.10[0-3]: icmp_seq=1 '

	$pace
	out=$(on "$h" "$r" sh -c 'echo "echo me $$" | nc -u -w 1 web.home1.avesnet.test 7' 2>&1)
	expect "$mode: nc -u gets its datagram back from the UDP echo service" "$out" '^echo me [0-9]+$'

	$pace
	out=$(on "$h" "$r" traceroute -n -w 2 -q 1 -m 8 web.home1.avesnet.test 2>&1)
	w=$(sed -n '1s/.*(\([0-9.]*\)).*/\1/p' <<<"$out")
	if [[ -n "$w" ]] && is_waypoint "$w" && tail -n 1 <<<"$out" | grep -qE "^ *[0-9]+ +$w "; then
		ok "$mode: traceroute completes: its last hop is the waypoint address $w"
	else
		not_ok "$mode: traceroute completes: its last hop is the waypoint address" "$out"
	fi

	$pace
	out=$(on "$h" "$r" iperf3 -c web.home1.avesnet.test -t 2 -J 2>&1)
	out=$("$AVES_PY" -c 'import json, sys
d = json.loads(sys.stdin.read())
if d.get("error"): print("error", d["error"])
else: print("sent %d received %d Mbit/s %.0f" % (d["end"]["sum_sent"]["bytes"],
	d["end"]["sum_received"]["bytes"], d["end"]["sum_received"]["bits_per_second"] / 1e6))' <<<"$out" 2>&1)
	expect "$mode: iperf3 transfers data through the tunnel ($out)" "$out" '^sent [1-9][0-9]{5,} received [1-9][0-9]{5,} '

	rm -f "$AVES_RUN/ftp.out"
	$pace
	out=$(on "$h" "$r" curl -sS -v -m 15 -P - --disable-eprt -o "$AVES_RUN/ftp.out" \
		ftp://ftp.home1.avesnet.test/file.bin 2>&1)
	if grep -q '^> PORT ' <<<"$out" && cmp -s "$AVES_RUN/ftp.out" "$AVES_RUN/ftp/file.bin"; then
		ok "$mode: FTP in active mode (PORT) fetches a 1 MB file intact, multi-homing off"
	else
		not_ok "$mode: FTP in active mode (PORT) fetches a 1 MB file intact, multi-homing off" \
			"$(grep -E '^(<|>|\*|curl)' <<<"$out" | tail -n 20)"
	fi
}

# ---------------------------------------------------------------- one pass

# suite: bring the system up with AVES_ATTACH's devices and run every case against it.
suite() {
	local prereq up_log t0
	echo "# $AVES_ATTACH: starting the development-mode system ($(devmode_attach_text))"
	prereq=$(devmode_check_prerequisites 2>&1) || bail "prerequisites of development mode" "$prereq"
	if [[ -n $(devmode_ours) ]]; then
		echo "# note: development-mode namespaces exist (a demo, a killed run): removing them"
	fi
	devmode_cleanup
	export AVES_CONF=$AVES_RUN/e2e-conf
	e2e_conf

	t0=$EPOCHREALTIME
	if ! up_log=$(devmode_up 2>&1); then
		bail "the development-mode system comes up" "$up_log"
	fi
	echo "# up in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
	ok "the system comes up: 13 namespaces, aves-dns, unbound, aves-waypoint, 2 aves-natgw, services"

	wait0=$(wp_get /aves/waypoint/stats verdicts.setup_accept_wait)
	apps a1 "$DEVMODE_DNS" "intranet (a1 asks aves-dns)"
	wait1=$(wp_get /aves/waypoint/stats verdicts.setup_accept_wait)
	check "intranet lookups never start a wait state at the waypoint" test "$wait1" -eq "$wait0" \
		-- "setup_accept_wait $wait0 -> $wait1"

	bind0=$(wp_get /aves/waypoint/stats verdicts.bind)
	apps a2 "$DEVMODE_RESOLVER" "general (a2 through unbound)" free_waypoint
	wait2=$(wp_get /aves/waypoint/stats verdicts.setup_accept_wait)
	bind1=$(wp_get /aves/waypoint/stats verdicts.bind)
	check "general deployment: SETUPs through unbound started wait states, and connections bound in them" \
		test "$wait2" -gt "$wait1" -a "$bind1" -gt "$bind0" \
		-- "setup_accept_wait $wait1 -> $wait2, bind $bind0 -> $bind1"

	# ---------------------------------------------------------------- outbound NAT (home1 browses out)
	# A host behind aves-natgw 1 reaches a web server on the Internet segment (on a1) through the
	# gateway's NAPT: the server sees the gateway's public address, and ping's echo comes back.
	mkdir -p "$AVES_RUN/outweb"
	echo "outside page" >"$AVES_RUN/outweb/out.txt"
	devmode_spawn web-out a1 "$AVES_PY" -m http.server 8080 --bind 203.0.113.11 \
		--directory "$AVES_RUN/outweb"
	for _ in $(seq 50); do
		devmode_ns a1 curl -s -m 1 -o /dev/null http://203.0.113.11:8080/out.txt && break
		sleep 0.1
	done
	out=$(devmode_ns h1b curl -sS -m 10 http://203.0.113.11:8080/out.txt 2>&1)
	out+=$'\n'$(devmode_ns h1b ping -n -c 3 -i 0.2 -W 2 203.0.113.11 2>&1)
	expect "outbound NAT: a host behind aves-natgw 1 fetches a page and pings a host outside" \
		"$out" '^outside page$' '^3 packets transmitted, 3 received'
	check "outbound NAT: the outside server sees the gateway's public address (198.51.100.20)" \
		grep -q '^198\.51\.100\.20 - - .*"GET /out.txt' "$AVES_RUN/log/web-out.log" \
		-- "$(tail -n 5 "$AVES_RUN/log/web-out.log")"

	# ---------------------------------------------------------------- overlapping private networks

	free_waypoint
	identity a1 203.0.113.21
	out1=$(on a1 "$DEVMODE_DNS" curl -sS -m 10 http://web.home1.avesnet.test/ 2>&1)
	out2=$(on a1 "$DEVMODE_DNS" curl -sS -m 10 http://web.home2.avesnet.test/ 2>&1)
	ssh1=$(on a1 "$DEVMODE_DNS" "${SSH[@]}" root@web.home1.avesnet.test 'ip netns identify $$' 2>&1)
	ssh2=$(on a1 "$DEVMODE_DNS" "${SSH[@]}" root@web.home2.avesnet.test 'ip netns identify $$' 2>&1)
	expect "overlapping networks: web.home1 and web.home2 are both 10.0.0.2, each reached by name" \
		"$out1"$'\n'"$out2"$'\n'"ssh1 $ssh1"$'\n'"ssh2 $ssh2" \
		'^Hello from web\.home1\.avesnet\.test \(10\.0\.0\.2, namespace aves-h1b\)$' \
		'^Hello from web\.home2\.avesnet\.test \(10\.0\.0\.2, namespace aves-h2b\)$' \
		'^ssh1 aves-h1b$' '^ssh2 aves-h2b$'

	# ---------------------------------------------------------------- initiator-specific binding

	identity a1 203.0.113.22
	identity a2 203.0.113.23
	declare -A held_at=()
	names=(web.home1 pc.home1 web.home2 pc.home2)
	report=
	for n in "${names[@]}"; do
		w=$(lookup a1 "$DEVMODE_DNS" "$n.$DEVMODE_ZONE")
		report+="$n -> ${w:-none}"$'\n'
		is_waypoint "$w" && held_at[$w]=$n
	done
	check "one initiator holds as many sessions as there are waypoint addresses (4 names, 4 addresses)" \
		test "${#held_at[@]}" -eq 4 -- "$report"

	pages=
	for w in "${!held_at[@]}"; do
		n=${held_at[$w]}
		pages+="$n via $w: $(on a1 "$DEVMODE_DNS" curl -sS -m 10 --resolve "$n.$DEVMODE_ZONE:80:$w" \
			"http://$n.$DEVMODE_ZONE/" 2>&1)"$'\n'
	done
	expect "... and each of the 4 sessions reaches its own responder" "$pages" \
		'^web\.home1 via .*Hello from web\.home1\.' '^pc\.home1 via .*Hello from pc\.home1\.' \
		'^web\.home2 via .*Hello from web\.home2\.' '^pc\.home2 via .*Hello from pc\.home2\.'

	rej0=$(dns_counter rejects admission)
	drop0=$(dns_counter held gave_up_dropped)
	out=$(devmode_ns a1 dig +tries=1 +time=4 @"$DEVMODE_DNS" printer.home1.avesnet.test A 2>&1)
	rej1=$(dns_counter rejects admission)
	drop1=$(dns_counter held gave_up_dropped)
	if grep -qE 'timed out|no servers could be reached' <<<"$out" && ((rej1 - rej0 == 4 && drop1 - drop0 == 1)); then
		ok "a fifth lookup: every waypoint address REJECTs it (admission), and the query is dropped for the initiator to retry (§3.3.1)"
	else
		not_ok "a fifth lookup: every waypoint address REJECTs it (admission), and the query is dropped" \
			"admission rejects $rej0 -> $rej1, gave_up_dropped $drop0 -> $drop1"$'\n'"$out"
	fi

	# A second initiator: whatever waypoint address it is given, the first initiator holds another
	# responder there. aves-dns picks addresses at random, so a2's four bindings can mirror a1's
	# exactly (one order in 24): then try again as a new initiator address.
	other=
	for a2_addr in 203.0.113.40 203.0.113.41 203.0.113.42; do
		identity a2 "$a2_addr"
		for n in web.home2 pc.home1 web.home1 pc.home2; do
			w=$(lookup a2 "$DEVMODE_DNS" "$n.$DEVMODE_ZONE")
			if is_waypoint "$w" && [[ ${held_at[$w]:-} != "$n" ]]; then
				other=$n
				break 2
			fi
		done
	done
	if [[ -n "$other" && -n "${held_at[$w]:-}" ]]; then
		n1=${held_at[$w]}
		on a1 "$DEVMODE_DNS" curl -sS -m 10 --resolve "$n1.$DEVMODE_ZONE:80:$w" \
			"http://$n1.$DEVMODE_ZONE/" >"$AVES_RUN/page1" 2>&1 &
		p1=$!
		on a2 "$DEVMODE_DNS" curl -sS -m 10 --resolve "$other.$DEVMODE_ZONE:80:$w" \
			"http://$other.$DEVMODE_ZONE/" >"$AVES_RUN/page2" 2>&1 &
		p2=$!
		wait $p1 $p2
		expect "two initiators at once reach different responders through the same waypoint address $w" \
			"a1 $(<"$AVES_RUN/page1")"$'\n'"a2 $(<"$AVES_RUN/page2")" \
			"^a1 Hello from ${n1//./\\.}\\." "^a2 Hello from ${other//./\\.}\\."
	else
		not_ok "two initiators at once reach different responders through the same waypoint address" \
			"the second initiator got no usable waypoint address"
	fi

	# ---------------------------------------------------------------- multi-homed mode (home2)

	identity a1 203.0.113.25
	mh0=$(gw_get 2 /aves/natgw/stats counters.aves_out)
	# shellcheck disable=SC2016 # expanded by the remote shell
	out=$(on a1 "$DEVMODE_DNS" "${SSH[@]}" root@web.home2.avesnet.test \
		'echo "client=${SSH_CLIENT%% *}"; ip route get 203.0.113.25 | head -n 1' 2>&1)
	expect "multi-homed: the responder sees the gateway's inside address, its own route points elsewhere" \
		"$out" '^client=10\.0\.0\.1$' '^203\.0\.113\.25 via 10\.0\.0\.254 '
	out=$(on a1 "$DEVMODE_DNS" curl -sS -m 10 http://web.home2.avesnet.test/ 2>&1)
	out+=$'\n'$(on a1 "$DEVMODE_DNS" ping -n -c 3 -i 0.2 -W 2 web.home2.avesnet.test 2>&1)
	out+=$'\n'$(on a1 "$DEVMODE_DNS" sh -c 'echo "echo mh" | nc -u -w 1 web.home2.avesnet.test 7' 2>&1)
	mh1=$(gw_get 2 /aves/natgw/stats counters.aves_out)
	expect "multi-homed: curl, ping and UDP echo work, every reply through the gateway ($((mh1 - mh0)) sent back by it)" \
		"$out" '^Hello from web\.home2\.' '^3 packets transmitted, 3 received' '^echo mh$'
	weblog=$(grep -c '^10\.0\.0\.1 - - .*"GET / ' "$AVES_RUN/log/web-h2b.log")
	check "multi-homed: the web server's log shows the gateway's inside address as the client" \
		test "$weblog" -ge 1 -- "$(tail -n 5 "$AVES_RUN/log/web-h2b.log")"
	out=$(on a1 "$DEVMODE_DNS" curl -sS -v -m 15 -P - --disable-eprt -o /dev/null \
		ftp://ftp.home2.avesnet.test/file.bin 2>&1)
	expect "multi-homed: active-mode FTP does not work, as the paper says (the server sees the gateway, refuses PORT)" \
		"$out" '^< 500 Illegal PORT command' 'curl: \(30\)'
	rm -f "$AVES_RUN/ftp.out"
	out=$(on a1 "$DEVMODE_DNS" curl -sS -v -m 15 -o "$AVES_RUN/ftp.out" \
		ftp://ftp.home2.avesnet.test/file.bin 2>&1)
	if grep -qE '^> (EPSV|PASV)' <<<"$out" && cmp -s "$AVES_RUN/ftp.out" "$AVES_RUN/ftp/file.bin"; then
		ok "multi-homed: passive-mode FTP works (the client opens the data connection)"
	else
		not_ok "multi-homed: passive-mode FTP works (the client opens the data connection)" "$out"
	fi
	check "multi-homed: aves-natgw 2 keeps multi-homed sessions" \
		test "$(gw_get 2 /aves/natgw/sessions aves_multihomed)" -ge 1 \
		-- "$(devmode_telemetry aves-gw2 /aves/natgw/sessions)"

	# ---------------------------------------------------------------- FIN tracking

	identity a1 203.0.113.28
	w=$(lookup a1 "$DEVMODE_DNS" pc.home1.avesnet.test)
	out=$(devmode_ns a1 timeout 20 "${SSH[@]}" "root@$w" 'echo ran' 2>&1)
	stray0=$(wp_addr "$w" machine_verdicts.discard_stray)
	sleep 2.5 # tcp-linger (1 s) and a sweep
	if devmode_ns a1 timeout 5 nc -z -w 2 "$w" 22; then late=connected; else late=refused; fi
	stray1=$(wp_addr "$w" machine_verdicts.discard_stray)
	if [[ $out == ran && $late == refused ]] && ((stray1 > stray0)); then
		ok "FIN tracking: 2.5 s after the ssh connection closed the session at $w is gone (the next SYN is a stray)"
	else
		not_ok "FIN tracking: 2.5 s after the ssh connection closed the session is gone" \
			"ssh: $out; later connection: $late; discard_stray $stray0 -> $stray1"
	fi
	w=$(lookup a1 "$DEVMODE_DNS" web.home1.avesnet.test)
	out=$(devmode_ns a1 curl -sS -m 5 "http://$w/" 2>&1)
	sleep 2.5
	out+=$'\n'$(devmode_ns a1 curl -sS -m 5 "http://$w/" 2>&1)
	if [[ $(grep -c '^Hello from web.home1' <<<"$out") -eq 2 ]]; then
		ok "... but a session that carried TCP to port 80 outlives its closed connections (no FIN tracking)"
	else
		not_ok "... but a session that carried TCP to port 80 outlives its closed connections" \
			"two fetches through $w, 2.5 s apart:"$'\n'"$out"
	fi

	# ---------------------------------------------------------------- idle timeouts

	identity a1 203.0.113.27
	out=$(on a1 "$DEVMODE_DNS" ping -n -c 1 -W 2 web.home1.avesnet.test 2>&1)
	w=$(sed -n '1s/^PING [^ ]* (\([0-9.]*\)).*/\1/p' <<<"$out")
	sleep 1.5
	out+=$'\n'$(devmode_ns a1 ping -n -c 1 -W 2 "$w" 2>&1)
	exp0=$(wp_get /aves/waypoint/stats counters.bindings_expired)
	stray0=$(wp_addr "$w" machine_verdicts.discard_stray)
	sleep 4.5 # idle-icmp is 3 s
	late=$(devmode_ns a1 ping -n -c 1 -W 2 "$w" 2>&1)
	exp1=$(wp_get /aves/waypoint/stats counters.bindings_expired)
	stray1=$(wp_addr "$w" machine_verdicts.discard_stray)
	if [[ $(grep -c '^64 bytes from' <<<"$out") -eq 2 ]] && grep -q '^1 packets transmitted, 0 received' <<<"$late" &&
		((exp1 > exp0 && stray1 > stray0)); then
		ok "idle timeout: an ICMP session survives a 1.5 s pause and is gone 4.5 s after its last packet (idle-icmp 3 s)"
	else
		not_ok "idle timeout: an ICMP session lives while used and ends 3 s after its last packet" \
			"$out"$'\n'"late: $late"$'\n'"bindings_expired $exp0 -> $exp1, discard_stray at $w $stray0 -> $stray1"
	fi

	# ---------------------------------------------------------------- the wait state under attack

	# x keeps sending to every waypoint address from eight spoofed sources: outside any wait
	# they are strays, penalised (the paper's §6.2), so when a2's lookup puts an address into its
	# wait state they cannot be bound there, however many packets they send during it; a2 is.
	# (Figure 6 binds every source that is neither blocked nor bound elsewhere during a wait: an
	# attacker that had not sent before would be bound too. The penalty is the defence.)
	targets=$(IFS=,; echo "${DEVMODE_WAYPOINTS[*]}")
	rec0=$(wp_get /aves/waypoint/stats counters.blocks_recorded)
	pen_all0=$(wp_get /aves/waypoint/stats verdicts.discard_penalised)
	devmode_spawn blaster x "$AVES_PY" "$PACKETS" blast --sources 203.0.113.200-207 \
		--targets "$targets" --rate 800 --seconds 60
	# shellcheck disable=SC2317 # called through devmode_wait
	penalised() { (($(wp_get /aves/waypoint/stats counters.blocks_recorded) >= rec0 + 32)); }
	if devmode_wait 10 penalised; then
		free_waypoint
		declare -A binds0=() disc0=() waits0=()
		for w in "${DEVMODE_WAYPOINTS[@]}"; do
			read -r "binds0[$w]" "disc0[$w]" "waits0[$w]" < <(wp_addr "$w" packets.binds packets.discarded \
				waits_entered | paste -s -d ' ')
		done
		identity a2 203.0.113.26
		out=$(on a2 "$DEVMODE_RESOLVER" curl -sS -m 10 -w '\nremote %{remote_ip}\n' \
			http://web.home1.avesnet.test/ 2>&1)
		w=$(sed -n 's/^remote //p' <<<"$out")
		if is_waypoint "$w"; then
			read -r state disc_wait < <(wp_addr "$w" state packets.discarded | paste -s -d ' ')
			free_waypoint
			read -r binds1 disc1 waits1 < <(wp_addr "$w" packets.binds packets.discarded waits_entered |
				paste -s -d ' ')
		fi
		devmode_stop blaster
		pen_all1=$(wp_get /aves/waypoint/stats verdicts.discard_penalised)
		if grep -q '^Hello from web\.home1\.' <<<"$out" && is_waypoint "$w" &&
			((waits1 - waits0[$w] == 1 && binds1 - binds0[$w] == 1 && disc1 > disc0[$w] && pen_all1 > pen_all0)); then
			ok "wait state under attack: the legitimate initiator is bound at $w in its wait, the 8 blasting sources are not ($((disc1 - disc0[$w])) of their packets to $w discarded, $((disc_wait - disc0[$w])) by the time curl was done)"
		else
			not_ok "wait state under attack: the legitimate initiator is bound in the wait, the blasting sources are not" \
				"$out"$'\n'"W ${w:-?}: state after curl ${state:-?}; waits_entered ${waits0[$w]:-?} -> ${waits1:-?}; binds ${binds0[$w]:-?} -> ${binds1:-?}; discarded ${disc0[$w]:-?} -> ${disc_wait:-?} -> ${disc1:-?}; discard_penalised $pen_all0 -> $pen_all1"
		fi
	else
		devmode_stop blaster
		not_ok "wait state under attack: the blasting sources are penalised before the wait" \
			"blocks_recorded $rec0 -> $(wp_get /aves/waypoint/stats counters.blocks_recorded)"$'\n'"$(tail -n 5 "$AVES_RUN/log/blaster.log")"
	fi

	# ---------------------------------------------------------------- scanning at the DNS front end

	out=$(devmode_ns x dig +tries=1 +time=2 @"$DEVMODE_DNS" nosuchhost.home1.avesnet.test A 2>&1)
	out+=$'\n'"after: $(devmode_ns x dig +tries=1 +time=1 @"$DEVMODE_DNS" avesnet.test SOA 2>&1 | grep -E 'timed out|no servers|status:')"
	out+=$'\n'"other: $(devmode_ns a2 dig +tries=1 +time=2 @"$DEVMODE_DNS" avesnet.test SOA 2>&1 | grep status:)"
	expect "scanning: a name that does not exist gets NXDOMAIN, then the asker is ignored, others are not" \
		"$out" 'status: NXDOMAIN' '^after: .*(timed out|no servers could be reached)' '^other: .*status: NOERROR'

	# ---------------------------------------------------------------- forged tunnel packets

	in0=$(gw_get 1 /aves/natgw/stats aves_rx.ok)
	bad0=$(gw_get 1 /aves/natgw/stats aves_rx.bad_tag)
	good=$(devmode_ns x "$AVES_PY" "$PACKETS" forge --gateway "$DEVMODE_GW1" --waypoint 192.0.2.100 \
		--key-id 101 --secret "$GW1_SECRET" --initiator "$DEVMODE_X" --responder 10.0.0.2 --good \
		--listen 2 2>&1)
	forged=$(devmode_ns x "$AVES_PY" "$PACKETS" forge --gateway "$DEVMODE_GW1" --waypoint 192.0.2.100 \
		--key-id 101 --secret "$GW1_SECRET" --initiator "$DEVMODE_X" --responder 10.0.0.2 --sport 47001 \
		--listen 1 2>&1)
	in1=$(gw_get 1 /aves/natgw/stats aves_rx.ok)
	bad1=$(gw_get 1 /aves/natgw/stats aves_rx.bad_tag)
	if grep -q '^echo from 192.0.2.100:7: forged' <<<"$good" && grep -q '^no echo' <<<"$forged" &&
		((in1 - in0 == 1 && bad1 - bad0 == 1)); then
		ok "a forged tunnel packet (wrong tag) is dropped at the gateway and counted as bad_tag; the same with the right key is relayed"
	else
		not_ok "a forged tunnel packet (wrong tag) is dropped at the gateway and counted as bad_tag" \
			"right key: $good"$'\n'"wrong tag: $forged"$'\n'"aves_rx ok $in0 -> $in1, bad_tag $bad0 -> $bad1"
	fi

	# ---------------------------------------------------------------- path MTU

	identity a1 203.0.113.29
	ip netns exec aves-a1 ip route flush cache
	head -c 2097152 /dev/urandom >"$AVES_RUN/upload.bin"
	want=$(sha256sum <"$AVES_RUN/upload.bin" | cut -d' ' -f1)
	fn0=$(wp_get /aves/waypoint/stats counters.icmp_fragneeded_sent)
	w=$(lookup a1 "$DEVMODE_DNS" web.home1.avesnet.test)
	got=$(devmode_ns a1 timeout 30 "${SSH[@]}" "root@$w" 'sha256sum | cut -d" " -f1' <"$AVES_RUN/upload.bin" 2>&1)
	fn1=$(wp_get /aves/waypoint/stats counters.icmp_fragneeded_sent)
	pmtu=$(ip -n aves-a1 route get "$w" 2>&1 | tr '\n' ' ')
	if [[ $got == "$want" ]] && ((fn1 > fn0)) && grep -q 'mtu 1436' <<<"$pmtu"; then
		ok "path MTU: a 2 MB upload with DF completes; the waypoint sent 'fragmentation needed' ($((fn1 - fn0))), the initiator uses 1436"
	else
		not_ok "path MTU: a 2 MB upload with DF completes after 'fragmentation needed'" \
			"sha256 want $want got $got; icmp_fragneeded_sent $fn0 -> $fn1; route: $pmtu"
	fi

	# ---------------------------------------------------------------- a gateway's address changes

	chg0=$(dns_counter control register_address_changed)
	devmode_telemetry aves-gw1 /aves/natgw/set_public_address,198.51.100.21 >/dev/null
	for _ in $(seq 50); do
		chg1=$(dns_counter control register_address_changed)
		((chg1 > chg0)) && break
		sleep 0.2
	done
	identity a1 203.0.113.30
	out=$(on a1 "$DEVMODE_DNS" curl -sS -m 10 http://web.home1.avesnet.test/ 2>&1)
	pub=$(gw_get 1 /aves/natgw/public_address public_address)
	if ((chg1 > chg0)) && [[ $pub == 198.51.100.21 ]] && grep -q '^Hello from web\.home1\.' <<<"$out"; then
		ok "address change: gateway 1 moves to 198.51.100.21, REGISTER tells aves-dns, a new lookup goes there"
	else
		not_ok "address change: gateway 1 moves to 198.51.100.21, REGISTER tells aves-dns, a new lookup goes there" \
			"register_address_changed $chg0 -> $chg1; public_address $pub; curl: $out"
	fi

	# ------------------------------------------------------------ the virtio attachment

	if [[ $AVES_ATTACH == virtio ]]; then
		vhost_tap_carried
	fi
}

# vhost_tap_carried: every appliance port's frames went through aves-vhost-tap both ways (so
# the cases above ran over virtio_user and vhost-user, not some other path).
vhost_tap_carried() {
	local ns report='' bad=0 line tap rx_in tx_in drop_in rx_out tx_out drop_out
	for ns in wp gw1 gw2; do
		while read -r tap rx_in tx_in drop_in rx_out tx_out drop_out; do
			report+="$ns $tap: to the appliance $tx_in of $rx_in (dropped $drop_in), from it $tx_out of $rx_out (dropped $drop_out)"$'\n'
			((tx_in > 0 && tx_out > 0)) || bad=1
		done < <(devmode_telemetry "aves-$ns-vhost" /aves/vhost_tap/stats | "$AVES_PY" -c '
import json, sys
s = next(iter(json.load(sys.stdin).values()))
for i, tap in enumerate(s["tap"]):
    print(tap, *(s[k][i] for k in ("to_app_rx", "to_app_tx", "to_app_dropped",
                                     "from_app_rx", "from_app_tx", "from_app_dropped")))')
	done
	line=$(grep -c . <<<"$report")
	if ((bad == 0 && line == 5)); then
		ok "aves-vhost-tap carried every appliance port's frames both ways (5 ports)"
		sed 's/^/#   /' <<<"${report%$'\n'}"
	else
		not_ok "aves-vhost-tap carried every appliance port's frames both ways (5 ports)" "$report"
	fi
}

# ---------------------------------------------------------------- every attachment

for pass in "${attachments[@]}"; do
	export AVES_ATTACH=$pass
	failed_before=$failed
	suite
	((failed > failed_before)) && show_logs
	devmode_cleanup
done

exit 0
