# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034 # the DEVMODE_* addresses are for the scripts sourcing this
#
# The development-mode topology of AVES on one machine: network namespaces, bridges, veth
# pairs and the DPDK appliances' TAP devices, the daemons and the real services. Sourced by
# app/devmode/aves-demo and test/e2e/run.sh; docs/DEVMODE.md draws the picture.
#
# Every name created here starts with "aves-" (namespaces, the links in them that face the
# Internet router) or lives inside such a namespace, so that devmode_cleanup can remove all of
# it by name, including what a killed earlier run left behind. Nothing outside the namespaces
# is touched except: the state directory $AVES_RUN, /etc/netns/aves-* (per-namespace
# resolv.conf), /etc/unbound/aves-devmode.conf, DPDK's runtime directories
# /var/run/dpdk/aves-{wp,gw1,gw2} (and aves-{wp,gw1,gw2}-vhost with AVES_ATTACH=virtio), and
# /run/sshd (sshd's privilege-separation directory, created when missing and left in place).
#
# The caller sets AVES_TOP (repository) and may set AVES_BUILD (build directory, default
# $AVES_TOP/build), AVES_RUN (state, default /run/aves-devmode), AVES_ATTACH (tap or virtio,
# default tap), AVES_CONF (directory of the appliances' and aves-dns's configuration files,
# default $AVES_TOP/config/devmode).

AVES_BUILD=${AVES_BUILD:-$AVES_TOP/build}
AVES_RUN=${AVES_RUN:-/run/aves-devmode}
AVES_ATTACH=${AVES_ATTACH:-tap}
AVES_CONF=${AVES_CONF:-$AVES_TOP/config/devmode}
AVES_PY=/usr/bin/python3    # Debian's, which sees python3-scapy; "python3" on PATH may not

# Every namespace, in creation order. "inet" is the Internet router; a1, a2 the initiators;
# x a host that attacks; dns and res run aves-dns and unbound; wp and gw1, gw2 run the DPDK
# appliances (and, for the gateways, the private networks' bridges); h1b, h1c are home1's
# responders, h2b, h2c home2's.
DEVMODE_NS=(inet a1 a2 x dns res wp gw1 gw2 h1b h1c h2b h2c)

# The addresses (docs/DEVMODE.md).
DEVMODE_A1=203.0.113.11
DEVMODE_A2=203.0.113.12
DEVMODE_X=203.0.113.66
DEVMODE_DNS=192.0.2.53
DEVMODE_RESOLVER=198.51.100.53
DEVMODE_WP=192.0.2.10
DEVMODE_WAYPOINTS=(192.0.2.100 192.0.2.101 192.0.2.102 192.0.2.103)
DEVMODE_GW1=198.51.100.20
DEVMODE_GW2=198.51.100.30
DEVMODE_ZONE=avesnet.test

devmode_step_name=

# devmode_step TEXT: announce the step that follows (failures name it).
devmode_step() {
	devmode_step_name=$1
	echo "aves-devmode: $1"
}

# devmode_fail WHAT [LOG]: say which step failed, what went wrong, and show the end of LOG.
devmode_fail() {
	echo "aves-devmode: FAILED while ${devmode_step_name:-starting}: $1" >&2
	if [[ -n "${2:-}" && -s "$2" ]]; then
		echo "aves-devmode: last lines of $2:" >&2
		tail -n 15 "$2" | sed 's/^/    /' >&2
	fi
	return 1
}

# devmode_wait SECONDS CMD...: run CMD every 0.1 s until it succeeds; 1 if it never did.
devmode_wait() {
	local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	until "$@" >/dev/null 2>&1; do
		((${EPOCHREALTIME/./} < deadline)) || return 1
		sleep 0.1
	done
}

# devmode_ns HOST CMD...: run CMD in the namespace of HOST (a1, gw1, ...).
devmode_ns() {
	local ns=aves-$1
	shift
	ip netns exec "$ns" "$@"
}

# devmode_with_resolver HOST RESOLVER CMD...: run CMD in HOST's namespace with
# /etc/resolv.conf naming RESOLVER only, so glibc's lookups (curl, ssh, ping by name) go there:
# aves-dns directly (intranet deployment) or unbound (general deployment).
devmode_with_resolver() {
	local host=$1 resolver=$2 conf
	shift 2
	conf=$AVES_RUN/resolv/$resolver.conf
	if [[ ! -f "$conf" ]]; then
		mkdir -p "$AVES_RUN/resolv"
		printf 'nameserver %s\noptions timeout:2 attempts:3\n' "$resolver" >"$conf"
	fi
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "aves-$host" unshare --mount sh -c \
		'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$conf" "$@"
}

# ---------------------------------------------------------------- cleanup

# devmode_gone PID...: none of them is running (exited, or a zombie its parent has not
# reaped yet).
devmode_gone() {
	local pid st
	for pid in "$@"; do
		st=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		st=${st##*) }
		[[ ${st%% *} == Z ]] || return 1
	done
	return 0
}

# devmode_kill PID...: TERM, up to 5 s for them to end, then KILL.
devmode_kill() {
	(($#)) || return 0
	kill -TERM "$@" 2>/dev/null
	devmode_wait 5 devmode_gone "$@" || kill -KILL "$@" 2>/dev/null
	return 0
}

# devmode_stop NAME: stop one daemon started with devmode_spawn.
devmode_stop() {
	local f=$AVES_RUN/pids/$1
	[[ -f "$f" ]] || return 0
	devmode_kill "$(<"$f")"
	rm -f "$f"
}

# devmode_ours: the namespaces of development mode that exist now (only the names in
# DEVMODE_NS: other aves-* namespaces are not ours to remove).
devmode_ours() {
	local ns
	for ns in "${DEVMODE_NS[@]}"; do
		[[ -e "/run/netns/aves-$ns" ]] && echo "aves-$ns"
	done
	return 0
}

# devmode_cleanup: remove everything development mode creates, whoever created it: this run,
# or an earlier one that was killed. Safe to call any number of times. The processes to stop
# are found by namespace, not by pid file: every one runs in one of our namespaces, and a pid
# file left by a killed run may name a pid that now belongs to something else.
devmode_cleanup() {
	local ns pids=()
	for ns in $(devmode_ours); do
		# shellcheck disable=SC2207 # pids are words
		pids+=($(ip netns pids "$ns" 2>/dev/null))
	done
	devmode_kill "${pids[@]}"
	for ns in $(devmode_ours); do
		ip netns delete "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	for ns in wp gw1 gw2; do
		rm -rf "/var/run/dpdk/aves-$ns" "/var/run/dpdk/aves-$ns-vhost"
	done
	rm -f /etc/unbound/aves-devmode.conf
	if [[ -n "$AVES_RUN" && "$AVES_RUN" == */aves-* ]]; then
		rm -rf "$AVES_RUN"
	fi
	return 0
}

# ---------------------------------------------------------------- links

# devmode_ns_add NAME: a namespace with loopback up and without IPv6 (AVES is IPv4; this keeps
# neighbour discovery and router solicitations off every link).
devmode_ns_add() {
	ip netns add "aves-$1" && ip -n "aves-$1" link set lo up &&
		devmode_sysctl "$1" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# devmode_host_link HOST SEGMENT-NS BRIDGE ADDRESS/LEN GATEWAY: a veth from a bridge in the
# segment's namespace to eth0 in HOST's namespace, addressed, with a default route.
devmode_host_link() {
	local host=$1 seg=$2 br=$3 addr=$4 gw=$5
	ip link add "aves-$host" netns "aves-$seg" type veth peer name eth0 netns "aves-$host" &&
		ip -n "aves-$seg" link set "aves-$host" master "$br" up &&
		ip -n "aves-$host" addr add "$addr" dev eth0 &&
		ip -n "aves-$host" link set eth0 up &&
		ip -n "aves-$host" route add default via "$gw"
}

# devmode_bridge NS NAME [ADDRESS/LEN]
devmode_bridge() {
	ip -n "aves-$1" link add "$2" type bridge &&
		ip -n "aves-$1" link set "$2" type bridge forward_delay 0 &&
		ip -n "aves-$1" link set "$2" up &&
		if [[ -n "${3:-}" ]]; then ip -n "aves-$1" addr add "$3" dev "$2"; fi
}

# devmode_wire NS N PEER-NS PEER-BRIDGE PEER-NAME: the veth "upN" in the appliance's
# namespace NS, whose other end PEER-NAME is a port of PEER-BRIDGE in PEER-NS. The appliance's
# DPDK device N is spliced onto upN once it exists (devmode_join).
devmode_wire() {
	local ns=$1 n=$2 peer_ns=$3 peer_br=$4 peer_name=$5
	ip link add "up$n" netns "aves-$ns" type veth peer name "$peer_name" netns "aves-$peer_ns" &&
		ip -n "aves-$peer_ns" link set "$peer_name" master "$peer_br" up &&
		ip -n "aves-$ns" link set "up$n" up
}

devmode_sysctl() {
	local ns=$1
	shift
	ip netns exec "aves-$ns" sysctl -qw "$@" >/dev/null
}

# devmode_topology_up: every namespace and link; no process yet.
devmode_topology_up() {
	local ns h
	for ns in "${DEVMODE_NS[@]}"; do
		devmode_ns_add "$ns" || return 1
	done

	# The Internet router: three segments. It forwards packets whose source is not on the
	# segment they arrive from (a gateway sends [W -> A] from the ISP segment): no reverse
	# path filter, as on the Internet without ingress filtering (the paper's §6.4).
	devmode_sysctl inet net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.icmp_ratelimit=0 || return 1
	devmode_bridge inet aves-svc 192.0.2.1/24 &&      # the AVES service provider
		devmode_bridge inet aves-isp 198.51.100.1/24 && # gateways and the resolver
		devmode_bridge inet aves-cli 203.0.113.1/24 ||  # the initiators
		return 1

	devmode_host_link a1 inet aves-cli "$DEVMODE_A1/24" 203.0.113.1 &&
		devmode_host_link a2 inet aves-cli "$DEVMODE_A2/24" 203.0.113.1 &&
		devmode_host_link x inet aves-cli "$DEVMODE_X/24" 203.0.113.1 &&
		devmode_host_link dns inet aves-svc "$DEVMODE_DNS/24" 192.0.2.1 &&
		devmode_host_link res inet aves-isp "$DEVMODE_RESOLVER/24" 198.51.100.1 ||
		return 1

	# The appliances' namespaces: one veth per DPDK port, spliced to the device once the
	# appliance has created it. The waypoint's reaches the service segment; each gateway's
	# outside one the ISP segment, its inside one the bridge br1 in its own namespace, which
	# is its subscriber's private network 10.0.0.0/24.
	devmode_wire wp 0 inet aves-svc aves-wp &&
		devmode_wire gw1 0 inet aves-isp aves-gw1 &&
		devmode_wire gw2 0 inet aves-isp aves-gw2 &&
		devmode_bridge gw1 br1 &&
		devmode_bridge gw2 br1 &&
		devmode_wire gw1 1 gw1 br1 lan-gw &&
		devmode_wire gw2 1 gw2 br1 lan-gw ||
		return 1

	# Responders. home1's route out through its gateway (10.0.0.1); home2 is multi-homed:
	# its default route is the site's other exit 10.0.0.254 (not modelled, so nothing that
	# takes it gets anywhere), and only the gateway's multi-homed mode brings replies back.
	devmode_host_link h1b gw1 br1 10.0.0.2/24 10.0.0.1 &&
		devmode_host_link h1c gw1 br1 10.0.0.3/24 10.0.0.1 &&
		devmode_host_link h2b gw2 br1 10.0.0.2/24 10.0.0.254 &&
		devmode_host_link h2c gw2 br1 10.0.0.3/24 10.0.0.254 ||
		return 1
	for h in h1b h1c h2b h2c; do
		# traceroute's probes each need their port unreachable back at once.
		devmode_sysctl "$h" net.ipv4.icmp_ratelimit=0 || return 1
	done

	# Name resolution on the Internet's hosts ("ip netns exec" binds these over
	# /etc/resolv.conf): a1 asks aves-dns itself (intranet deployment), a2 and x ask unbound
	# (general deployment).
	devmode_resolver a1 "$DEVMODE_DNS" && devmode_resolver a2 "$DEVMODE_RESOLVER" &&
		devmode_resolver x "$DEVMODE_RESOLVER"
}

# devmode_resolver HOST ADDRESS: HOST's /etc/resolv.conf names ADDRESS.
devmode_resolver() {
	mkdir -p "/etc/netns/aves-$1" &&
		printf 'nameserver %s\noptions timeout:2 attempts:3\n' "$2" >"/etc/netns/aves-$1/resolv.conf"
}

# ---------------------------------------------------------------- processes

# devmode_spawn NAME HOST CMD...: start CMD in HOST's namespace in the background, output to
# $AVES_RUN/log/NAME.log, pid to $AVES_RUN/pids/NAME.
devmode_spawn() {
	local name=$1 host=$2
	shift 2
	mkdir -p "$AVES_RUN/log" "$AVES_RUN/pids"
	# Its own session: a terminal's Ctrl-C or hang-up reaches the scripts, whose cleanup
	# stops the daemons in order, and a demo left running survives its terminal.
	setsid ip netns exec "aves-$host" "$@" >>"$AVES_RUN/log/$name.log" 2>&1 </dev/null &
	echo $! >"$AVES_RUN/pids/$name"
}

devmode_alive() {
	[[ -f "$AVES_RUN/pids/$1" ]] && ! devmode_gone "$(<"$AVES_RUN/pids/$1")"
}

# devmode_expect_alive NAME: fail with the end of its log when NAME has exited.
devmode_expect_alive() {
	devmode_alive "$1" || devmode_fail "$1 exited" "$AVES_RUN/log/$1.log"
}

# devmode_fill TEMPLATE OUT [KEY=VALUE...]: copy a config/devmode/*.in template replacing
# @RUN@ and each @KEY@.
devmode_fill() {
	local in=$1 out=$2 kv
	local args=(-e "s|@RUN@|$AVES_RUN|g")
	shift 2
	for kv in "$@"; do
		args+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
	done
	sed "${args[@]}" "$in" >"$out"
}

# ---------------------------------------------------------------- the DPDK appliances

# devmode_eal NS PORTS...: the EAL arguments of the appliance in namespace NS, one device per
# port name given (its name on the kernel side). net_tap by default. With AVES_ATTACH=virtio a
# virtio_user device whose vhost-user backend is aves-vhost-tap (devmode_start_vhost_tap),
# reached through the socket devmode_vhost_socket names; two queue pairs, one per lcore.
# --no-huge: EAL then backs its memory with a memfd, which the backend maps (vhost-user
# needs the frontend's memory as file descriptors; anonymous memory could not be shared).
devmode_eal() {
	local ns=$1 i=0 ifname
	shift
	DEVMODE_EAL=(-l 0-1 --no-pci --no-huge -m 256 --file-prefix "aves-$ns" --log-level 'lib.eal:error')
	for ifname in "$@"; do
		case $AVES_ATTACH in
		tap) DEVMODE_EAL+=(--vdev "net_tap$i,iface=$ifname") ;;
		virtio) DEVMODE_EAL+=(--vdev "virtio_user$i,path=$(devmode_vhost_socket "$ifname"),queues=2,queue_size=256") ;;
		esac
		i=$((i + 1))
	done
}

# devmode_attach_text: how the appliances are attached, in words.
devmode_attach_text() {
	case $AVES_ATTACH in
	virtio) echo "virtio_user devices, aves-vhost-tap as their vhost-user backend" ;;
	*) echo "net_tap devices" ;;
	esac
}

# devmode_vhost_socket IFNAME: the vhost-user socket between an appliance's port and the
# TAP device IFNAME.
devmode_vhost_socket() {
	echo "$AVES_RUN/vhost/$1.sock"
}

# devmode_start_vhost_tap NS PORTS...: with AVES_ATTACH=virtio, aves-vhost-tap in namespace
# NS, before the appliance: for each port name given, the vhost-user server the appliance's
# virtio_user port connects to, joined to a TAP device of that name. It does what the
# kernel's vhost-net would (docs/DEVMODE.md says why it is needed here). Ready when every
# socket exists (it makes the TAP devices first); they are spliced like net_tap's
# (devmode_join).
devmode_start_vhost_tap() {
	local ns=$1 i=0 ifname sock args=()
	shift
	[[ $AVES_ATTACH == virtio ]] || return 0
	mkdir -p "$AVES_RUN/vhost"
	args=(--lcores '0@(0,1)' --no-pci --no-huge -m 64 --file-prefix "aves-$ns-vhost"
		--log-level 'lib.eal:error' --log-level 'lib.vhost.config:warning')
	for ifname in "$@"; do
		sock=$(devmode_vhost_socket "$ifname")
		rm -f "$sock"
		args+=(--vdev "net_vhost$i,iface=$sock,queues=2" --vdev "net_tap$i,iface=$ifname")
		i=$((i + 1))
	done
	devmode_spawn "vhost-$ns" "$ns" "$AVES_BUILD/app/devmode/aves-vhost-tap" "${args[@]}" \
		-- --sleep 1000
	for ifname in "$@"; do
		sock=$(devmode_vhost_socket "$ifname")
		devmode_wait 10 devmode_socket_or_gone "vhost-$ns" "$sock"
		devmode_expect_alive "vhost-$ns" || return 1
		[[ -S "$sock" ]] ||
			devmode_fail "aves-vhost-tap made no socket $sock" "$AVES_RUN/log/vhost-$ns.log" ||
			return 1
	done
}

# devmode_socket_or_gone NAME SOCKET: SOCKET exists, or the daemon NAME has exited (no use
# waiting longer).
devmode_socket_or_gone() {
	[[ -S "$2" ]] || ! devmode_alive "$1"
}

# devmode_conf_for_attach CONF OUT: the configuration with device names for AVES_ATTACH.
devmode_conf_for_attach() {
	if [[ $AVES_ATTACH == virtio ]]; then
		sed -e 's/"net_tap\([0-9]\)"/"virtio_user\1"/' "$1" >"$2"
	else
		cp "$1" "$2"
	fi
}

# devmode_join NS IFNAME N: once the appliance has created its kernel-side device IFNAME,
# splice it to the veth upN: every frame the appliance sends comes out of upN, and every frame
# arriving at upN goes to the appliance (tc mirred in both directions). A splice rather than a
# bridge: a bridge would take the device's MAC, which is the appliance's own, as local and keep
# the appliance's frames.
devmode_join() {
	local ns=aves-$1 ifname=$2 up=up$3 a b
	devmode_wait 10 ip -n "$ns" link show "$ifname" || return 1
	for a in "$ifname" "$up"; do
		b=$up
		[[ $a == "$up" ]] && b=$ifname
		tc -n "$ns" qdisc add dev "$a" ingress &&
			tc -n "$ns" filter add dev "$a" parent ffff: protocol all prio 1 u32 \
				match u32 0 0 action mirred egress redirect dev "$b" || return 1
	done
}

# devmode_start_waypoint: aves-waypoint in namespace aves-wp with $AVES_CONF/waypoint.conf, its
# device on the service segment. Ready when it answers ping on its interface address.
devmode_start_waypoint() {
	local conf=$AVES_CONF/waypoint.conf run_conf=$AVES_RUN/conf/waypoint.conf
	mkdir -p "$AVES_RUN/conf"
	devmode_conf_for_attach "$conf" "$run_conf" || return 1
	"$AVES_BUILD/app/waypoint/aves-waypoint" --check-config -f "$run_conf" >/dev/null ||
		devmode_fail "aves-waypoint refused $run_conf (problems above)" || return 1
	devmode_start_vhost_tap wp aves-wp0 || return 1
	devmode_eal wp aves-wp0
	devmode_spawn waypoint wp "$AVES_BUILD/app/waypoint/aves-waypoint" "${DEVMODE_EAL[@]}" \
		-- -f "$run_conf"
	devmode_join wp aves-wp0 0 ||
		devmode_fail "aves-waypoint created no device aves-wp0" "$AVES_RUN/log/waypoint.log" ||
		return 1
	devmode_wait 15 devmode_ns dns ping -c 1 -W 1 "$DEVMODE_WP" ||
		{ devmode_expect_alive waypoint &&
			devmode_fail "aves-waypoint does not answer ping at $DEVMODE_WP" \
				"$AVES_RUN/log/waypoint.log"; } || return 1
	devmode_wait 10 devmode_telemetry aves-wp /aves/waypoint/stats ||
		devmode_fail "aves-waypoint's telemetry does not answer" "$AVES_RUN/log/waypoint.log"
}

# devmode_start_natgw N: aves-natgw N in namespace aves-gwN with $AVES_CONF/natgwN.conf, its
# outside device on the ISP segment, its inside device on homeN's private network. Ready when it
# answers ping on both sides.
devmode_start_natgw() {
	local n=$1 conf=$AVES_CONF/natgw$1.conf run_conf=$AVES_RUN/conf/natgw$1.conf outside
	mkdir -p "$AVES_RUN/conf"
	devmode_conf_for_attach "$conf" "$run_conf" || return 1
	"$AVES_BUILD/app/natgw/aves-natgw" --check-config -f "$run_conf" >/dev/null ||
		devmode_fail "aves-natgw refused $run_conf (problems above)" || return 1
	outside=$(sed -n '/side = "outside"/,/address/ s/.*address = "\([0-9.]*\).*/\1/p' "$run_conf")
	devmode_start_vhost_tap "gw$n" "aves-gw${n}o" "aves-gw${n}i" || return 1
	devmode_eal "gw$n" "aves-gw${n}o" "aves-gw${n}i"
	devmode_spawn "natgw$n" "gw$n" "$AVES_BUILD/app/natgw/aves-natgw" "${DEVMODE_EAL[@]}" \
		-- -f "$run_conf"
	{ devmode_join "gw$n" "aves-gw${n}o" 0 && devmode_join "gw$n" "aves-gw${n}i" 1; } ||
		devmode_fail "aves-natgw $n created no devices aves-gw${n}o, aves-gw${n}i" \
			"$AVES_RUN/log/natgw$n.log" || return 1
	{ devmode_wait 15 devmode_ns res ping -c 1 -W 1 "$outside" &&
		devmode_wait 15 devmode_ns "h${n}b" ping -c 1 -W 1 10.0.0.1; } ||
		{ devmode_expect_alive "natgw$n" &&
			devmode_fail "aves-natgw $n does not answer ping at $outside and 10.0.0.1" \
				"$AVES_RUN/log/natgw$n.log"; } || return 1
	devmode_wait 10 devmode_telemetry "aves-gw$n" /aves/natgw/stats ||
		devmode_fail "aves-natgw $n's telemetry does not answer" "$AVES_RUN/log/natgw$n.log"
}

# devmode_telemetry PREFIX COMMAND: one telemetry command's JSON reply, through Debian's
# dpdk-telemetry.py (package dpdk-dev), on one line.
devmode_telemetry() {
	local out
	out=$(echo "$2" | "$AVES_PY" /usr/bin/dpdk-telemetry.py -f "$1" 2>/dev/null) || return 1
	[[ "$out" == "{"* ]] || return 1
	echo "$out"
}

# devmode_tel_get PREFIX COMMAND PATH...: values inside the reply, by dotted path
# ("counters.fwd_pkts"); one line per path, "null" where there is nothing.
devmode_tel_get() {
	local json
	json=$(devmode_telemetry "$1" "$2") || return 1
	shift 2
	"$AVES_PY" - "$json" "$@" <<'EOF'
import json, sys
reply = json.loads(sys.argv[1])
root = next(iter(reply.values())) if len(reply) == 1 else reply
for path in sys.argv[2:]:
    v = root
    for part in path.split("."):
        if isinstance(v, dict) and part in v:
            v = v[part]
        elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
            v = v[int(part)]
        else:
            v = None
            break
    print("null" if v is None else json.dumps(v) if isinstance(v, (dict, list)) else v)
EOF
}

# ---------------------------------------------------------------- aves-dns, unbound

# devmode_start_dns: aves-dns in namespace aves-dns with $AVES_CONF/dns.conf, in the foreground
# (-d) so its log is $AVES_RUN/log/aves-dns.log. Ready when it answers the SOA.
devmode_start_dns() {
	local conf=$AVES_CONF/dns.conf
	"$AVES_BUILD/dns/aves-dns" --check-config -f "$conf" >/dev/null ||
		devmode_fail "aves-dns refused $conf (problems above)" || return 1
	devmode_spawn aves-dns dns "$AVES_BUILD/dns/aves-dns" -d -f "$conf"
	devmode_wait 10 devmode_ns a1 dig +time=1 +tries=1 +short @"$DEVMODE_DNS" "$DEVMODE_ZONE" SOA ||
		{ devmode_expect_alive aves-dns &&
			devmode_fail "aves-dns does not answer at $DEVMODE_DNS" "$AVES_RUN/log/aves-dns.log"; }
}

# devmode_start_unbound: Debian's unbound in namespace aves-res, the initiators' resolver.
# Its configuration is $DEVMODE_UNBOUND_CONF (config/devmode/unbound.conf.in says why there).
DEVMODE_UNBOUND_CONF=/etc/unbound/aves-devmode.conf
devmode_start_unbound() {
	devmode_fill "$AVES_TOP/config/devmode/unbound.conf.in" "$DEVMODE_UNBOUND_CONF" ||
		devmode_fail "cannot write $DEVMODE_UNBOUND_CONF" || return 1
	unbound-checkconf "$DEVMODE_UNBOUND_CONF" >/dev/null ||
		devmode_fail "unbound-checkconf refused $DEVMODE_UNBOUND_CONF" || return 1
	devmode_spawn unbound res /usr/sbin/unbound -d -c "$DEVMODE_UNBOUND_CONF"
	devmode_wait 10 devmode_ns a1 dig +time=1 +tries=1 @"$DEVMODE_RESOLVER" "$DEVMODE_ZONE" SOA ||
		{ devmode_expect_alive unbound &&
			devmode_fail "unbound does not answer at $DEVMODE_RESOLVER" "$AVES_RUN/log/unbound.log"; }
}

# ---------------------------------------------------------------- services on the responders

# Which responder runs what: every one a web server, sshd and a UDP echo service; iperf3 and
# vsftpd on the .2 hosts (web.home1 = ftp.home1, web.home2 = ftp.home2).
DEVMODE_RESPONDERS=(h1b h1c h2b h2c)

devmode_responder_addr() {
	case $1 in
	h?b) echo 10.0.0.2 ;;
	h?c) echo 10.0.0.3 ;;
	esac
}

devmode_responder_name() {
	case $1 in
	h1b) echo web.home1 ;;
	h1c) echo pc.home1 ;;
	h2b) echo web.home2 ;;
	h2c) echo pc.home2 ;;
	esac
}

# devmode_start_services: the services behind both gateways, the test key pair, the pages.
devmode_start_services() {
	local h addr name
	mkdir -p "$AVES_RUN/ssh" "$AVES_RUN/ftp" /run/sshd
	if [[ ! -f "$AVES_RUN/ssh/id_ed25519" ]]; then
		ssh-keygen -q -t ed25519 -N '' -C aves-devmode-host -f "$AVES_RUN/ssh/host_ed25519" &&
			ssh-keygen -q -t ed25519 -N '' -C aves-devmode-client -f "$AVES_RUN/ssh/id_ed25519" &&
			cp "$AVES_RUN/ssh/id_ed25519.pub" "$AVES_RUN/ssh/authorized_keys" ||
			devmode_fail "ssh-keygen failed" || return 1
	fi
	# The FTP file: 1 MB, so a transfer is more than one window.
	head -c 1048576 /dev/urandom >"$AVES_RUN/ftp/file.bin"
	for h in "${DEVMODE_RESPONDERS[@]}"; do
		addr=$(devmode_responder_addr "$h")
		name=$(devmode_responder_name "$h")
		mkdir -p "$AVES_RUN/$h/www"
		printf 'Hello from %s.%s (%s, namespace aves-%s)\n' "$name" "$DEVMODE_ZONE" "$addr" "$h" \
			>"$AVES_RUN/$h/www/index.html"
		# 4 MB to fetch, to see throughput and fragmentation-free large transfers.
		head -c 4194304 /dev/zero >"$AVES_RUN/$h/www/big.bin"
		devmode_spawn "web-$h" "$h" "$AVES_PY" -m http.server 80 --bind "$addr" \
			--directory "$AVES_RUN/$h/www"
		devmode_fill "$AVES_TOP/config/devmode/sshd_config.in" "$AVES_RUN/$h/sshd_config" \
			"ADDR=$addr" "NAME=$h"
		devmode_spawn "sshd-$h" "$h" /usr/sbin/sshd -D -e -f "$AVES_RUN/$h/sshd_config"
		# UDP echo on port 7: each datagram comes back to its sender.
		devmode_spawn "echo-$h" "$h" socat "UDP4-RECVFROM:7,bind=$addr,fork" PIPE
		case $h in
		h?b) devmode_spawn "iperf3-$h" "$h" iperf3 -s -B "$addr" ;;
		esac
	done
	# FTP on both .2 hosts: through home1 active mode works, through multi-homed home2 the
	# server refuses the PORT command (the paper's §5.3).
	for h in h1b h2b; do
		mkdir -p "$AVES_RUN/$h/vsftpd-empty"
		devmode_fill "$AVES_TOP/config/devmode/vsftpd.conf.in" "$AVES_RUN/$h/vsftpd.conf" \
			"ADDR=10.0.0.2" "NAME=$h"
		devmode_spawn "vsftpd-$h" "$h" vsftpd "$AVES_RUN/$h/vsftpd.conf"
	done

	for h in "${DEVMODE_RESPONDERS[@]}"; do
		addr=$(devmode_responder_addr "$h")
		devmode_wait 10 devmode_ns "$h" curl -sf -o /dev/null "http://$addr/" ||
			devmode_fail "the web server on $h ($addr) does not answer" "$AVES_RUN/log/web-$h.log" ||
			return 1
		devmode_wait 10 devmode_ns "$h" sh -c "echo | nc -w 1 $addr 22 | grep -q SSH" ||
			devmode_fail "sshd on $h ($addr) does not answer" "$AVES_RUN/log/sshd-$h.log" ||
			return 1
	done
	for h in h1b h2b; do
		devmode_wait 10 devmode_ns "$h" sh -c "echo QUIT | nc -w 1 10.0.0.2 21 | grep -q ^220" ||
			devmode_fail "vsftpd on $h does not answer" "$AVES_RUN/log/vsftpd-$h.log" ||
			return 1
	done
}

# ---------------------------------------------------------------- all of it

# The programs development mode runs, as ninja targets (paths in the build directory).
DEVMODE_PROGRAMS="app/waypoint/aves-waypoint app/natgw/aves-natgw dns/aves-dns app/devmode/aves-vhost-tap"

# devmode_check_prerequisites: root, the programs, the built binaries.
devmode_check_prerequisites() {
	local p missing=()
	[[ $EUID -eq 0 ]] || devmode_fail "development mode needs root (namespaces, TAP devices)" ||
		return 1
	for p in ip tc unshare dig curl ssh ssh-keygen nc socat iperf3 vsftpd unbound \
		unbound-checkconf traceroute ping /usr/sbin/sshd /usr/bin/dpdk-telemetry.py "$AVES_PY"; do
		command -v "$p" >/dev/null || missing+=("$p")
	done
	((${#missing[@]} == 0)) ||
		devmode_fail "missing programs: ${missing[*]} (run .ci/install-deps.sh --system)" ||
		return 1
	case $AVES_ATTACH in
	tap | virtio) ;;
	*) devmode_fail "AVES_ATTACH must be tap or virtio, not '$AVES_ATTACH'" || return 1 ;;
	esac
	for p in $DEVMODE_PROGRAMS; do
		[[ -x "$AVES_BUILD/$p" ]] || missing+=("$AVES_BUILD/$p")
	done
	((${#missing[@]} == 0)) || devmode_fail "not built: ${missing[*]}" || return 1
}

# devmode_up: topology, daemons, services: the whole system, ready to use. Call
# devmode_check_prerequisites and devmode_cleanup (which removes what an earlier run left)
# first.
devmode_up() {
	mkdir -p "$AVES_RUN"
	devmode_step "creating the namespaces, bridges and links" && devmode_topology_up ||
		devmode_fail "could not create the topology (ip said why, above)" || return 1
	devmode_step "starting aves-dns (192.0.2.53)" && devmode_start_dns || return 1
	devmode_step "starting unbound (198.51.100.53)" && devmode_start_unbound || return 1
	devmode_step "starting aves-waypoint (192.0.2.10; waypoint addresses 192.0.2.100-103)" &&
		devmode_start_waypoint || return 1
	devmode_step "starting aves-natgw 1 (home1, 198.51.100.20)" && devmode_start_natgw 1 || return 1
	devmode_step "starting aves-natgw 2 (home2, 198.51.100.30, multi-homed)" &&
		devmode_start_natgw 2 || return 1
	devmode_step "starting the services behind the gateways (web, sshd, echo, iperf3, vsftpd)" &&
		devmode_start_services || return 1
	devmode_step "waiting for both gateways' REGISTER to reach aves-dns"
	devmode_wait 15 devmode_registered 2 ||
		devmode_fail "aves-dns has not registered both gateways" "$AVES_RUN/log/aves-dns.log"
}

# devmode_dns_stats: aves-dns's counters (SIGUSR1 writes them to its log).
devmode_dns_stats() {
	local log=$AVES_RUN/log/aves-dns.log before
	before=$(grep -c 'state:' "$log")
	kill -USR1 "$(<"$AVES_RUN/pids/aves-dns")" || return 1
	devmode_wait 5 sh -c "[ \$(grep -c 'state:' '$log') -gt $before ]" || return 1
	awk '/statistics:/ { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$log"
}

# devmode_registered N: aves-dns has N gateways registered.
devmode_registered() {
	devmode_dns_stats | grep -q "gateways_registered=$1/"
}
