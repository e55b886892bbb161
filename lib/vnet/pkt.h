/* SPDX-License-Identifier: ISC */
/* pkt.h -- bounds-checked parsing of Ethernet, 802.1Q, ARP, IPv4, IPv6,
 * UDP, TCP, ICMP and ICMPv6.
 *
 * vnet_pkt_parse() never reads outside [data, data + len).  It parses as
 * deep as the frame allows and records how far it got in `layers`; a
 * malformed deeper header stops parsing and sets `err`, it never fails the
 * whole call.  It returns 0, or -EINVAL when the frame is shorter than an
 * Ethernet header.
 */
#ifndef VNET_PKT_H
#define VNET_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/addr.h"

#define VNET_ETH_HLEN 14
#define VNET_VLAN_HLEN 4
#define VNET_ETH_P_IP 0x0800
#define VNET_ETH_P_ARP 0x0806
#define VNET_ETH_P_8021Q 0x8100
#define VNET_ETH_P_8021AD 0x88a8
#define VNET_ETH_P_IPV6 0x86dd
#define VNET_ETH_P_TEB 0x6558 /* transparent Ethernet bridging */
#define VNET_IP4_HLEN 20 /* without options */
#define VNET_IP6_HLEN 40
#define VNET_UDP_HLEN 8

/* TCP header flags (byte 13), as in struct vnet_pkt's tcp_flags. */
#define VNET_TCP_FIN 0x01
#define VNET_TCP_SYN 0x02
#define VNET_TCP_RST 0x04
#define VNET_TCP_PSH 0x08
#define VNET_TCP_ACK 0x10
#define VNET_TCP_URG 0x20
#define VNET_TCP_ECE 0x40
#define VNET_TCP_CWR 0x80

enum vnet_pkt_layer {
	VNET_L_ETH = 1 << 0,
	VNET_L_VLAN = 1 << 1,  /* at least one 802.1Q/802.1ad tag */
	VNET_L_ARP = 1 << 2,
	VNET_L_IPV4 = 1 << 3,
	VNET_L_IPV6 = 1 << 4,
	VNET_L_UDP = 1 << 5,
	VNET_L_TCP = 1 << 6,
	VNET_L_ICMP = 1 << 7,  /* ICMP or ICMPv6 */
	VNET_L_FRAG = 1 << 8,  /* IP fragment; L4 parsed only if offset 0 */
	VNET_L_SCTP = 1 << 9,  /* the SCTP common header (RFC 9260 3.1) */
};

enum vnet_pkt_err {
	VNET_PKT_OK = 0,
	VNET_PKT_ERR_VLAN_SHORT,  /* tag cut short */
	VNET_PKT_ERR_L3_SHORT,	  /* IP/ARP header cut short */
	VNET_PKT_ERR_L3_BAD,	  /* bad version, IHL < 5, total length < IHL */
	VNET_PKT_ERR_L3_LEN,	  /* IP total length beyond the frame */
	VNET_PKT_ERR_L4_SHORT,	  /* UDP/TCP/ICMP header cut short */
	VNET_PKT_ERR_L4_BAD,	  /* TCP data offset < 5, UDP length < 8, ... */
	VNET_PKT_ERR_EXTHDR,	  /* IPv6 extension header chain malformed */
};

struct vnet_pkt {
	const uint8_t *data;
	size_t len;
	uint32_t layers;       /* enum vnet_pkt_layer bits */
	uint8_t err;	       /* enum vnet_pkt_err */
	uint8_t dst[6], src[6];
	uint16_t vlan;	       /* VID of the outermost tag (VNET_L_VLAN) */
	uint8_t pcp;	       /* its priority */
	uint8_t ntags;	       /* number of 802.1Q/802.1ad tags */
	uint16_t ethertype;    /* after the tags */
	uint16_t l3_off;       /* offset of the IP/ARP header */
	uint16_t l3_len;       /* IP total length (v4) / 40 + payload (v6) */
	uint16_t l4_off;       /* offset of the UDP/TCP/ICMP header */
	uint16_t payload_off;  /* offset past the L4 header */
	uint8_t ip_proto;      /* final next-header/protocol */
	uint8_t ttl;	       /* TTL or hop limit */
	uint8_t tos;	       /* TOS or traffic class */
	struct vnet_addr saddr, daddr; /* IP, or ARP sender/target protocol */
	uint16_t sport, dport; /* UDP/TCP/SCTP ports */
	uint8_t tcp_flags;     /* VNET_TCP_* */
	uint8_t icmp_type, icmp_code;
	uint16_t arp_op;
};

int vnet_pkt_parse(const uint8_t *data, size_t len, struct vnet_pkt *p);
const char *vnet_pkt_err_str(int err);

#endif
