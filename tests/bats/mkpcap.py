#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# mkpcap.py -- write a classic pcap file of Ethernet frames for the tests.
#
# Usage: mkpcap.py OUT [options]        (OUT '-' is standard output)
#
# Writes --count frames, each exactly --size bytes long (no FCS), into a
# microsecond pcap (LINKTYPE_ETHERNET, snaplen 65535, little endian).
# Frame i (0-based) is, by --type:
#
#   raw  (default)  Ethernet II, EtherType 0x88b5 (local experimental),
#                   payload: the 4-byte big-endian index i, then the bytes
#                   i+0, i+1, ... mod 256, so every frame differs.  A --size
#                   below 14 gives a runt: the first bytes of the header.
#   udp             IPv4/UDP --ip-src -> --ip-dst, ports 40000+i -> 7000,
#                   valid IP and UDP checksums, zero-padded payload.
#   udp6            the same over IPv6, 2001:db8::1 -> 2001:db8::2.
#   arp             ARP request "who-has --ip-dst tell --ip-src",
#                   padded with zeros to --size.
#
# Frame options:
#   --count N          frames (default 1)
#   --size N           frame length in bytes, >= 0 (raw), >= 42 (udp, arp);
#                      default 64; includes the 802.1Q tag if --vlan
#   --src-mac MAC      default 02:00:c6:13:00:01
#   --dst-mac MAC      default ff:ff:ff:ff:ff:ff
#   --src-mac-seq      add i to the last 3 bytes of the source MAC
#   --vlan ID          insert an 802.1Q tag with VLAN ID (0..4095)
#   --tag TPID:VID     insert a tag (TPID in hex: 8100, 88a8, ...; VID
#                      0..4095); may be repeated, outermost first, after
#                      the tag of --vlan; --size includes them
#   --ip-src A --ip-dst A   inner addresses (default 198.19.0.1 -> .2)
#   --tos N            the inner TOS (udp) or traffic class (udp6), 0-255:
#                      DSCP << 2 | ECN (default 0)
#
# VXLAN (RFC 7348) wrapping, to make outer frames a frame-stream underlay
# of vnet-encap reads:
#   --vxlan VNI        wrap each frame in Ethernet/IPv4/UDP/VXLAN; --size
#                      stays the size of the inner frame
#   --vxlan-flags B    the VXLAN flags byte (default 0x08, the I flag)
#   --vxlan-reserved   set the reserved fields (bytes 1-3 and 7) to nonzero
#   --outer-src A --outer-dst A   outer IPv4 (default 198.18.0.2 -> .1)
#   --outer-tos N      the outer TOS (default 0)
#   --outer-src-mac MAC --outer-dst-mac MAC
#                      defaults 02:00:c6:12:00:02 -> ff:ff:ff:ff:ff:ff
#   --dstport N        UDP destination port (default 4789, GENEVE 6081);
#                      the source port is 50000 + i
#
# GENEVE (RFC 8926) wrapping, the same way (outer options as for VXLAN):
#   --geneve VNI       wrap each frame in Ethernet/IPv4/UDP/GENEVE
#   --geneve-opts HEX  the option bytes after the base header (default none)
#   --geneve-optlen N  the Opt Len field (default: the options' length / 4)
#   --geneve-flags B   byte 1: O 0x80, C 0x40, reserved 0x3f (default 0)
#   --geneve-ver N     the version (default 0)
#   --geneve-proto P   the protocol type (default 0x6558)
#
# NVGRE (RFC 7637) wrapping: Ethernet/IPv4 (protocol 47)/GRE with a key:
#   --nvgre VSID       wrap each frame; the key is VSID << 8 | FlowID
#   --nvgre-flowid N   the FlowID (default 0)
#   --gre-flags F      the GRE flags-and-version word (default 0x2000: K)
#   --gre-proto P      the GRE protocol type (default 0x6558)
#
# Flows:
#   --flows N          frame i is frame i % N: with --type udp, N flows
#                      (ports 40000..40000+N-1) repeated in turn
#
# File options:
#   --linktype N       the header's link type (default 1, Ethernet)
#   --ts SEC           timestamp of frame 0 (default 1700000000)
#   --ts-step USEC     microseconds between frames (default 1000)
#   --caplen N         write at most N bytes of each frame (incl_len < orig_len)
#   --snaplen N        the header's snapshot length (default 65535)
#   --big-endian       write the header and records big endian
#
# Also usable as a module (args = parser().parse_args([OUT, options...])):
# frame(i, args) and vxlan(inner, i, args) return bytes, write_pcap(fileobj,
# frames, args) writes a file.
# Only the standard library is used.

import argparse
import struct
import sys


def mac(s):
	b = bytes(int(x, 16) for x in s.split(":"))
	if len(b) != 6:
		raise argparse.ArgumentTypeError("bad MAC %r" % s)
	return b


def ip4(s):
	b = bytes(int(x) for x in s.split("."))
	if len(b) != 4:
		raise argparse.ArgumentTypeError("bad IPv4 address %r" % s)
	return b


def tpid_vid(s):
	try:
		t, v = s.split(":")
		t, v = int(t, 16), int(v)
	except ValueError:
		raise argparse.ArgumentTypeError("bad TPID:VID %r" % s)
	if not 0 <= t <= 0xFFFF or not 0 <= v <= 4095:
		raise argparse.ArgumentTypeError("bad TPID:VID %r" % s)
	return t, v


def csum(data):
	if len(data) % 2:
		data += b"\0"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xFFFF) + (s >> 16)
	return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, tos=0):
	hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), 0,
			  0x4000, 64, proto, 0, src, dst)
	return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def udp(src, dst, sport, dport, payload, checksum=True):
	length = 8 + len(payload)
	c = 0
	if checksum:
		pseudo = src + dst + struct.pack("!BBH", 0, 17, length)
		c = csum(pseudo + struct.pack("!HHHH", sport, dport, length, 0)
			 + payload) or 0xFFFF
	return struct.pack("!HHHH", sport, dport, length, c) + payload


def frame(i, a):
	src = a.src_mac
	if a.src_mac_seq:
		n = (int.from_bytes(src[3:], "big") + i) & 0xFFFFFF
		src = src[:3] + n.to_bytes(3, "big")
	tag = b""
	if a.vlan is not None:
		tag = struct.pack("!HH", 0x8100, a.vlan)
	for tpid, vid in a.tag:
		tag += struct.pack("!HH", tpid, vid)
	hlen = 14 + len(tag)
	room = a.size - hlen
	if a.type == "raw":
		body = struct.pack("!I", i) + bytes((i + k) & 0xFF
						   for k in range(max(room, 0)))
		fr = a.dst_mac + src + tag + b"\x88\xb5" + body
		return fr[:a.size]
	if a.type == "udp6":
		if room < 48:
			sys.exit("mkpcap: --size %d too small for udp6" % a.size)
		s6 = bytes.fromhex("20010db8" + "00" * 11 + "01")
		d6 = bytes.fromhex("20010db8" + "00" * 11 + "02")
		payload = bytes(room - 48)
		length = 8 + len(payload)
		pseudo = s6 + d6 + struct.pack("!IxxxB", length, 17)
		c = csum(pseudo + struct.pack("!HHHH", 40000 + i, 7000, length,
					      0) + payload) or 0xFFFF
		u = struct.pack("!HHHH", 40000 + i, 7000, length, c) + payload
		ip = struct.pack("!IHBB16s16s", 6 << 28 | a.tos << 20, length, 17,
				 64, s6, d6)
		return a.dst_mac + src + tag + b"\x86\xdd" + ip + u
	if a.type == "udp":
		if room < 28:
			sys.exit("mkpcap: --size %d too small for udp" % a.size)
		payload = bytes(room - 28)
		u = udp(a.ip_src, a.ip_dst, 40000 + i, 7000, payload)
		return a.dst_mac + src + tag + b"\x08\x00" + \
			ipv4(a.ip_src, a.ip_dst, 17, u, a.tos)
	# arp
	if room < 28:
		sys.exit("mkpcap: --size %d too small for arp" % a.size)
	arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src,
			  a.ip_src, bytes(6), a.ip_dst)
	return a.dst_mac + src + tag + b"\x08\x06" + arp + bytes(room - 28)


def vxlan(inner, i, a):
	hdr = struct.pack("!B3sI", a.vxlan_flags,
			  b"\x01\x02\x03" if a.vxlan_reserved else bytes(3),
			  a.vxlan << 8 | (0x5A if a.vxlan_reserved else 0))
	u = udp(a.outer_src, a.outer_dst, 50000 + i, a.dstport, hdr + inner,
		checksum=False)
	return a.outer_dst_mac + a.outer_src_mac + b"\x08\x00" + \
		ipv4(a.outer_src, a.outer_dst, 17, u, a.outer_tos)


def geneve(inner, i, a):
	opts = bytes.fromhex(a.geneve_opts)
	optlen = len(opts) // 4 if a.geneve_optlen is None else a.geneve_optlen
	hdr = struct.pack("!BBHI", a.geneve_ver << 6 | optlen, a.geneve_flags,
			  a.geneve_proto, a.geneve << 8) + opts
	u = udp(a.outer_src, a.outer_dst, 50000 + i, a.dstport, hdr + inner,
		checksum=False)
	return a.outer_dst_mac + a.outer_src_mac + b"\x08\x00" + \
		ipv4(a.outer_src, a.outer_dst, 17, u)


def nvgre(inner, i, a):
	hdr = struct.pack("!HHI", a.gre_flags, a.gre_proto,
			  (a.nvgre << 8 | a.nvgre_flowid) & 0xFFFFFFFF)
	return a.outer_dst_mac + a.outer_src_mac + b"\x08\x00" + \
		ipv4(a.outer_src, a.outer_dst, 47, hdr + inner)


def write_pcap(f, frames, a):
	e = ">" if a.big_endian else "<"
	f.write(struct.pack(e + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, a.snaplen,
			    a.linktype))
	for i, fr in enumerate(frames):
		t = a.ts * 1000000 + i * a.ts_step
		data = fr if a.caplen is None else fr[:a.caplen]
		f.write(struct.pack(e + "IIII", t // 1000000, t % 1000000,
				    len(data), len(fr)))
		f.write(data)


def parser():
	p = argparse.ArgumentParser(description="write a pcap of Ethernet "
				    "frames (see the header comment)")
	p.add_argument("out")
	p.add_argument("--count", type=int, default=1)
	p.add_argument("--size", type=int, default=64)
	p.add_argument("--type", choices=("raw", "udp", "udp6", "arp"),
		       default="raw")
	p.add_argument("--tos", type=int, choices=range(256), default=0,
		       metavar="N")
	p.add_argument("--outer-tos", type=int, choices=range(256), default=0,
		       metavar="N")
	p.add_argument("--src-mac", type=mac, default=mac("02:00:c6:13:00:01"))
	p.add_argument("--dst-mac", type=mac, default=mac("ff:ff:ff:ff:ff:ff"))
	p.add_argument("--src-mac-seq", action="store_true")
	p.add_argument("--vlan", type=int)
	p.add_argument("--tag", type=tpid_vid, action="append", default=[])
	p.add_argument("--ip-src", type=ip4, default=ip4("198.19.0.1"))
	p.add_argument("--ip-dst", type=ip4, default=ip4("198.19.0.2"))
	p.add_argument("--vxlan", type=int)
	p.add_argument("--vxlan-flags", type=lambda s: int(s, 0), default=0x08)
	p.add_argument("--vxlan-reserved", action="store_true")
	p.add_argument("--outer-src", type=ip4, default=ip4("198.18.0.2"))
	p.add_argument("--outer-dst", type=ip4, default=ip4("198.18.0.1"))
	p.add_argument("--outer-src-mac", type=mac,
		       default=mac("02:00:c6:12:00:02"))
	p.add_argument("--outer-dst-mac", type=mac,
		       default=mac("ff:ff:ff:ff:ff:ff"))
	p.add_argument("--dstport", type=int)
	p.add_argument("--geneve", type=int)
	p.add_argument("--geneve-opts", default="")
	p.add_argument("--geneve-optlen", type=int)
	p.add_argument("--geneve-flags", type=lambda s: int(s, 0), default=0)
	p.add_argument("--geneve-ver", type=int, default=0)
	p.add_argument("--geneve-proto", type=lambda s: int(s, 0),
		       default=0x6558)
	p.add_argument("--flows", type=int)
	p.add_argument("--nvgre", type=int)
	p.add_argument("--nvgre-flowid", type=int, default=0)
	p.add_argument("--gre-flags", type=lambda s: int(s, 0), default=0x2000)
	p.add_argument("--gre-proto", type=lambda s: int(s, 0), default=0x6558)
	p.add_argument("--linktype", type=int, default=1)
	p.add_argument("--ts", type=int, default=1700000000)
	p.add_argument("--ts-step", type=int, default=1000)
	p.add_argument("--caplen", type=int)
	p.add_argument("--snaplen", type=int, default=65535)
	p.add_argument("--big-endian", action="store_true")
	return p


def main():
	a = parser().parse_args()
	if a.dstport is None:
		a.dstport = 6081 if a.geneve is not None else 4789
	frames = []
	for i in range(a.count):
		fr = frame(i % a.flows if a.flows else i, a)
		if a.vxlan is not None:
			fr = vxlan(fr, i, a)
		elif a.geneve is not None:
			fr = geneve(fr, i, a)
		elif a.nvgre is not None:
			fr = nvgre(fr, i, a)
		frames.append(fr)
	if a.out == "-":
		write_pcap(sys.stdout.buffer, frames, a)
	else:
		with open(a.out, "wb") as f:
			write_pcap(f, frames, a)


if __name__ == "__main__":
	main()
