#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Scripted AVES control peers for test/dns/run.sh (docs/PROTOCOL.md §4), written from the
protocol document with Python's own hmac, independently of lib/aves_ctrl.

  fake_peer.py register --to ADDR:PORT --key-id N --secret HEX --origin ADDR
                        --public ADDR [--tunnel-port N] [--age-ms N]
      send one REGISTER, as a NAT gateway does.

  fake_peer.py waypoint --listen ADDR:PORT --key-id N --secret HEX --mode-file FILE
                        --log FILE [--wait-ms N]
      act as a waypoint appliance: verify each SETUP, log its fields as one JSON line, and
      answer as the mode file says (re-read for every SETUP): "accept", "reject", "ignore",
      or "reject-once" (reject one SETUP, then behave as "accept").
"""
import argparse
import hashlib
import hmac
import json
import socket
import struct
import sys
import time

VERSION = 1
SETUP, ACCEPT, REJECT, REGISTER = 1, 2, 3, 4
ALG_HMAC_MD5 = 1
HDR = struct.Struct("!BBHBBHIIQQ")  # version type length alg flags reserved key_id origin serial timestamp
TAG_LEN = 16


def addr_port(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def ip(n):
    return socket.inet_ntoa(struct.pack("!I", n))


def ip_n(text):
    return struct.unpack("!I", socket.inet_aton(text))[0]


def now_ms():
    return int(time.time() * 1000)


def message(msg_type, key_id, secret, origin, serial, timestamp, body):
    length = HDR.size + len(body) + TAG_LEN
    head = HDR.pack(VERSION, msg_type, length, ALG_HMAC_MD5, 0, 0, key_id, ip_n(origin), serial,
                    timestamp)
    data = head + body
    return data + hmac.new(secret, data, hashlib.md5).digest()


def register(args):
    secret = bytes.fromhex(args.secret)
    body = struct.pack("!IHH", ip_n(args.public), args.tunnel_port, 0)
    serial = int(time.time() * 1e6)
    msg = message(REGISTER, args.key_id, secret, args.origin, serial, now_ms() - args.age_ms, body)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(msg, addr_port(args.to))


def waypoint(args):
    secret = bytes.fromhex(args.secret)
    host, port = addr_port(args.listen)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    serial = int(time.time() * 1e6)
    rejected_once = False
    with open(args.log, "a", buffering=1) as log:
        while True:
            data, peer = sock.recvfrom(2048)
            rec = {"len": len(data)}
            if len(data) != 72:
                rec["error"] = "length"
                log.write(json.dumps(rec) + "\n")
                continue
            (version, msg_type, length, alg, flags, reserved, key_id, origin, req_serial,
             timestamp) = HDR.unpack_from(data)
            tag_ok = hmac.compare_digest(
                hmac.new(secret, data[:-TAG_LEN], hashlib.md5).digest(), data[-TAG_LEN:])
            mode, _, gw_port, w, initiator, gateway, responder, gw_key = struct.unpack_from(
                "!BBHIIIII", data, HDR.size)
            rec.update(version=version, type=msg_type, length=length, alg=alg, flags=flags,
                       key_id=key_id, origin=ip(origin), serial=req_serial,
                       skew_ms=timestamp - now_ms(), tag_ok=tag_ok, mode=mode, gw_port=gw_port,
                       waypoint=ip(w), initiator=ip(initiator), gateway=ip(gateway),
                       responder=ip(responder), gw_key=gw_key, peer="%s:%d" % peer)
            with open(args.mode_file) as f:
                behaviour = f.read().strip()
            if behaviour == "reject-once":
                behaviour = "accept" if rejected_once else "reject"
                rejected_once = True
            rec["answer"] = behaviour
            log.write(json.dumps(rec) + "\n")
            if not tag_ok or version != VERSION or msg_type != SETUP or behaviour == "ignore":
                continue
            serial += 1
            if behaviour == "accept":
                body = struct.pack("!QII", req_serial, w, args.wait_ms if mode == 2 else 0)
                reply = message(ACCEPT, key_id, secret, host, serial, now_ms(), body)
            else:
                body = struct.pack("!QIHH", req_serial, w, 1, 0)  # reason 1: ADMISSION
                reply = message(REJECT, key_id, secret, host, serial, now_ms(), body)
            sock.sendto(reply, peer)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("register")
    r.add_argument("--to", required=True)
    r.add_argument("--key-id", type=int, required=True)
    r.add_argument("--secret", required=True)
    r.add_argument("--origin", required=True)
    r.add_argument("--public", required=True)
    r.add_argument("--tunnel-port", type=int, default=4797)
    r.add_argument("--age-ms", type=int, default=0)
    w = sub.add_parser("waypoint")
    w.add_argument("--listen", required=True)
    w.add_argument("--key-id", type=int, required=True)
    w.add_argument("--secret", required=True)
    w.add_argument("--mode-file", required=True)
    w.add_argument("--log", required=True)
    w.add_argument("--wait-ms", type=int, default=2000)
    args = parser.parse_args()
    if args.cmd == "register":
        register(args)
    else:
        waypoint(args)


if __name__ == "__main__":
    sys.exit(main())
