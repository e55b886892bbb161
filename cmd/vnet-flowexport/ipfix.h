/* SPDX-License-Identifier: ISC */
/* ipfix.h -- IPFIX (RFC 7011) exporting process: messages of flow records
 * and the transport to one collector.
 *
 * Messages: version 10, exportTime (seconds, from the `now` the caller
 * passes: the one clock), sequence number = data records sent in this
 * Transport Session and Observation Domain before the message (mod 2^32;
 * the sampling options record counts, template records do not),
 * observation domain from the config.  Records go into data sets of
 * template 256 (IPv4 flows) or 257 (IPv6 flows), packed until the next one
 * would pass msg_max bytes.  The templates (and, with sampling, options
 * template 258 with its one data record) open the first message of a
 * session, and over UDP again once refresh_ns has passed or refresh_msgs
 * messages were sent since they last went out, whichever first.  Over TCP
 * they go once per connection.
 *
 * Fields of templates 256/257, network byte order, in this order:
 *   sourceIPv4Address(8)/sourceIPv6Address(27), destinationIPv4Address(12)
 *   /destinationIPv6Address(28), sourceTransportPort(7) 2,
 *   destinationTransportPort(11) 2, protocolIdentifier(4) 1,
 *   tcpControlBits(6) 2, ipClassOfService(5) 1, icmpTypeCodeIPv4(32)/
 *   icmpTypeCodeIPv6(139) 2, octetDeltaCount(1) 8, packetDeltaCount(2) 8,
 *   flowStartMilliseconds(152) 8, flowEndMilliseconds(153) 8, vlanId(58)
 *   2, sourceMacAddress(56) 6, destinationMacAddress(80) 6, then
 *   layer2SegmentId(351) 8 (0x01 << 56 | VNI for VXLAN, 0 without a
 *   segment) in the standard profile, or ingressVRFID(234) 4 and
 *   egressVRFID(235) 4 both holding the VNI (0 without) in the nfdump
 *   profile, then flowEndReason(136) 1, ingressInterface(10) 4,
 *   egressInterface(14) 4.
 * Options template 258 (scope selectorId(302) 8; selectorAlgorithm(304)
 * 2, samplingPacketInterval(305) 4, samplingPacketSpace(306) 4) carries
 * selectorId 1, algorithm 1 (systematic count-based, RFC 5475), interval
 * 1 and space N - 1 for 1-in-N sampling.
 *
 * Transports: UDP, a connected socket: a failed send (ECONNREFUSED from an
 * earlier ICMP error, ENOBUFS, ...) is counted in send_errors and the
 * export goes on; when there is no route to the collector at the start,
 * an unconnected one (sendto).  TCP, non-blocking: messages queue in a bounded buffer
 * written as the socket takes them; when the connection fails, the records
 * queued and those added while it is down are counted in records_dropped,
 * and it is retried after 1 s, doubling up to 30 s (CLOCK_MONOTONIC).
 * Nothing blocks except vnet_ipfix_connect() (the first TCP connect, up to
 * its timeout) and vnet_ipfix_drain().
 *
 * Errors: 0 or -errno; constructors return NULL with errno set.  Nothing
 * here prints.
 */
#ifndef VNET_IPFIX_H
#define VNET_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/addr.h"
#include "vnet/err.h"
#include "vnet-flowexport/flow.h"

#define VNET_IPFIX_VERSION 10
#define VNET_IPFIX_PORT 4739
#define VNET_IPFIX_HLEN 16
#define VNET_IPFIX_TPL_V4 256
#define VNET_IPFIX_TPL_V6 257
#define VNET_IPFIX_TPL_SAMPLING 258
#define VNET_IPFIX_SET_TEMPLATE 2
#define VNET_IPFIX_SET_OPTIONS 3
/* The smallest msg_max: a message with every template, the sampling
 * record and one IPv6 record fits. */
#define VNET_IPFIX_MSG_MIN 400
#define VNET_IPFIX_MSG_MAX 65535

enum vnet_ipfix_profile { VNET_IPFIX_STANDARD, VNET_IPFIX_NFDUMP };
/* "standard" or "nfdump"; 0 or -EINVAL. */
int vnet_ipfix_profile_parse(const char *s, enum vnet_ipfix_profile *p);
/* Bytes of one data record of template tid (256 or 257) in profile p. */
size_t vnet_ipfix_record_len(enum vnet_ipfix_profile p, unsigned tid);

enum vnet_ipfix_proto { VNET_IPFIX_UDP, VNET_IPFIX_TCP };

struct vnet_ipfix_collector {
	enum vnet_ipfix_proto proto;
	struct vnet_addr addr;
	uint16_t port;
};
/* "udp:ADDR[:PORT]", "tcp:ADDR[:PORT]" or "ADDR[:PORT]" (UDP); an IPv6
 * address with a port is bracketed ("[2001:db8::1]:4739"); a bare IPv6
 * address may be written without.  PORT defaults to 4739.  0, or -EINVAL
 * with e (may be NULL) naming the quoted spec and what is wrong. */
int vnet_ipfix_collector_parse(const char *s, struct vnet_ipfix_collector *c,
			       struct vnet_err *e);
/* "udp:198.18.0.1:4739", "tcp:[2001:db8::1]:4739"; returns buf. */
const char *vnet_ipfix_collector_fmt(const struct vnet_ipfix_collector *c,
				     char *buf, size_t len);

struct vnet_ipfix_config {
	uint32_t domain;		/* observation domain ID */
	enum vnet_ipfix_profile profile;
	size_t msg_max;			/* VNET_IPFIX_MSG_MIN..MSG_MAX */
	uint64_t refresh_ns;		/* UDP template refresh; 0 never */
	uint32_t refresh_msgs;		/* ... every N messages; 0 never */
	uint32_t sample_n;		/* > 1: announce 1-in-N sampling */
	/* UDP: at most rate flow records a second (0: as fast as they
	 * come).  A message waits, with the signals unblocked (sig.h),
	 * until the records before it have had their time; up to 10 ms
	 * of time not used is credited.  After a stop signal it waits no
	 * more. */
	uint64_t rate;
};

struct vnet_ipfix_stats {
	uint64_t records_exported; /* flow records sent (TCP: written) */
	uint64_t messages_sent;
	uint64_t templates_sent;   /* template records sent (2 each time,
				    * 3 with the sampling options) */
	uint64_t send_errors;	   /* failed sends (UDP: each send(2) that
				    * failed; ECONNREFUSED is retried once) */
	uint64_t send_full;	   /* of send_errors, UDP sends refused for a
				    * full socket buffer or device queue
				    * (EAGAIN, ENOBUFS): the message is lost */
	uint64_t records_dropped;  /* flow records lost while TCP was down */
	uint64_t connects;	   /* TCP connections made */
};

struct vnet_ipfix;

struct vnet_ipfix *vnet_ipfix_new(const struct vnet_ipfix_config *c);
/* Closes the socket (without draining); takes NULL. */
void vnet_ipfix_free(struct vnet_ipfix *x);

/* Open the transport to collector c.  UDP: 0 or -errno.  TCP: the first
 * connect waits up to timeout_ms; 0 when connected, 1 when it failed or
 * is still in progress (the reason in vnet_ipfix_error(); retried with
 * backoff by vnet_ipfix_poll()), or -errno when no socket can be made. */
int vnet_ipfix_connect(struct vnet_ipfix *x,
		       const struct vnet_ipfix_collector *c, int timeout_ms);
/* The last transport error (errno value), 0 if none. */
int vnet_ipfix_error(const struct vnet_ipfix *x);

/* Instead of a socket, hand each finished message to out (tests,
 * fuzzers).  out returns 0 (sent), -ENOTCONN (not sent: its flow
 * records count as dropped and the sequence number does not move), or
 * another -errno (a failed send: counted in send_errors). */
void vnet_ipfix_set_output(struct vnet_ipfix *x,
			   int (*out)(void *arg, const uint8_t *msg,
				      size_t len),
			   void *arg);
/* Start a new Transport Session by hand (what a TCP reconnect does):
 * sequence number 0 and templates in the next message. */
void vnet_ipfix_new_session(struct vnet_ipfix *x);

/* Add one flow record at time now; a full message is sent first.  0, or
 * the -errno of that send (already counted). */
int vnet_ipfix_add(struct vnet_ipfix *x, const struct vnet_flow *f,
		   uint64_t now);
/* Send the message being built, if it holds any record. */
int vnet_ipfix_flush(struct vnet_ipfix *x, uint64_t now);
/* Records in the message being built, and the time its first came. */
unsigned vnet_ipfix_pending(const struct vnet_ipfix *x);
uint64_t vnet_ipfix_pending_since(const struct vnet_ipfix *x);

/* TCP: advance a connect, write what is queued, reconnect when the
 * backoff has passed.  Cheap; call it every batch and every tick. */
void vnet_ipfix_poll(struct vnet_ipfix *x);
/* TCP: wait up to timeout_ms until the queue is written.  0, or
 * -ETIMEDOUT / -ENOTCONN with the rest counted as dropped. */
int vnet_ipfix_drain(struct vnet_ipfix *x, int timeout_ms);

const struct vnet_ipfix_stats *vnet_ipfix_stats(const struct vnet_ipfix *x);

#endif
