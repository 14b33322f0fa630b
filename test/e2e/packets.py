#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hand-made packets for the end-to-end suite (test/e2e/run.sh), sent with raw sockets.

  packets.py blast --sources A.B.C.D-N --targets W1,W2,... [--rate PPS] [--seconds S]
      UDP datagrams to every target from each spoofed source in turn, until killed or S
      seconds: the host that keeps sending to waypoint addresses (the paper's §6.2).
  packets.py forge --gateway R --waypoint W --key-id ID --secret HEX --initiator A
                   --responder B [--port P] [--good] [--listen SECONDS]
      One AVES FORWARD tunnel packet [W -> R [A -> B]] (docs/PROTOCOL.md §3) carrying a UDP
      datagram to B's echo port, from the spoofed source W. Its tag is wrong unless --good
      (then it is HMAC-MD5 over the AVES header and the inner packet with the gateway's key).
      With --listen, wait that long for the echo to come back from W and print it.

Debian's python (/usr/bin/python3); root.
"""
import argparse
import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, data, with_checksum=True):
    length = 8 + len(data)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    if not with_checksum:
        return hdr + data
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, length)
    c = checksum(pseudo + hdr + data) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + data


def raw_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    return s


def address_range(spec):
    if "-" not in spec:
        return [spec]
    first, last = spec.split("-")
    base = ipaddress.IPv4Address(first)
    count = int(last) - int(first.split(".")[-1]) + 1
    return [str(base + i) for i in range(count)]


def blast(args):
    sources = address_range(args.sources)
    targets = args.targets.split(",")
    s = raw_socket()
    interval = 1.0 / args.rate
    end = time.monotonic() + args.seconds
    sent = 0
    next_at = time.monotonic()
    try:
        while time.monotonic() < end:
            for src in sources:
                for dst in targets:
                    pkt = ipv4(src, dst, 17, udp(src, dst, 40000 + sent % 1000, 9, b"knock knock"),
                               ident=sent & 0xFFFF)
                    s.sendto(pkt, (dst, 0))
                    sent += 1
                    next_at += interval
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
    except KeyboardInterrupt:
        pass
    print("sent %d" % sent, flush=True)


def forge(args):
    key = bytes.fromhex(args.secret)
    payload = b"forged %d" % os.getpid()
    inner = ipv4(args.initiator, args.responder, 17,
                 udp(args.initiator, args.responder, args.sport, args.port, payload))
    seq = int(time.time() * 1e6) & ((1 << 56) - 1)
    header = struct.pack("!BBBBI4sQ", 1, 1, 1, 0, args.key_id, socket.inet_aton(args.waypoint), seq)
    tag = hmac.new(key, header + inner, hashlib.md5).digest()
    if not args.good:
        tag = bytes(b ^ 0x5A for b in tag)
    tunnel = udp(args.waypoint, args.gateway, 49152 + os.getpid() % 16384, args.tunnel_port,
                 header + inner + tag, with_checksum=False)
    listener = None
    if args.listen:
        listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        listener.bind((args.initiator, args.sport))
        listener.settimeout(args.listen)
    raw_socket().sendto(ipv4(args.waypoint, args.gateway, 17, tunnel), (args.gateway, 0))
    print("sent tunnel packet, %s tag" % ("good" if args.good else "wrong"), flush=True)
    if listener:
        try:
            data, peer = listener.recvfrom(2048)
            print("echo from %s:%d: %s" % (peer[0], peer[1], data.decode(errors="replace")))
        except socket.timeout:
            print("no echo")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("blast")
    b.add_argument("--sources", required=True)
    b.add_argument("--targets", required=True)
    b.add_argument("--rate", type=float, default=1000.0)
    b.add_argument("--seconds", type=float, default=60.0)
    f = sub.add_parser("forge")
    f.add_argument("--gateway", required=True)
    f.add_argument("--waypoint", required=True)
    f.add_argument("--key-id", type=int, required=True)
    f.add_argument("--secret", required=True)
    f.add_argument("--initiator", required=True)
    f.add_argument("--responder", required=True)
    f.add_argument("--port", type=int, default=7)
    f.add_argument("--sport", type=int, default=47000)
    f.add_argument("--tunnel-port", type=int, default=4797)
    f.add_argument("--good", action="store_true")
    f.add_argument("--listen", type=float, default=0.0)
    args = p.parse_args()
    blast(args) if args.cmd == "blast" else forge(args)


if __name__ == "__main__":
    sys.exit(main())
