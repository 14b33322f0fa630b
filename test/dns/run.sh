#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# System tests of aves-dns with real clients: dig (and kdig) against the server, Debian's
# unbound as a recursive resolver in front of it (delayed binding), and a scripted fake
# waypoint and gateway (test/dns/fake_peer.py, Debian's /usr/bin/python3) speaking the
# control protocol; bursts of queries and lookups (read, tagged and sent in batches), and a
# second aves-dns one of whose waypoint appliances cannot be sent to (send errors). Everything runs on loopback addresses 127.0.x.y with high ports; every
# process started here is stopped, and the temporary directory removed, on success and on
# failure. Prints TAP lines and ends with "N passed, N failed"; exits non-zero on failure.
#
#   sudo test/dns/run.sh    BUILD_DIR=... another build directory (e.g. one with sanitizers);
#                           AVES_DNS_WRAP="valgrind -q --error-exitcode=9" runs the server under it
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
py=/usr/bin/python3
fake="$top/test/dns/fake_peer.py"

DNS_ADDR=127.0.53.1 DNS_PORT=15353 CTRL_PORT=14796
CLIENT=127.0.0.10   # inside local-prefixes: an intranet initiator
BURST_NET=127.0.1   # 127.0.1.1-32, inside local-prefixes: initiators of the burst tests
SCANNER=127.0.0.11  # asks for names that do not exist
RAW=127.0.0.12      # sends malformed packets
UNBOUND=127.0.0.20 UNBOUND_PORT=15320 UNBOUND_OUT=127.0.0.21
WAYPOINT=127.0.0.30 WAYPOINT_PORT=14797
SERVICE_SECRET=00112233445566778899aabbccddeeff
GW_SECRET=0123456789abcdef0123456789abcdef
GW_PUBLIC=203.0.113.1

passed=0
failed=0
tmp=
pids=()

ok() {
	passed=$((passed + 1))
	echo "ok $((passed + failed)) - $1"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok $((passed + failed)) - $1"
	if [[ -n "${2:-}" ]]; then
		# shellcheck disable=SC2001 # every line, not the whole string
		sed 's/^/#   /' <<<"$2" | head -40
	fi
}

# expect NAME TEXT REGEX...: every extended regex matches some line of TEXT.
expect() {
	local name=$1 text=$2 re
	shift 2
	for re in "$@"; do
		if ! grep -qE -- "$re" <<<"$text"; then
			not_ok "$name" "missing /$re/ in:"$'\n'"$text"
			return
		fi
	done
	ok "$name"
}

# refute NAME TEXT REGEX: the regex matches no line.
refute() {
	if grep -qE -- "$3" <<<"$2"; then
		not_ok "$1" "unexpected /$3/ in:"$'\n'"$2"
	else
		ok "$1"
	fi
}

die() {
	echo "test/dns/run.sh: $*" >&2
	not_ok "$*"
	exit 1
}

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	[[ -n "$tmp" ]] && rm -rf "$tmp"
	rm -f /etc/unbound/aves-dnstest.conf
	echo "$passed passed, $failed failed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_time=$EPOCHREALTIME

# ---------------------------------------------------------------- prerequisites and build
"$top/.ci/install-deps.sh" --system >/dev/null || die "installing the system-test packages failed"
if [[ ! -f "$build/build.ninja" ]]; then
	meson setup "$build" "$top" >/dev/null || die "meson setup $build failed"
fi
ninja -C "$build" dns/aves-dns >/dev/null || die "building aves-dns failed"
aves_dns="$build/dns/aves-dns"
pgrep -x unbound >/dev/null && echo "# note: another unbound is running; ours uses its own port"

tmp=$(mktemp -d /tmp/aves-dns-test.XXXXXX)
log="$tmp/aves-dns.log"
setups="$tmp/setups.jsonl"
mode="$tmp/mode"
: >"$setups"
echo accept >"$mode"

# ---------------------------------------------------------------- configuration
ns_list='{ name = "ns1"; address = "192.0.2.53"; }'
for i in $(seq -w 2 20); do
	ns_list+=", { name = \"ns$i\"; address = \"192.0.2.$((10#$i + 60))\"; }"
done
write_conf() { # serial
	cat >"$tmp/dns.conf" <<EOF
listen = [ "$DNS_ADDR" ];
port = $DNS_PORT;
control = { address = "$DNS_ADDR"; port = $CTRL_PORT; };
zone = {
	name = "avesnet.test";
	soa = { serial = $1; minimum = 60; };
	ns = ( $ns_list );
};
service-keys = ( { id = 1; secret = "$SERVICE_SECRET"; } );
waypoints = ( { address = "$WAYPOINT"; port = $WAYPOINT_PORT;
	addresses = [ "192.0.2.100", "192.0.2.101", "192.0.2.102", "192.0.2.103" ]; } );
subscribers = (
	{ name = "home1"; keys = ( { id = 101; secret = "$GW_SECRET"; } );
	  hosts = ( { name = "web"; address = "10.0.0.2"; }, { name = "ssh"; address = "10.0.0.3"; } ); },
	{ name = "home2"; keys = ( { id = 102; secret = "fedcba9876543210fedcba9876543210"; } );
	  hosts = ( { name = "web"; address = "10.0.0.2"; } ); }
);
local-prefixes = [ "$CLIENT/32", "$BURST_NET.0/24" ];
# The burst tests ask for 32 sessions per responder at once.
session-burst = 64;
# A fake waypoint that is told to ignore SETUPs must not get the appliance marked down for
# the tests that follow.
waypoint-fail-threshold = 100;
penalty-time = 60;
tcp-max-connections = 8;
tcp-idle-timeout = 1000;
EOF
}
write_conf 100

# ---------------------------------------------------------------- --check-config
out=$("$aves_dns" --check-config -f "$tmp/dns.conf" 2>&1)
rc=$?
if [[ $rc -ne 0 ]]; then
	not_ok "--check-config exits 0" "rc=$rc $out"
else
	expect "--check-config prints the effective values" "$out" \
		'^port = 15353;' '^hold-time = 3000;' '^zone.name = "avesnet.test.";' \
		'^waypoint: control 127.0.0.30:14797 addresses 192.0.2.100 ' \
		'^  host: "web.home1.avesnet.test." 10.0.0.2$'
fi

cat >"$tmp/bad.conf" <<EOF
port = 0;
colour = "blue";
zone = { name = "avesnet.test"; ns = ( { name = "ns1"; } ); };
EOF
out=$("$aves_dns" --check-config -f "$tmp/bad.conf" 2>&1)
rc=$?
if [[ $rc -ne 1 ]]; then
	not_ok "--check-config on a bad file exits 1" "rc=$rc $out"
else
	expect "--check-config reports every problem as file:line: setting: what" "$out" \
		"^$tmp/bad.conf:1: port: out of range 1..65535 \\(0\\)$" \
		"^$tmp/bad.conf:2: colour: unknown setting$" \
		"^$tmp/bad.conf:3: zone.ns: a name server inside the zone needs an address" \
		"^$tmp/bad.conf: service-keys: required setting missing" \
		"^$tmp/bad.conf: waypoints: at least one waypoint is needed"
fi

# ---------------------------------------------------------------- start aves-dns
# shellcheck disable=SC2086 # the wrapper is a command line
${AVES_DNS_WRAP:-} "$aves_dns" -d -f "$tmp/dns.conf" 2>"$log" &
dns_pid=$!
pids+=("$dns_pid")
DIG=(dig @"$DNS_ADDR" -p "$DNS_PORT" -b "$CLIENT" +norec +time=2 +tries=1)
for _ in $(seq 50); do
	"${DIG[@]}" +time=1 avesnet.test SOA >/dev/null 2>&1 && break
	sleep 0.1
done
kill -0 "$dns_pid" 2>/dev/null || die "aves-dns did not start: $(cat "$log")"

# stats_of PID LOG: ask that aves-dns for a dump (SIGUSR1) and print it.
stats_of() {
	local before after
	before=$(grep -c 'aves-dns: state:' "$2")
	kill -USR1 "$1"
	for _ in $(seq 50); do
		after=$(grep -c 'aves-dns: state:' "$2")
		((after > before)) && break
		sleep 0.05
	done
	awk '/aves-dns: statistics:/ { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$2"
}
stats() { stats_of "$dns_pid" "$log"; }

# ---------------------------------------------------------------- UDP receive buffers
# rb: the kernel's figure, twice what was set. As root SO_RCVBUFFORCE gets the full 4 MiB
# whatever net.core.rmem_max says; without CAP_NET_ADMIN SO_RCVBUF is capped at it, and a
# smaller buffer than asked is logged at NOTICE.
want=$((4 << 20))
rmem_max=$(cat /proc/sys/net/core/rmem_max)
rcvbufs() { # PORT...: the rb of each UDP socket bound to one of the ports
	local p filter=
	for p in "$@"; do filter+="${filter:+ or }sport = :$p"; done
	ss -uamn "( $filter )" | grep -o 'rb[0-9]*' | tr -d rb | tr '\n' ' '
}
out=$(rcvbufs "$DNS_PORT" "$CTRL_PORT")
if [[ "$out" == "$((2 * want)) $((2 * want)) " ]]; then
	ok "as root, the DNS and control sockets get 4 MiB receive buffers"
else
	not_ok "as root, the DNS and control sockets get 4 MiB receive buffers" "rb: $out"
fi
refute "as root, no NOTICE about receive buffers" "$(cat "$log")" 'UDP receive buffers'
sed -e "s/^port = $DNS_PORT;/port = $((DNS_PORT + 1));/" \
	-e "s/port = $CTRL_PORT; };/port = $((CTRL_PORT + 1)); };/" "$tmp/dns.conf" >"$tmp/capped.conf"
setpriv --bounding-set -net_admin "$aves_dns" -d -f "$tmp/capped.conf" 2>"$tmp/capped.log" &
capped_pid=$!
pids+=("$capped_pid")
for _ in $(seq 50); do
	"${DIG[@]}" -p $((DNS_PORT + 1)) +time=1 avesnet.test SOA >/dev/null 2>&1 && break
	sleep 0.1
done
granted=$((rmem_max < want ? rmem_max : want))
out=$(rcvbufs $((DNS_PORT + 1)) $((CTRL_PORT + 1)))
kill "$capped_pid"
wait "$capped_pid" 2>/dev/null
kept=()
for p in "${pids[@]}"; do [[ $p == "$capped_pid" ]] || kept+=("$p"); done
pids=("${kept[@]}")
if [[ "$out" == "$((2 * granted)) $((2 * granted)) " ]]; then
	ok "without CAP_NET_ADMIN the buffers are capped at net.core.rmem_max ($rmem_max)"
else
	not_ok "without CAP_NET_ADMIN the buffers are capped at net.core.rmem_max ($rmem_max)" "rb: $out"
fi
if ((granted < want)); then
	expect "a capped buffer is logged at NOTICE" "$(cat "$tmp/capped.log")" \
		"UDP receive buffers: $((granted >> 10)) KiB granted of 4096 KiB asked"
else
	refute "a buffer not capped is not logged" "$(cat "$tmp/capped.log")" 'UDP receive buffers'
fi

# ---------------------------------------------------------------- authoritative answers
out=$("${DIG[@]}" avesnet.test SOA)
expect "SOA at the apex, authoritative" "$out" 'status: NOERROR' 'flags: qr aa;' \
	'^avesnet\.test\.\s+3600\s+IN\s+SOA\s+ns1\.avesnet\.test\. hostmaster\.avesnet\.test\. 100 3600 600 86400 60$'

out=$("${DIG[@]}" avesnet.test NS)
expect "NS set with glue for in-zone name servers" "$out" 'ANSWER: 20, AUTHORITY: 0, ADDITIONAL: 21' \
	'^avesnet\.test\.\s+3600\s+IN\s+NS\s+ns1\.avesnet\.test\.$' \
	'^ns1\.avesnet\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.53$' \
	'^ns20\.avesnet\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.80$'

out=$("${DIG[@]}" web.home1.avesnet.test AAAA)
expect "NODATA: AAAA for an existing name, SOA in authority" "$out" 'status: NOERROR' \
	'ANSWER: 0, AUTHORITY: 1' '^avesnet\.test\.\s+60\s+IN\s+SOA\s'

out=$("${DIG[@]}" home1.avesnet.test A)
expect "NODATA for a subscriber's own domain (no SETUP)" "$out" 'status: NOERROR' 'ANSWER: 0, AUTHORITY: 1'

out=$("${DIG[@]}" +bufsize=4096 +dnssec avesnet.test SOA)
expect "EDNS: OPT echoed, payload capped at 1232, DO copied" "$out" \
	'EDNS: version: 0, flags: do; udp: 1232'

out=$("${DIG[@]}" +edns=1 +noednsnegotiation avesnet.test SOA)
expect "EDNS version 1 gets BADVERS" "$out" 'status: BADVERS' 'EDNS: version: 0'

out=$("${DIG[@]}" +tcp avesnet.test SOA)
expect "SOA over TCP" "$out" 'status: NOERROR' 'ANSWER: 1' '\(TCP\)'

out=$("${DIG[@]}" +bufsize=512 +ignore avesnet.test NS)
expect "an answer larger than the UDP size is truncated (TC)" "$out" 'flags: qr aa tc;' 'ANSWER: 0'
out=$("${DIG[@]}" +bufsize=512 avesnet.test NS)
expect "after TC, dig retries over TCP and gets it all" "$out" 'ANSWER: 20,' 'ADDITIONAL: 21' '\(TCP\)'

out=$(kdig @"$DNS_ADDR" -p "$DNS_PORT" +norec +tcp +timeout=2 ns07.avesnet.test A 2>&1)
expect "kdig over TCP: a name server's address" "$out" \
	'status: NOERROR' '^ns07\.avesnet\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.67$'
out=$("${DIG[@]}" NS07.AvesNet.TEST A)
expect "the answer keeps the question's spelling (0x20-safe)" "$out" \
	'^NS07\.AvesNet\.TEST\.\s+3600\s+IN\s+A\s+192\.0\.2\.67$'

out=$("${DIG[@]}" avesnet.test AXFR 2>&1)
expect "AXFR is refused (zone transfers disabled)" "$out" 'Transfer failed'
out=$("${DIG[@]}" avesnet.test IXFR=1 2>&1)
expect "IXFR is refused" "$out" 'Transfer failed|REFUSED'
out=$("${DIG[@]}" example.com A)
expect "a name outside the zone is refused" "$out" 'status: REFUSED' 'flags: qr;'
out=$("${DIG[@]}" -c CH avesnet.test SOA)
expect "class CH is refused" "$out" 'status: REFUSED'

# ---------------------------------------------------------------- scanning defence
DIG_SCAN=(dig @"$DNS_ADDR" -p "$DNS_PORT" -b "$SCANNER" +norec +time=1 +tries=1)
out=$("${DIG_SCAN[@]}" nosuchhost.home1.avesnet.test A)
expect "NXDOMAIN with the SOA (negative TTL = SOA minimum)" "$out" 'status: NXDOMAIN' 'flags: qr aa;' \
	'^avesnet\.test\.\s+60\s+IN\s+SOA\s'
out=$("${DIG_SCAN[@]}" avesnet.test SOA 2>&1)
expect "the scanner is then penalised: its queries are dropped" "$out" 'timed out|no servers could be reached'
out=$("${DIG[@]}" avesnet.test SOA)
expect "other requesters are unaffected" "$out" 'status: NOERROR'

# ---------------------------------------------------------------- malformed messages
out=$("$py" - "$DNS_ADDR" "$DNS_PORT" "$RAW" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[3], 0))
s.settimeout(1)
dst = (sys.argv[1], int(sys.argv[2]))
# A header promising one question, then a name cut short; then a 5-byte runt; then a
# question whose name is a compression pointer to itself.
for pkt in (bytes.fromhex("abcd0000000100000000000003777777"),
            bytes.fromhex("0102030405"),
            bytes.fromhex("beef00000001000000000000c00c00010001")):
    s.sendto(pkt, dst)
    try:
        r = s.recv(600)
        print("reply id=%02x%02x rcode=%d qdcount=%d len=%d" % (r[0], r[1], r[3] & 15, r[5], len(r)))
    except socket.timeout:
        print("no reply")
EOF
)
expect "malformed queries get FORMERR or are dropped" "$out" \
	'^reply id=abcd rcode=1 qdcount=0 len=12$' '^no reply$' '^reply id=beef rcode=1 qdcount=0 len=12$'
out=$(stats)
expect "malformed queries are counted by reason" "$out" \
	'malformed:.* short_header=1' 'malformed:.* pointer_forward=1' 'malformed:.* question_truncated=1' \
	'defence: penalised_drops=1 penalties_started=1'

# ---------------------------------------------------------------- TCP: pipelining, limits, idle
out=$("$py" - "$DNS_ADDR" "$DNS_PORT" <<'EOF'
import socket, struct, sys, time
dst = (sys.argv[1], int(sys.argv[2]))

def query(qid, name, qtype):
    q = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)

def frame(m):
    return struct.pack("!H", len(m)) + m

def read_frame(s):
    buf = b""
    while len(buf) < 2:
        buf += s.recv(2 - len(buf))
    n = struct.unpack("!H", buf)[0]
    buf = b""
    while len(buf) < n:
        buf += s.recv(n - len(buf))
    return buf

def closed(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        return False

# Two queries in one segment: two replies, in order.
s = socket.create_connection(dst)
s.sendall(frame(query(1, "avesnet.test", 6)) + frame(query(2, "ns1.avesnet.test", 28)))
for _ in range(2):
    r = read_frame(s)
    print("pipelined id=%d rcode=%d ancount=%d" % (struct.unpack("!H", r[:2])[0], r[3] & 15, r[7]))
s.close()
# A zero length prefix is a framing error: the connection is closed.
s = socket.create_connection(dst)
s.sendall(b"\0\0")
print("zero length closed" if closed(s, 2) else "zero length kept")
time.sleep(0.1)
# tcp-max-connections = 8: the ninth is closed at once.
conns = [socket.create_connection(dst) for _ in range(8)]
time.sleep(0.2)
ninth = socket.create_connection(dst)
print("ninth closed" if closed(ninth, 1) else "ninth kept")
# tcp-idle-timeout = 1000 ms: the eight idle ones are closed.
time.sleep(1.2)
print("idle closed %d" % sum(closed(c, 0.5) for c in conns))
EOF
)
expect "TCP: pipelined queries answered in order; limits and idle timeout enforced" "$out" \
	'^pipelined id=1 rcode=0 ancount=1$' '^pipelined id=2 rcode=0 ancount=0$' \
	'^zero length closed$' '^ninth closed$' '^idle closed 8$'
out=$(stats)
expect "TCP events are counted" "$out" 'tcp: accepted=[0-9]+ refused_full=1 idle_closed=[89] ' \
	'malformed:.* tcp_length=1'

# ---------------------------------------------------------------- held answers (SETUP → ACCEPT)
out=$("${DIG[@]}" web.home1.avesnet.test A)
expect "before its gateway registered, a subscriber's host gets SERVFAIL" "$out" 'status: SERVFAIL'

"$py" "$fake" waypoint --listen "$WAYPOINT:$WAYPOINT_PORT" --key-id 1 --secret "$SERVICE_SECRET" \
	--mode-file "$mode" --log "$setups" --wait-ms 2000 2>"$tmp/fake.err" &
pids+=($!)
"$py" "$fake" register --to "$DNS_ADDR:$CTRL_PORT" --key-id 101 --secret "$GW_SECRET" \
	--origin "$GW_PUBLIC" --public "$GW_PUBLIC" --tunnel-port 4797
sleep 0.3

last_setup() { tail -n 1 "$setups"; }
field() { "$py" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
waypoint_of() { grep -E '^web\.home1\.avesnet\.test\.' <<<"$1" | awk '{ print $5 }'; }

out=$("${DIG[@]}" web.home1.avesnet.test A)
s=$(last_setup)
expect "intranet mode: the answer is a waypoint address with TTL 0" "$out" 'status: NOERROR' \
	'flags: qr aa;' '^web\.home1\.avesnet\.test\.\s+0\s+IN\s+A\s+192\.0\.2\.10[0-3]$'
w=$(waypoint_of "$out")
if [[ -n "$s" && "$(field "$s" tag_ok)" == True && "$(field "$s" mode)" == 1 &&
	"$(field "$s" initiator)" == "$CLIENT" && "$(field "$s" gateway)" == "$GW_PUBLIC" &&
	"$(field "$s" responder)" == 10.0.0.2 && "$(field "$s" gw_key)" == 101 &&
	"$(field "$s" gw_port)" == 4797 && "$(field "$s" origin)" == "$DNS_ADDR" &&
	"$(field "$s" key_id)" == 1 && "$(field "$s" waypoint)" == "$w" &&
	"$(field "$s" peer)" == "$DNS_ADDR:$CTRL_PORT" ]] && (($(field "$s" skew_ms) <= 1000)); then
	ok "the waypoint saw an authentic SETUP: mode 1, initiator, R, B, key, port, W"
else
	not_ok "the waypoint saw an authentic SETUP: mode 1, initiator, R, B, key, port, W" "answer W=$w setup: $s"
fi

out=$("${DIG[@]}" +tcp ssh.home1.avesnet.test A)
s=$(last_setup)
expect "a held answer over TCP" "$out" '^ssh\.home1\.avesnet\.test\.\s+0\s+IN\s+A\s+192\.0\.2\.10[0-3]$'
if [[ "$(field "$s" responder)" == 10.0.0.3 ]]; then
	ok "SETUP names the responder asked for"
else
	not_ok "SETUP names the responder asked for" "$s"
fi

echo reject-once >"$mode"
n0=$(wc -l <"$setups")
out=$("${DIG[@]}" web.home1.avesnet.test A)
new=$(tail -n +$((n0 + 1)) "$setups")
w=$(waypoint_of "$out")
w1=$(field "$(sed -n 1p <<<"$new")" waypoint 2>/dev/null)
w2=$(field "$(sed -n 2p <<<"$new")" waypoint 2>/dev/null)
if [[ $(wc -l <<<"$new") -eq 2 && "$w1" != "$w2" && "$w" == "$w2" ]]; then
	ok "after a REJECT the next SETUP goes to another waypoint address, whose address is answered"
else
	not_ok "after a REJECT the next SETUP goes to another waypoint address, whose address is answered" \
		"answer=$w setups:"$'\n'"$new"
fi

out=$("${DIG[@]}" web.home2.avesnet.test A)
expect "a subscriber that never registered: SERVFAIL" "$out" 'status: SERVFAIL'

# ---------------------------------------------------------------- bursts
# burst_queries PORT: 64 queries from one socket at once; their replies, in arrival order.
burst_queries() {
	"$py" - "$DNS_ADDR" "$1" <<'EOF'
import socket, struct, sys
dst = (sys.argv[1], int(sys.argv[2]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
def query(qid, qtype):
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + b"\x07avesnet\x04test\x00" + \
        struct.pack("!HH", qtype, 1)
for i in range(64):
    s.sendto(query(i, (6, 2, 28)[i % 3]), dst)  # SOA, NS, AAAA (NODATA)
ids = []
try:
    while len(ids) < 64:
        m = s.recv(4096)
        ids.append(struct.unpack("!H", m[:2])[0] if m[3] & 15 == 0 else -1)
except socket.timeout:
    pass
print("replies %d in order %s" % (len(ids), ids == list(range(64))))
EOF
}

# burst_lookups PORT: 64 held lookups at once, for web and ssh from each of 32 intranet
# initiators; how many got the answer (to the right socket, a waypoint address, TTL 0), and
# the addresses.
burst_lookups() {
	"$py" - "$DNS_ADDR" "$1" "$BURST_NET" <<'EOF'
import select, socket, struct, sys, time
dst = (sys.argv[1], int(sys.argv[2]))
socks = []
for i in range(32):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("%s.%d" % (sys.argv[3], i + 1), 0))
    socks.append(s)
def query(qid, host):
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + bytes([len(host)]) + host.encode() + \
        b"\x05home1\x07avesnet\x04test\x00" + struct.pack("!HH", 1, 1)
for i, s in enumerate(socks):
    s.sendto(query(2 * i, "web"), dst)
    s.sendto(query(2 * i + 1, "ssh"), dst)
answered, ws, deadline = set(), set(), time.time() + 5
while len(answered) < 64 and time.time() < deadline:
    ready, _, _ = select.select(socks, [], [], 0.5)
    for s in ready:
        m = s.recv(600)
        qid, an = struct.unpack("!H", m[:2])[0], struct.unpack("!H", m[6:8])[0]
        ttl = struct.unpack("!I", m[-10:-6])[0]
        if m[3] & 15 == 0 and an == 1 and ttl == 0 and socks.index(s) == qid // 2:
            answered.add(qid)
            ws.add(socket.inet_ntoa(m[-4:]))
print("answered %d waypoints %s" % (len(answered), " ".join(sorted(ws))))
EOF
}

out=$(burst_queries "$DNS_PORT")
expect "a burst of 64 queries: 64 replies, in the order asked" "$out" '^replies 64 in order True$'

echo accept >"$mode"
n0=$(wc -l <"$setups")
out=$(burst_lookups "$DNS_PORT")
expect "a burst of 64 lookups: every one answered with a waypoint address, TTL 0" "$out" \
	'^answered 64 waypoints 192\.0\.2\.10[0-3]( 192\.0\.2\.10[0-3])*$'
new=$(tail -n +$((n0 + 1)) "$setups")
initiator="\"initiator\": \"${BURST_NET//./\\.}\\.([1-9]|[12][0-9]|3[0-2])\""
good=$(grep -cE "\"tag_ok\": true, \"mode\": 1, .*$initiator" <<<"$new")
if [[ $(wc -l <<<"$new") -eq 64 && $good -eq 64 ]]; then
	ok "their 64 SETUPs (tagged in bursts) verify with Python's HMAC, one per lookup"
else
	not_ok "their 64 SETUPs (tagged in bursts) verify with Python's HMAC, one per lookup" "$new"
fi

# A second aves-dns, with a waypoint appliance that cannot be sent to: its control address is
# not on loopback, so a datagram from the loopback-bound control socket fails at once
# (EINVAL). A lookup whose SETUP fails moves on to another address; with only that appliance
# left, the lookup gets SERVFAIL.
broken_waypoints='{ address = "192.0.2.250"; port = '"$WAYPOINT_PORT"'; addresses = [ "192.0.2.110", "192.0.2.111" ]; }'
sed -e "s/^port = $DNS_PORT;/port = $((DNS_PORT + 2));/" \
	-e "s/port = $CTRL_PORT; };/port = $((CTRL_PORT + 2)); };/" \
	-e "s/^waypoints = ( /waypoints = ( $broken_waypoints, /" \
	-e 's/"192.0.2.100", "192.0.2.101", "192.0.2.102", "192.0.2.103"/"192.0.2.100"/' \
	"$tmp/dns.conf" >"$tmp/broken.conf"
# shellcheck disable=SC2086 # the wrapper is a command line
${AVES_DNS_WRAP:-} "$aves_dns" -d -f "$tmp/broken.conf" 2>"$tmp/broken.log" &
broken_pid=$!
pids+=("$broken_pid")
for _ in $(seq 50); do
	"${DIG[@]}" -p $((DNS_PORT + 2)) +time=1 avesnet.test SOA >/dev/null 2>&1 && break
	sleep 0.1
done
"$py" "$fake" register --to "$DNS_ADDR:$((CTRL_PORT + 2))" --key-id 101 --secret "$GW_SECRET" \
	--origin "$GW_PUBLIC" --public "$GW_PUBLIC" --tunnel-port 4797
sleep 0.2
n0=$(wc -l <"$setups")
out=$(burst_lookups $((DNS_PORT + 2)))
n=$(($(wc -l <"$setups") - n0))
st=$(stats_of "$broken_pid" "$tmp/broken.log")
expect "SETUPs that cannot be sent are counted, and every lookup is answered via the other appliance" \
	"$out"$'\n'"$st" '^answered 64 waypoints 192\.0\.2\.100$' 'setup: sent=64 send_errors=[1-9]'
if ((n == 64)); then
	ok "one SETUP per lookup reached the waypoint"
else
	not_ok "one SETUP per lookup reached the waypoint" "$n SETUPs"$'\n'"$st"
fi
sed -i -e "/^waypoints = ( /,/); *\$/c\\waypoints = ( $broken_waypoints );" "$tmp/broken.conf"
kill -HUP "$broken_pid"
sleep 0.3
out=$("${DIG[@]}" -p $((DNS_PORT + 2)) web.home1.avesnet.test A)
st=$(stats_of "$broken_pid" "$tmp/broken.log")
expect "no SETUP of a lookup can be sent: SERVFAIL" "$out"$'\n'"$st" 'status: SERVFAIL' \
	'servfail_no_waypoint=1 ' 'state: held=0 '
kill "$broken_pid"
wait "$broken_pid"
rc=$?
if [[ $rc -eq 0 ]]; then
	ok "the second aves-dns ends cleanly (exit 0)"
else
	not_ok "the second aves-dns ends cleanly (exit 0)" "rc=$rc"$'\n'"$(tail -20 "$tmp/broken.log")"
fi
kept=()
for p in "${pids[@]}"; do [[ $p == "$broken_pid" ]] || kept+=("$p"); done
pids=("${kept[@]}")

# ---------------------------------------------------------------- through unbound
# Debian's AppArmor profile lets unbound read only /etc/unbound/**: the configuration goes
# there (removed on exit), the log to stderr, no pid file.
unbound_conf=/etc/unbound/aves-dnstest.conf
cat >"$unbound_conf" <<EOF
server:
	interface: $UNBOUND
	port: $UNBOUND_PORT
	outgoing-interface: $UNBOUND_OUT
	do-ip6: no
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	username: ""
	chroot: ""
	directory: "/etc/unbound"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 1
	module-config: "iterator"
	local-zone: "test." nodefault
stub-zone:
	name: "avesnet.test"
	stub-addr: $DNS_ADDR@$DNS_PORT
EOF
echo accept >"$mode"
unbound -d -c "$unbound_conf" 2>>"$tmp/unbound.log" &
pids+=($!)
DIG_R=(dig @"$UNBOUND" -p "$UNBOUND_PORT" -b "$CLIENT" +time=3 +tries=1)
for _ in $(seq 50); do
	"${DIG_R[@]}" +time=1 avesnet.test SOA >/dev/null 2>&1 && break
	sleep 0.1
done
n0=$(wc -l <"$setups")
out=$("${DIG_R[@]}" web.home1.avesnet.test A)
s=$(tail -n +$((n0 + 1)) "$setups" | tail -n 1)
expect "through unbound: the waypoint address, TTL 0" "$out" 'status: NOERROR' \
	'^web\.home1\.avesnet\.test\.\s+0\s+IN\s+A\s+192\.0\.2\.10[0-3]$'
w=$(waypoint_of "$out")
if [[ -n "$s" && "$(field "$s" mode)" == 2 && "$(field "$s" initiator)" == "$UNBOUND_OUT" &&
	"$(field "$s" waypoint)" == "$w" && "$(field "$s" tag_ok)" == True ]]; then
	ok "delayed binding: the SETUP names unbound's address as the resolver (mode 2)"
else
	not_ok "delayed binding: the SETUP names unbound's address as the resolver (mode 2)" \
		"answer W=$w setup: $s"$'\n'"$(cat "$tmp/unbound.log")"
fi
out=$("${DIG_R[@]}" web.home2.avesnet.test A)
expect "through unbound: unregistered subscriber is SERVFAIL" "$out" 'status: SERVFAIL'

# ---------------------------------------------------------------- a waypoint that stays silent
echo ignore >"$mode"
n0=$(wc -l <"$setups")
out=$("${DIG[@]}" +time=5 web.home1.avesnet.test A 2>&1)
n=$(($(wc -l <"$setups") - n0))
expect "a silent waypoint: no answer at all (dropped after the hold time)" "$out" \
	'timed out|no servers could be reached'
if ((n == 3)); then
	ok "three SETUP attempts, 700 ms apart, each to another address"
else
	not_ok "three SETUP attempts, 700 ms apart, each to another address" "$n SETUPs"
fi
sleep 0.3
out=$(stats)
expect "give-up and timeouts are counted" "$out" 'gave_up_dropped=1' 'attempt_timeouts=[3-9]' \
	'setup_rtt_us: count=[1-9]' 'rejects: admission=1 ' 'register_ok=1 ' \
	'state: held=0 penalised=1 gateways_registered=1/2'

# ---------------------------------------------------------------- reload and exit
echo accept >"$mode"
write_conf 101
kill -HUP "$dns_pid"
sleep 0.3
out=$("${DIG[@]}" avesnet.test SOA)
expect "SIGHUP reloads the file (new SOA serial)" "$out" ' 101 3600 600 86400 60$'
out=$("${DIG[@]}" web.home1.avesnet.test A)
expect "the gateway's registration survives a reload" "$out" '^web\.home1\.avesnet\.test\.\s+0\s+IN\s+A\s'
echo 'colour = "blue";' >>"$tmp/dns.conf"
kill -HUP "$dns_pid"
sleep 0.3
out=$("${DIG[@]}" avesnet.test SOA)
expect "a bad file on SIGHUP changes nothing" "$out" ' 101 3600 600 86400 60$'
expect "and its problems are logged" "$(cat "$log")" 'dns.conf:[0-9]+: colour: unknown setting' \
	'reload: .* has errors \(above\); nothing applied'

kill -TERM "$dns_pid"
rc=0
for _ in $(seq 50); do
	kill -0 "$dns_pid" 2>/dev/null || break
	sleep 0.05
done
if kill -0 "$dns_pid" 2>/dev/null; then
	not_ok "SIGTERM ends aves-dns"
else
	wait "$dns_pid"
	rc=$?
	if [[ $rc -eq 0 ]]; then
		ok "SIGTERM ends aves-dns cleanly (exit 0)"
	else
		not_ok "SIGTERM ends aves-dns cleanly (exit 0)" "rc=$rc"$'\n'"$(tail -20 "$log")"
	fi
fi

awk -v a="$start_time" -v b="$EPOCHREALTIME" 'BEGIN { printf "# test/dns/run.sh took %.1f s\n", b - a }'
((failed == 0))
