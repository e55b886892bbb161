#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# flowexport.py -- the input of tests/bench/flowexport.sh.
#
#   flowexport.py gen OUT PACKETS FLOWS
#       Write a microsecond pcap of PACKETS frames over FLOWS UDP flows,
#       round robin (packet k belongs to flow k % FLOWS), 1 us apart, so
#       that every flow is live at once: 64-byte frames in VLAN 100,
#       198.19.X.Y:(10000 + i / 65536) -> 198.18.200.1:80, IP length 46.
#       Written once into OUT.tmp and renamed.
# Only the standard library is used.

import os
import struct
import sys


def csum(h):
	s = sum(struct.unpack("!10H", h))
	while s >> 16:
		s = (s & 0xFFFF) + (s >> 16)
	return ~s & 0xFFFF


def gen(out, packets, flows):
	eth = bytes.fromhex("02c612c8000102c613000001") + \
		struct.pack("!HHH", 0x8100, 100, 0x0800)
	pay = bytes(18)
	frames = []
	for i in range(flows):
		src = bytes([198, 19, (i >> 8) & 0xFF, i & 0xFF])
		h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0x4000, 64, 17,
				0, src, bytes([198, 18, 200, 1]))
		h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
		u = struct.pack("!HHHH", 10000 + (i >> 16), 80, 26, 0)
		frames.append(eth + h + u + pay)
	flen = len(frames[0])
	t0 = 1700000000 * 1000000
	rec = struct.Struct("<IIII")
	tmp = out + ".tmp"
	with open(tmp, "wb") as f:
		f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
		buf = []
		for k in range(packets):
			t = t0 + k
			buf.append(rec.pack(t // 1000000, t % 1000000, flen, flen))
			buf.append(frames[k % flows])
			if len(buf) >= 65536:
				f.write(b"".join(buf))
				buf = []
		f.write(b"".join(buf))
	os.rename(tmp, out)


def main():
	a = sys.argv[1:]
	if len(a) == 4 and a[0] == "gen":
		gen(a[1], int(a[2]), int(a[3]))
		return 0
	print("usage: flowexport.py gen OUT PACKETS FLOWS", file=sys.stderr)
	return 2


if __name__ == "__main__":
	sys.exit(main())
