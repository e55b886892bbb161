#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# net.py -- traffic ends for the vnet-acl overlay tests.
#
# Usage (addresses IPv4 or IPv6; every wait bounded):
#   net.py serve READY SPEC...
#       Echo servers on every SPEC (tcp:ADDR:PORT, udp:ADDR:PORT; IPv6 as
#       tcp:[ADDR]:PORT): TCP connections and UDP datagrams are echoed.
#       Writes the file READY once every socket is bound; runs until
#       killed.
#   net.py probe tcp|udp ADDR PORT [TIMEOUT]
#       One exchange with an echo server, TIMEOUT seconds at most (default
#       5).  Prints the outcome and exits 0 only for "ok":
#         ok           the echo came back
#         refused      TCP RST / ICMP port unreachable (ECONNREFUSED)
#         unreachable  ICMP destination / administratively prohibited
#         timeout      nothing came back
#         reset, error:...  anything else
#   net.py recv ADDR PORT OUT [IDLE]
#       Accept one TCP connection, write what it carries to OUT (unbuffered)
#       until EOF; exit 0 at EOF, 1 when nothing came for IDLE seconds
#       (default 30).  Writes OUT.ready once listening.
#   net.py send ADDR PORT FILE [--pause BYTES:GOFILE]... [--timeout S]
#       Send FILE over TCP with a small send buffer.  At each pause (after
#       BYTES bytes) wait, at most 60 s, for GOFILE to exist, then go on.
#       A socket operation blocked longer than --timeout (default 5 s)
#       fails: "send: timed out after N bytes", exit 1.
# Only the standard library is used.

import errno
import os
import selectors
import socket
import sys
import time


def sockaddr(addr, port):
	fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
	return fam, (addr, int(port))


def split_spec(spec):
	proto, rest = spec.split(":", 1)
	if rest.startswith("["):
		addr, port = rest[1:].split("]:")
	else:
		addr, port = rest.rsplit(":", 1)
	return proto, addr, int(port)


def serve(ready, specs):
	sel = selectors.DefaultSelector()
	for spec in specs:
		proto, addr, port = split_spec(spec)
		fam, sa = sockaddr(addr, port)
		if proto == "tcp":
			s = socket.socket(fam, socket.SOCK_STREAM)
			s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
			s.bind(sa)
			s.listen(16)
			sel.register(s, selectors.EVENT_READ, "listen")
		else:
			s = socket.socket(fam, socket.SOCK_DGRAM)
			s.bind(sa)
			sel.register(s, selectors.EVENT_READ, "udp")
	open(ready, "w").close()
	while True:
		for key, _ in sel.select():
			s = key.fileobj
			if key.data == "listen":
				try:
					c, _ = s.accept()
				except OSError:
					continue
				c.setblocking(False)
				sel.register(c, selectors.EVENT_READ, "conn")
			elif key.data == "udp":
				try:
					d, peer = s.recvfrom(65535)
					s.sendto(d, peer)
				except OSError:
					pass
			else:
				try:
					d = s.recv(65536)
				except OSError:
					d = b""
				if d:
					try:
						s.setblocking(True)
						s.settimeout(2)
						s.sendall(d)
						s.setblocking(False)
						continue
					except OSError:
						pass
				sel.unregister(s)
				s.close()


def probe(proto, addr, port, timeout):
	fam, sa = sockaddr(addr, port)
	msg = b"vnet-acl probe %d\n" % os.getpid()
	deadline = time.monotonic() + timeout
	try:
		if proto == "tcp":
			s = socket.socket(fam, socket.SOCK_STREAM)
			s.settimeout(timeout)
			s.connect(sa)
			s.sendall(msg)
			got = b""
			while len(got) < len(msg):
				s.settimeout(max(0.01, deadline - time.monotonic()))
				d = s.recv(len(msg) - len(got))
				if not d:
					return "error:eof"
				got += d
		else:
			s = socket.socket(fam, socket.SOCK_DGRAM)
			s.connect(sa)
			# Twice at most: the first may wait on neighbour resolution.
			for i in range(2):
				s.send(msg)
				left = deadline - time.monotonic()
				s.settimeout(max(0.01, left / (2 - i)))
				try:
					got = s.recv(65535)
					break
				except socket.timeout:
					if i == 1:
						raise
		return "ok" if got == msg else "error:garbled"
	except ConnectionRefusedError:
		return "refused"
	except ConnectionResetError:
		return "reset"
	except socket.timeout:
		return "timeout"
	except OSError as e:
		if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES):
			return "unreachable"
		return "error:%s" % (errno.errorcode.get(e.errno, e.errno))


def recv(addr, port, out, idle):
	fam, sa = sockaddr(addr, port)
	ls = socket.socket(fam, socket.SOCK_STREAM)
	ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind(sa)
	ls.listen(1)
	open(out + ".ready", "w").close()
	ls.settimeout(idle)
	n = 0
	try:
		c, _ = ls.accept()
		c.settimeout(idle)
		fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
		while True:
			d = c.recv(1 << 16)
			if not d:
				break
			os.write(fd, d)
			n += len(d)
	except socket.timeout:
		print("recv: idle for %gs after %d bytes" % (idle, n), file=sys.stderr)
		return 1
	except OSError as e:
		print("recv: %s after %d bytes" % (e, n), file=sys.stderr)
		return 1
	print("recv: %d bytes" % n, file=sys.stderr)
	return 0


def send(addr, port, path, pauses, timeout):
	fam, sa = sockaddr(addr, port)
	data = open(path, "rb").read()
	s = socket.socket(fam, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
	s.settimeout(timeout)
	off = 0
	try:
		s.connect(sa)
		for at, go in sorted(pauses) + [(len(data), None)]:
			while off < at:
				n = s.send(data[off:min(at, off + 65536)])
				off += n
			if go is None:
				break
			print("send: paused at %d bytes" % off, file=sys.stderr)
			for _ in range(600):
				if os.path.exists(go):
					break
				time.sleep(0.1)
			else:
				print("send: no %s within 60 s" % go, file=sys.stderr)
				return 1
		s.shutdown(socket.SHUT_WR)
		# Wait for the receiver's close: everything was delivered.
		while s.recv(4096):
			pass
	except socket.timeout:
		print("send: timed out after %d bytes" % off, file=sys.stderr)
		return 1
	except OSError as e:
		print("send: %s after %d bytes" % (e, off), file=sys.stderr)
		return 1
	print("send: %d bytes" % off, file=sys.stderr)
	return 0


def main():
	a = sys.argv[1:]
	if len(a) >= 2 and a[0] == "serve":
		serve(a[1], a[2:])
	elif len(a) in (4, 5) and a[0] == "probe":
		r = probe(a[1], a[2], int(a[3]), float(a[4]) if len(a) == 5 else 5)
		print(r)
		sys.exit(0 if r == "ok" else 1)
	elif len(a) in (4, 5) and a[0] == "recv":
		sys.exit(recv(a[1], a[2], a[3], float(a[4]) if len(a) == 5 else 30))
	elif len(a) >= 4 and a[0] == "send":
		pauses, timeout, rest = [], 5.0, a[4:]
		while rest:
			if rest[0] == "--pause":
				b, g = rest[1].split(":", 1)
				pauses.append((int(b), g))
			elif rest[0] == "--timeout":
				timeout = float(rest[1])
			else:
				sys.exit("net.py: unknown option %s" % rest[0])
			rest = rest[2:]
		sys.exit(send(a[1], a[2], a[3], pauses, timeout))
	else:
		sys.exit("usage: see the header of net.py")


if __name__ == "__main__":
	main()
