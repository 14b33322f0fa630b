#!/usr/bin/env bash
# Installs everything AVES needs to build and test on Debian 12 (bookworm).
# Idempotent: packages already present are skipped, so CI and the Quick start
# commands can call it every time.
#
#   .ci/install-deps.sh           build + unit-test dependencies
#   .ci/install-deps.sh --system  also the real programs the system and end-to-end suites run
set -euo pipefail

build_pkgs=(
	build-essential pkg-config meson ninja-build
	libdpdk-dev dpdk                  # DPDK 22.11 (libdpdk.pc, dpdk-telemetry.py, dpdk-dumpcap)
	libipsec-mb-dev                   # Intel ipsec-mb 1.3: HMAC-MD5, AES-GMAC
	libconfig-dev libbsd-dev libcmocka-dev
	iproute2 python3
)
system_pkgs=(
	unbound dnsutils knot-dnsutils   # recursive resolver and DNS clients
	# The end-to-end suite's clients and the services behind the gateways, all run by hand
	# without systemd (app/devmode/topology.sh); the web server is python3 -m http.server.
	curl openssh-client iputils-ping traceroute netcat-openbsd iperf3 ftp
	openssh-server socat vsftpd       # sshd, UDP echo, active-mode FTP on the responders
	python3-scapy tcpdump
	dpdk-dev                          # dpdk-telemetry.py and dpdk-dumpcap, to watch the appliances
	dnsperf                           # bench/dnsperf.sh: bound sessions per second
	clang libclang-rt-14-dev          # libFuzzer harnesses (test/fuzz/)
	gnuplot-nox                       # bench/run.sh: the cycles-per-stage plot
)

pkgs=("${build_pkgs[@]}")
case "${1:-}" in
"") ;;
--system) pkgs+=("${system_pkgs[@]}") ;;
*) echo "usage: $0 [--system]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
	if [[ $EUID -ne 0 ]]; then
		echo "install-deps: need root to install: ${missing[*]}" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all ${#pkgs[@]} packages present"
