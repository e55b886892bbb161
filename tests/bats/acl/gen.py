#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# gen.py -- write and read the captures of the vnet-acl tests.
#
# Usage:
#   gen.py make OUT < SPEC     write a classic pcap (microseconds, little
#                              endian, LINKTYPE_ETHERNET) of the frames SPEC
#                              describes, one a line; OUT '-' = stdout
#   gen.py dump FILE [--hex]   one line per frame of a capture ('-' = stdin,
#                              classic pcap either byte order, us or ns):
#                              "N<TAB>SEGMENT<TAB>SUMMARY" (N from 1, SEGMENT
#                              the outermost VLAN ID or 0, SUMMARY as in
#                              SPEC: "tcp 198.19.1.10:40000 > 198.19.1.20:80
#                              S"); with --hex the frame bytes in hex too
#
# SPEC lines ('#' starts a comment):
#   [at SEC] [vlan N] [smac MAC] [dmac MAC] KIND ARGS...
#   tcp SRC:PORT DST:PORT FLAGS [len N]   FLAGS letters S A P F R U, '-' none
#   udp SRC:PORT DST:PORT [len N]         (IPv6: [ADDR]:PORT)
#   sctp SRC:PORT DST:PORT [len N]        an INIT chunk, or N bytes of chunks
#   icmp SRC DST TYPE [code N] [id N] [seq N]
#                      TYPE echo-request | echo-reply | unreach | NUMBER;
#                      ICMPv6 when the addresses are IPv6
#   arp SRC DST        who-has DST tell SRC (broadcast)
#   arp-reply SRC DST  SRC is-at its MAC, to DST
#   nd ns|na|rs|ra|mld SRC DST   ICMPv6 135/136/133/134/143 (DST is the
#                      target for ns/na)
#   ether TYPE         an empty frame of EtherType TYPE (hex)
# len N is the L4 payload length (default 0 for tcp, 16 for udp).  MACs
# default to the address's: 02:00 + the four bytes of an IPv4 address,
# 02:06 + the last four of an IPv6 one; ARP/ND requests go to broadcast /
# the solicited-node multicast MAC.  Frame times: 1700000000 s + SEC (at),
# else 1 ms after the previous frame.  Frames are padded to 60 bytes.
# Only the standard library is used.

import ipaddress
import struct
import sys

BASE = 1700000000


def csum(data):
	if len(data) % 2:
		data += b"\0"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xFFFF) + (s >> 16)
	return ~s & 0xFFFF


def parse_mac(s):
	b = bytes(int(x, 16) for x in s.split(":"))
	if len(b) != 6:
		raise ValueError("bad MAC %r" % s)
	return b


def fmt_mac(b):
	return ":".join("%02x" % x for x in b)


def mac_of(ip):
	if ip.version == 4:
		return b"\x02\x00" + ip.packed
	return b"\x02\x06" + ip.packed[12:]


def hostport(s):
	if s.startswith("["):
		a, p = s[1:].split("]:")
	else:
		a, p = s.rsplit(":", 1)
	return ipaddress.ip_address(a), int(p)


def ip_packet(src, dst, proto, l4):
	if src.version == 4:
		hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0,
				  0x4000, 64, proto, 0, src.packed, dst.packed)
		hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
		return 0x0800, hdr + l4
	hdr = struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64,
			  src.packed, dst.packed)
	return 0x86DD, hdr + l4


def l4_csum(src, dst, proto, l4, off):
	if src.version == 4:
		pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, proto,
								len(l4))
	else:
		pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(l4),
								  proto)
	c = csum(pseudo + l4)
	if proto == 17 and c == 0:
		c = 0xFFFF
	return l4[:off] + struct.pack("!H", c) + l4[off + 2:]


FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20}
ICMP4 = {"echo-request": 8, "echo-reply": 0, "unreach": 3}
ICMP6 = {"echo-request": 128, "echo-reply": 129, "unreach": 1}
ND = {"rs": 133, "ra": 134, "ns": 135, "na": 136, "mld": 143}


def crc32c(data):
	c = 0xFFFFFFFF
	for b in data:
		c ^= b
		for _ in range(8):
			c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
	return c ^ 0xFFFFFFFF


def build(words, lineno):
	vlan = None
	smac = dmac = None
	ts = None
	while words and words[0] in ("at", "vlan", "smac", "dmac"):
		k, v = words[0], words[1]
		words = words[2:]
		if k == "at":
			ts = float(v)
		elif k == "vlan":
			vlan = int(v)
		elif k == "smac":
			smac = parse_mac(v)
		else:
			dmac = parse_mac(v)
	kind, args = words[0], words[1:]
	opts = {}

	def takeopts(rest):
		for i in range(0, len(rest), 2):
			opts[rest[i]] = int(rest[i + 1], 0)

	if kind in ("tcp", "udp", "sctp"):
		(src, sport), (dst, dport) = hostport(args[0]), hostport(args[1])
		if kind == "sctp":
			takeopts(args[2:])
			# RFC 9260 3.3.2: INIT, tag 0x01020304, rwnd, 1 stream
			# each way, TSN 1; the common header's tag 0.
			chunks = bytes(opts["len"]) if "len" in opts else \
				struct.pack("!BBHIIHHI", 1, 0, 20, 0x01020304,
					    65536, 1, 1, 1)
			l4 = struct.pack("!HHII", sport, dport, 0, 0) + chunks
			c = crc32c(l4)
			l4 = l4[:8] + struct.pack("<I", c) + l4[12:]
			et, l3 = ip_packet(src, dst, 132, l4)
		elif kind == "tcp":
			fl = 0
			for c in args[2]:
				if c != "-":
					fl |= FLAGS[c]
			takeopts(args[3:])
			payload = bytes(opts.get("len", 0))
			l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000,
					 2000 if fl & 0x10 else 0, 5 << 4, fl,
					 65535, 0, 0) + payload
			l4 = l4_csum(src, dst, 6, l4, 16)
			et, l3 = ip_packet(src, dst, 6, l4)
		else:
			takeopts(args[2:])
			payload = bytes(opts.get("len", 16))
			l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload),
					 0) + payload
			l4 = l4_csum(src, dst, 17, l4, 6)
			et, l3 = ip_packet(src, dst, 17, l4)
		smac = smac or mac_of(src)
		dmac = dmac or mac_of(dst)
	elif kind == "icmp":
		src, dst = ipaddress.ip_address(args[0]), ipaddress.ip_address(args[1])
		names = ICMP4 if src.version == 4 else ICMP6
		t = names[args[2]] if args[2] in names else int(args[2])
		takeopts(args[3:])
		body = struct.pack("!HH", opts.get("id", 7), opts.get("seq", 1)) + \
			bytes(16)
		proto = 1 if src.version == 4 else 58
		l4 = struct.pack("!BBH", t, opts.get("code", 0), 0) + body
		if proto == 1:
			l4 = l4[:2] + struct.pack("!H", csum(l4)) + l4[4:]
		else:
			l4 = l4_csum(src, dst, 58, l4, 2)
		et, l3 = ip_packet(src, dst, proto, l4)
		smac = smac or mac_of(src)
		dmac = dmac or mac_of(dst)
	elif kind in ("arp", "arp-reply"):
		src, dst = ipaddress.ip_address(args[0]), ipaddress.ip_address(args[1])
		smac = smac or mac_of(src)
		if kind == "arp":
			dmac = dmac or b"\xff" * 6
			l3 = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, smac,
					 src.packed, bytes(6), dst.packed)
		else:
			dmac = dmac or mac_of(dst)
			l3 = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, smac,
					 src.packed, dmac, dst.packed)
		et = 0x0806
	elif kind == "nd":
		t = ND[args[0]]
		src, tgt = ipaddress.ip_address(args[1]), ipaddress.ip_address(args[2])
		smac = smac or mac_of(src)
		if t in (135, 136):
			dst = tgt
			if t == 135:
				dst = ipaddress.ip_address("ff02::1:ff00:0").packed[:13] + \
					tgt.packed[13:]
				dst = ipaddress.ip_address(dst)
			body = struct.pack("!I16s", 0x60000000 if t == 136 else 0,
					   tgt.packed)
			body += struct.pack("!BB6s", 1 if t == 135 else 2, 1, smac)
		elif t == 143:
			dst = ipaddress.ip_address("ff02::16")
			body = struct.pack("!HH", 0, 0)
		else:
			dst = ipaddress.ip_address("ff02::2" if t == 133 else "ff02::1")
			body = bytes(4) if t == 133 else bytes(12)
		l4 = struct.pack("!BBH", t, 0, 0) + body
		l4 = l4_csum(src, dst, 58, l4, 2)
		hdr = struct.pack("!IHBB16s16s", 6 << 28, len(l4), 58, 255,
				  src.packed, dst.packed)
		et, l3 = 0x86DD, hdr + l4
		dmac = dmac or (b"\x33\x33" + dst.packed[12:])
	elif kind == "ether":
		et = int(args[0], 16)
		l3 = b""
		smac = smac or parse_mac("02:00:c6:13:00:01")
		dmac = dmac or parse_mac("01:80:c2:00:00:0e")
	else:
		raise ValueError("line %d: unknown kind %r" % (lineno, kind))
	tag = b"" if vlan is None else struct.pack("!HH", 0x8100, vlan)
	fr = dmac + smac + tag + struct.pack("!H", et) + l3
	if len(fr) < 60:
		fr += bytes(60 - len(fr))
	return ts, fr


def make(out):
	frames = []
	t = BASE * 1000000
	first = True
	for n, line in enumerate(sys.stdin, 1):
		words = line.split("#", 1)[0].split()
		if not words:
			continue
		try:
			ts, fr = build(words, n)
		except (ValueError, IndexError, KeyError) as e:
			sys.exit("gen.py: stdin:%d: %s" % (n, e))
		if ts is not None:
			t = BASE * 1000000 + int(round(ts * 1000000))
		elif not first:
			t += 1000
		first = False
		frames.append((t, fr))
	f = sys.stdout.buffer if out == "-" else open(out, "wb")
	f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
	for t, fr in frames:
		f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr),
				    len(fr)))
		f.write(fr)
	f.flush()


def read_pcap(path):
	data = (sys.stdin.buffer if path == "-" else open(path, "rb")).read()
	if len(data) < 24:
		sys.exit("gen.py: %s: no pcap header" % path)
	magic = data[:4]
	if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
		e = "<"
	elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
		e = ">"
	else:
		sys.exit("gen.py: %s: not a classic pcap" % path)
	ns = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
	off = 24
	while off + 16 <= len(data):
		sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
		off += 16
		fr = data[off:off + incl]
		off += incl
		yield sec * 1000000000 + frac * (1 if ns else 1000), fr
	if off != len(data):
		sys.exit("gen.py: %s: %d trailing bytes" % (path, len(data) - off))


def hp(a, p):
	return ("[%s]:%d" if a.version == 6 else "%s:%d") % (a, p)


def summary(fr):
	seg = 0
	off = 12
	et = struct.unpack("!H", fr[12:14])[0]
	if et in (0x8100, 0x88A8):
		seg = struct.unpack("!H", fr[14:16])[0] & 0xFFF
		off = 16
		et = struct.unpack("!H", fr[16:18])[0]
		while et in (0x8100, 0x88A8):
			off += 4
			et = struct.unpack("!H", fr[off + 4:off + 6])[0]
	off += 2
	if et == 0x0806:
		op = struct.unpack("!H", fr[off + 6:off + 8])[0]
		spa = ipaddress.ip_address(fr[off + 14:off + 18])
		tpa = ipaddress.ip_address(fr[off + 24:off + 28])
		return seg, ("arp who-has %s tell %s" % (tpa, spa) if op == 1
			     else "arp reply %s" % spa)
	if et == 0x0800:
		ihl = (fr[off] & 15) * 4
		proto = fr[off + 9]
		src = ipaddress.ip_address(fr[off + 12:off + 16])
		dst = ipaddress.ip_address(fr[off + 16:off + 20])
		l4 = off + ihl
	elif et == 0x86DD:
		proto = fr[off + 6]
		src = ipaddress.ip_address(fr[off + 8:off + 24])
		dst = ipaddress.ip_address(fr[off + 24:off + 40])
		l4 = off + 40
	else:
		return seg, "ether 0x%04x" % et
	if proto == 6:
		sp, dp, fl = struct.unpack("!HH8xxB", fr[l4:l4 + 14])
		s = "".join(c for c, b in (("S", 2), ("A", 16), ("P", 8),
					   ("F", 1), ("R", 4), ("U", 32))
			    if fl & b) or "-"
		return seg, "tcp %s > %s %s" % (hp(src, sp), hp(dst, dp), s)
	if proto == 17:
		sp, dp = struct.unpack("!HH", fr[l4:l4 + 4])
		return seg, "udp %s > %s" % (hp(src, sp), hp(dst, dp))
	if proto == 132:
		sp, dp = struct.unpack("!HH", fr[l4:l4 + 4])
		return seg, "sctp %s > %s" % (hp(src, sp), hp(dst, dp))
	if proto in (1, 58):
		return seg, "%s %s > %s %d/%d" % ("icmp" if proto == 1 else "icmp6",
						  src, dst, fr[l4], fr[l4 + 1])
	return seg, "ip %s > %s proto %d" % (src, dst, proto)


def dump(path, hexa):
	for n, (t, fr) in enumerate(read_pcap(path), 1):
		seg, s = summary(fr)
		line = "%d\t%d\t%s" % (n, seg, s)
		if hexa:
			line += "\t" + fr.hex()
		print(line)


def main():
	if len(sys.argv) >= 3 and sys.argv[1] == "make":
		make(sys.argv[2])
	elif len(sys.argv) >= 3 and sys.argv[1] == "dump":
		dump(sys.argv[2], "--hex" in sys.argv[3:])
	else:
		sys.exit("usage: gen.py make OUT < SPEC | gen.py dump FILE [--hex]")


if __name__ == "__main__":
	main()
