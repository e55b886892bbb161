#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# mkflows.py -- write a pcap of IP flows with known packet counts, sizes
# and times, for the vnet-flowexport tests.
#
# Usage: mkflows.py OUT [--ts SEC] FLOW...     (OUT '-' is standard output)
#
# Each FLOW is a comma-separated list of KEY=VALUE; its packets get the
# times T, T+GAP, ... and the packets of all flows are written in time
# order (in FLOW order at equal times), microsecond pcap, little endian,
# LINKTYPE_ETHERNET, first at --ts (default 1700000000) plus T.
#
#   proto=udp|tcp|icmp|icmp6|sctp|N   default udp (icmp6 when dst is IPv6
#                          and proto=icmp)
#   src=A dst=A            IPv4 or IPv6 (default 198.19.0.1 -> 198.19.0.2)
#   sport=N dport=N        default 1000, 2000
#   type=N code=N          ICMP type and code (default 8 / 128, 0)
#   n=N                    packets (default 1)
#   len=N                  the IP packet length, header included (default
#                          100): the octetDeltaCount a packet adds
#   t=MS gap=MS            first packet and spacing in ms (default 0, 1)
#   flags=S|A|SA|FA|R...   TCP flags of every packet (default A)
#   last=FLAGS             TCP flags of the last packet only
#   tos=N                  IPv4 TOS / IPv6 traffic class (default 0)
#   vlan=N                 add an 802.1Q tag
#   smac=M dmac=M          default 02:00:c6:13:00:01 -> 02:00:c6:13:00:02
#   vxlan=VNI              wrap each frame in Ethernet/IPv4/UDP/VXLAN
#                          198.18.0.2 -> 198.18.0.1, to port vxport= (4789)
#   frag=1                 IPv4: non-first fragments (offset 1480, no
#                          transport header)
#   caplen=N               write only the first N bytes of each frame
#                          (incl_len = orig_len = N: a short frame)
#   kind=arp|garbage       instead of IP: an ARP request, or n frames of
#                          len random bytes (seeded, reproducible) whose
#                          EtherType cycles IPv4, IPv6, 802.1Q, 0x88b5
# Only the standard library is used.

import ipaddress
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
				".."))
from mkpcap import csum  # noqa: E402

PROTO = {"udp": 17, "tcp": 6, "icmp": 1, "icmp6": 58, "sctp": 132}
TCPF = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32, "E": 64, "C": 128}


def mac(s):
	return bytes(int(x, 16) for x in s.split(":"))


def tcpflags(s):
	v = 0
	for c in s:
		v |= TCPF[c]
	return v


def l4(f, proto, src, dst, room, flags, i):
	"""The transport header and payload, room bytes in all."""
	pay = bytes((i + k) & 0xFF for k in range(max(room, 0)))
	if proto == 17:
		h = struct.pack("!HHHH", f["sport"], f["dport"], room, 0)
	elif proto == 6:
		h = struct.pack("!HHIIBBHHH", f["sport"], f["dport"],
				1 + i * (room - 20), 0,
				5 << 4, flags, 65535, 0, 0)
	elif proto == 132:
		h = struct.pack("!HHII", f["sport"], f["dport"], 1, 0)
	elif proto in (1, 58):
		h = struct.pack("!BBHHH", f["type"], f["code"], 0, 0x4242, i)
	else:
		h = b""
	if len(h) > room:
		sys.exit("mkflows: len too small for the transport header")
	seg = h + pay[len(h):]
	if proto in (17, 6, 58, 1):
		if proto == 1:
			c = csum(seg)
		else:
			pl = (src.packed + dst.packed +
			      (struct.pack("!BBH", 0, proto, len(seg))
			       if src.version == 4 else
			       struct.pack("!IxxxB", len(seg), proto)))
			c = csum(pl + seg) or (0xFFFF if proto == 17 else 0)
		off = {17: 6, 6: 16, 58: 2, 1: 2}[proto]
		seg = seg[:off] + struct.pack("!H", c) + seg[off + 2:]
	return seg


def ippkt(f, i):
	src, dst = f["src"], f["dst"]
	proto = f["proto"]
	flags = f["flags"]
	if i == f["n"] - 1 and f["last"] is not None:
		flags = f["last"]
	if src.version == 4:
		frag = 0x4000
		if f["frag"]:
			frag = 1480 // 8
			seg = bytes((i + k) & 0xFF for k in range(f["len"] - 20))
		else:
			seg = l4(f, proto, src, dst, f["len"] - 20, flags, i)
		h = struct.pack("!BBHHHBBH4s4s", 0x45, f["tos"], f["len"],
				i & 0xFFFF, frag, 64, proto, 0, src.packed,
				dst.packed)
		h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
		return b"\x08\x00", h + seg
	seg = l4(f, proto, src, dst, f["len"] - 40, flags, i)
	h = struct.pack("!IHBB16s16s", 6 << 28 | f["tos"] << 20, len(seg),
			proto, 64, src.packed, dst.packed)
	return b"\x86\xdd", h + seg


def vxlan(inner, vni, port, i):
	udp = struct.pack("!HHHH", 50000 + (i & 0x3FFF), port, 16 + len(inner),
			  0) + struct.pack("!II", 0x08000000, vni << 8) + inner
	h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64,
			17, 0, bytes([198, 18, 0, 2]), bytes([198, 18, 0, 1]))
	h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
	return (mac("02:00:c6:12:00:01") + mac("02:00:c6:12:00:02") +
		b"\x08\x00" + h + udp)


def parse(spec):
	f = {"proto": "udp", "src": "198.19.0.1", "dst": "198.19.0.2",
	     "sport": 1000, "dport": 2000, "type": None, "code": 0, "n": 1,
	     "len": 100, "t": 0, "gap": 1, "flags": "A", "last": None,
	     "tos": 0, "vlan": None, "smac": "02:00:c6:13:00:01",
	     "dmac": "02:00:c6:13:00:02", "vxlan": None, "vxport": 4789,
	     "frag": 0, "caplen": None, "kind": "ip"}
	for kv in spec.split(","):
		k, eq, v = kv.partition("=")
		if not eq or k not in f:
			sys.exit("mkflows: bad item %r in %r" % (kv, spec))
		f[k] = v
	for k in ("sport", "dport", "code", "n", "len", "t", "gap", "tos",
		  "vxport", "frag"):
		f[k] = int(f[k])
	for k in ("vlan", "vxlan", "caplen", "type"):
		if f[k] is not None:
			f[k] = int(f[k])
	f["src"] = ipaddress.ip_address(f["src"])
	f["dst"] = ipaddress.ip_address(f["dst"])
	p = f["proto"]
	if p == "icmp" and f["dst"].version == 6:
		p = "icmp6"
	f["proto"] = PROTO[p] if p in PROTO else int(p)
	if f["type"] is None:
		f["type"] = 128 if f["proto"] == 58 else 8
	f["flags"] = tcpflags(f["flags"])
	if f["last"] is not None:
		f["last"] = tcpflags(f["last"])
	f["smac"] = mac(f["smac"])
	f["dmac"] = mac(f["dmac"])
	return f


def frame(f, i, rnd):
	tag = b"" if f["vlan"] is None else struct.pack("!HH", 0x8100,
							  f["vlan"])
	if f["kind"] == "arp":
		et = b"\x08\x06"
		body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1,
				   f["smac"], f["src"].packed, bytes(6),
				   f["dst"].packed) + bytes(18)
	elif f["kind"] == "garbage":
		et = (b"\x08\x00", b"\x86\xdd", b"\x81\x00", b"\x88\xb5")[i % 4]
		body = bytes(rnd.randrange(256) for _ in range(f["len"]))
	else:
		et, body = ippkt(f, i)
	fr = f["dmac"] + f["smac"] + tag + et + body
	if f["vxlan"] is not None:
		fr = vxlan(fr, f["vxlan"], f["vxport"], i)
	if f["caplen"] is not None:
		fr = fr[:f["caplen"]]
	return fr


def main():
	a = sys.argv[1:]
	if not a:
		sys.exit("usage: mkflows.py OUT [--ts SEC] FLOW...")
	out = a.pop(0)
	ts = 1700000000
	if a[:1] == ["--ts"]:
		ts = int(a[1])
		a = a[2:]
	rnd = random.Random(4242)
	pk = []
	for k, spec in enumerate(a):
		f = parse(spec)
		for i in range(f["n"]):
			pk.append(((f["t"] + i * f["gap"]) * 1000, k, i,
				   frame(f, i, rnd)))
	pk.sort(key=lambda x: (x[0], x[1], x[2]))
	buf = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
	for us, _, _, fr in pk:
		t = ts * 1000000 + us
		buf.append(struct.pack("<IIII", t // 1000000, t % 1000000,
				       len(fr), len(fr)) + fr)
	data = b"".join(buf)
	if out == "-":
		sys.stdout.buffer.write(data)
	else:
		with open(out, "wb") as fo:
			fo.write(data)


if __name__ == "__main__":
	main()
