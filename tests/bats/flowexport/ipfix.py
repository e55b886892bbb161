#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# ipfix.py -- a strict IPFIX (RFC 7011) collector and decoder for the tests.
#
# Usage:
#   ipfix.py recv udp:ADDR:PORT|tcp:ADDR:PORT OUT
#       Listen (IPv4 or [IPv6]), append every UDP datagram, or every byte of
#       every TCP connection, to OUT (IPFIX messages are self-delimiting, so
#       OUT is a stream of messages), flushed at once.  Writes OUT.ready
#       once listening.  Runs until SIGTERM/SIGINT, then exits 0.
#   ipfix.py decode FILE [--no-seq]
#       Decode a stream of IPFIX messages ('-' = stdin) and print one JSON
#       object a line:
#         {"type": "msg", "n": N, "length", "export_time", "seq", "domain",
#          "records": data records in it, "sets": [set IDs]}
#         {"type": "template"|"options_template", "msg": N, "id",
#          "scope": scope field count (options only),
#          "fields": [[IE, length], ...]}
#         {"type": "data"|"options_data", "msg": N, "set": template ID,
#          NAME: value, ...}  (names below; addresses and MACs as strings,
#          numbers as integers, layer2SegmentId as {"type", "id"}, unknown
#          IEs as "ieN" in hex)
#       Checks every length (message, set, template, record, padding),
#       that the version is 10, that every data set has a template sent
#       before it, and (unless --no-seq) that the sequence number is the
#       number of data records sent before it in its domain (RFC 7011
#       section 3.1).  A violation prints "ipfix.py: message N (offset O):
#       what" to stderr and exits 1, after the lines decoded so far.
# Only the standard library is used.

import ipaddress
import json
import os
import selectors
import signal
import socket
import struct
import sys

NAMES = {
	1: "octetDeltaCount", 2: "packetDeltaCount", 4: "protocolIdentifier",
	5: "ipClassOfService", 6: "tcpControlBits",
	7: "sourceTransportPort", 8: "sourceIPv4Address",
	10: "ingressInterface", 11: "destinationTransportPort",
	12: "destinationIPv4Address", 14: "egressInterface",
	27: "sourceIPv6Address", 28: "destinationIPv6Address",
	32: "icmpTypeCodeIPv4", 56: "sourceMacAddress", 58: "vlanId",
	80: "destinationMacAddress", 136: "flowEndReason",
	139: "icmpTypeCodeIPv6", 144: "exportingProcessId",
	149: "observationDomainId", 152: "flowStartMilliseconds",
	153: "flowEndMilliseconds", 234: "ingressVRFID", 235: "egressVRFID",
	302: "selectorId", 304: "selectorAlgorithm",
	305: "samplingPacketInterval", 306: "samplingPacketSpace",
	351: "layer2SegmentId",
}
ADDR = {8, 12, 27, 28}
MAC = {56, 80}


class Bad(Exception):
	pass


def value(ie, data):
	if ie in ADDR and len(data) in (4, 16):
		return str(ipaddress.ip_address(data))
	if ie in MAC and len(data) == 6:
		return ":".join("%02x" % b for b in data)
	if ie == 351 and len(data) == 8:
		# RFC 7133: segment type in the top byte (1: VXLAN), the ID
		# below; split, since jq reads numbers as doubles.
		v = int.from_bytes(data, "big")
		return {"type": v >> 56, "id": v & ((1 << 56) - 1)}
	if ie in NAMES and len(data) <= 8:
		return int.from_bytes(data, "big")
	return data.hex()


def fields(body, off, end, count):
	out = []
	for _ in range(count):
		if off + 4 > end:
			raise Bad("template runs past its set")
		ie, ln = struct.unpack_from("!HH", body, off)
		off += 4
		if ie & 0x8000:
			if off + 4 > end:
				raise Bad("enterprise number runs past its set")
			ie = "%d/%d" % (struct.unpack_from("!I", body, off)[0],
					ie & 0x7FFF)
			off += 4
		if ln == 0xFFFF:
			raise Bad("variable-length field in a template")
		if ln == 0:
			raise Bad("field %s of length 0" % ie)
		out.append([ie, ln])
	return out, off


def decode(buf, seqcheck, emit):
	templates = {}		# (domain, id) -> (kind, fields)
	sent = {}		# domain -> data records so far
	off = 0
	n = 0
	while off < len(buf):
		n += 1
		where = "message %d (offset %d)" % (n, off)
		try:
			if len(buf) - off < 16:
				raise Bad("%d bytes left, shorter than a "
					  "message header" % (len(buf) - off))
			ver, length, etime, seq, dom = struct.unpack_from(
				"!HHIII", buf, off)
			if ver != 10:
				raise Bad("version %d, not 10" % ver)
			if length < 16 or off + length > len(buf):
				raise Bad("length %d does not fit" % length)
			msg = buf[off:off + length]
			p = 16
			lines = []
			records = 0
			sets = []
			while p < length:
				if length - p < 4:
					raise Bad("%d bytes after the last set"
						  % (length - p))
				sid, slen = struct.unpack_from("!HH", msg, p)
				if slen < 4 or p + slen > length:
					raise Bad("set %d: length %d does not "
						  "fit" % (sid, slen))
				sets.append(sid)
				end = p + slen
				q = p + 4
				if sid in (2, 3):
					while end - q >= 4:
						tid, cnt = struct.unpack_from(
							"!HH", msg, q)
						q += 4
						if tid < 256:
							raise Bad("template ID %d"
								  % tid)
						scope = 0
						if sid == 3:
							if end - q < 2:
								raise Bad("options "
									  "template "
									  "cut")
							scope = struct.unpack_from(
								"!H", msg, q)[0]
							q += 2
							if scope == 0 or \
							   scope > cnt:
								raise Bad("scope "
									  "count %d"
									  % scope)
						f, q = fields(msg, q, end, cnt)
						if cnt == 0:
							raise Bad("template "
								  "withdrawal")
						kind = "template" if sid == 2 \
							else "options_template"
						templates[(dom, tid)] = (kind, f)
						o = {"type": kind, "msg": n,
						     "id": tid, "fields": f}
						if sid == 3:
							o["scope"] = scope
						lines.append(o)
					if msg[q:end].strip(b"\0"):
						raise Bad("set %d: %d stray "
							  "bytes" % (sid,
								     end - q))
				elif sid >= 256:
					t = templates.get((dom, sid))
					if t is None:
						raise Bad("data set %d before "
							  "its template" % sid)
					kind, f = t
					rlen = sum(x[1] for x in f)
					while end - q >= rlen:
						o = {"type": "data" if kind ==
						     "template" else
						     "options_data",
						     "msg": n, "set": sid}
						for ie, ln in f:
							name = NAMES.get(ie,
								"ie%s" % ie)
							o[name] = value(ie,
								msg[q:q + ln])
							q += ln
						records += 1
						lines.append(o)
					if msg[q:end].strip(b"\0"):
						raise Bad("data set %d: %d "
							  "bytes left, not "
							  "zero padding" %
							  (sid, end - q))
				else:
					raise Bad("reserved set ID %d" % sid)
				p = end
			if seqcheck and seq != sent.get(dom, 0) & 0xFFFFFFFF:
				raise Bad("sequence number %d, expected %d"
					  % (seq, sent.get(dom, 0)))
			sent[dom] = sent.get(dom, 0) + records
			emit({"type": "msg", "n": n, "length": length,
			      "export_time": etime, "seq": seq,
			      "domain": dom, "records": records,
			      "sets": sets})
			for o in lines:
				emit(o)
			off += length
		except Bad as e:
			print("ipfix.py: %s: %s" % (where, e), file=sys.stderr)
			return 1
	return 0


def parse_spec(spec):
	proto, _, rest = spec.partition(":")
	if proto not in ("udp", "tcp") or not rest:
		sys.exit("ipfix.py: bad spec %r" % spec)
	if rest.startswith("["):
		host, _, port = rest[1:].partition("]:")
	else:
		host, _, port = rest.rpartition(":")
	fam = socket.AF_INET6 if ":" in host else socket.AF_INET
	return proto, fam, host, int(port)


def recv(spec, out):
	proto, fam, host, port = parse_spec(spec)
	stop = []
	signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
	signal.signal(signal.SIGINT, lambda *a: stop.append(1))
	typ = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
	s = socket.socket(fam, typ)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
	s.bind((host, port))
	if proto == "tcp":
		s.listen(4)
	sel = selectors.DefaultSelector()
	sel.register(s, selectors.EVENT_READ)
	f = open(out, "ab")
	open(out + ".ready", "w").close()
	while not stop:
		try:
			ev = sel.select(0.2)
		except InterruptedError:
			continue
		for key, _ in ev:
			c = key.fileobj
			if c is s and proto == "tcp":
				conn, _ = s.accept()
				sel.register(conn, selectors.EVENT_READ)
				continue
			try:
				d = c.recv(65536)
			except ConnectionError:
				d = b""
			if not d and c is not s:
				sel.unregister(c)
				c.close()
				continue
			f.write(d)
			f.flush()
	# Drain what is already queued.
	s.setblocking(False)
	if proto == "udp":
		while True:
			try:
				f.write(s.recv(65536))
			except (BlockingIOError, InterruptedError):
				break
	f.close()
	return 0


def main():
	a = sys.argv[1:]
	if len(a) == 3 and a[0] == "recv":
		return recv(a[1], a[2])
	if len(a) in (2, 3) and a[0] == "decode":
		seq = not (len(a) == 3 and a[2] == "--no-seq")
		if len(a) == 3 and a[2] != "--no-seq":
			sys.exit("usage: ipfix.py decode FILE [--no-seq]")
		f = sys.stdin.buffer if a[1] == "-" else open(a[1], "rb")
		buf = f.read()
		return decode(buf, seq,
			      lambda o: print(json.dumps(o), flush=False))
	print("usage: ipfix.py recv udp:ADDR:PORT|tcp:ADDR:PORT OUT\n"
	      "       ipfix.py decode FILE [--no-seq]", file=sys.stderr)
	return 2


if __name__ == "__main__":
	sys.exit(main())
