/* SPDX-License-Identifier: MIT */
/*
 * slirp_limit.h - bounds on the host sockets a slirp uplink opens for guests
 *
 * libslirp opens a host socket for every new TCP connection, UDP source
 * port and ping a guest sends, inside slirp_input(). This module decides,
 * before a guest's frame goes in, whether it may open one more; it keeps
 * the count from libslirp's register_poll_fd / unregister_poll_fd calls.
 * No I/O, no libslirp and no logging here: slirp.c drives it, the unit
 * test drives it with frames of its own.
 */
#ifndef SOCKSWITCH_SLIRP_LIMIT_H
#define SOCKSWITCH_SLIRP_LIMIT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * enum slirp_refusal - why a guest's frame was kept from libslirp
 * @SLIRP_REFUSED_CONN_MAX:	the uplink holds its bound of host sockets
 * @SLIRP_REFUSED_CONN_MAX_GUEST: the guest holds its share
 * @SLIRP_REFUSED_HALF_OPEN:	the guest has its bound of TCP connects in
 *				progress (a new TCP connection only)
 */
enum slirp_refusal {
	SLIRP_REFUSED_CONN_MAX,
	SLIRP_REFUSED_CONN_MAX_GUEST,
	SLIRP_REFUSED_HALF_OPEN,
	SLIRP_REFUSED__MAX,
};

#define SLIRP_ADMIT (-1) /* slirp_limit_admit(): let the frame in */
#define SLIRP_RST_LEN 74 /* room for the longest RST slirp_limit_rst() makes */

extern const char *const slirp_refusal_name[SLIRP_REFUSED__MAX];

/**
 * struct slirp_flow - what libslirp keys a host socket by, guest side first
 * @proto:	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP (0: a fragment)
 * @pad:	zero (the struct is hashed and compared as bytes)
 * @gport:	the guest's port (network order); TCP and UDP
 * @fport:	the far end's port as the guest sees it; TCP only
 * @gaddr:	the guest's address (IPv4 as ::ffff:a.b.c.d)
 * @faddr:	the far end's address; TCP only (and for messages)
 */
struct slirp_flow {
	uint8_t proto;
	uint8_t pad;
	uint16_t gport, fport;
	uint8_t gaddr[16], faddr[16];
};

/**
 * struct slirp_lsock - one host socket of libslirp, found by descriptor
 * @flow:	the frame it was opened for
 * @next:	next descriptor in @flow's hash chain, or -1
 * @guest:	index of its guest, or -1 (opened outside a guest's frame:
 *		a port forward accepting a connection)
 * @used:	this descriptor is libslirp's
 * @hashed:	in the flow hash (TCP and UDP)
 * @half_open:	a TCP connect() libslirp has not seen complete yet
 */
struct slirp_lsock {
	struct slirp_flow flow;
	int32_t next;
	int32_t guest;
	bool used, hashed, half_open;
};

/**
 * struct slirp_lguest - a guest (a source MAC address) holding sockets
 * @mac:	its address
 * @used:	the slot is in use
 * @socks:	host sockets it holds
 * @half_open:	how many of them are TCP connects in progress
 * @next:	next in its hash chain, or in the free list; -1 ends both
 */
struct slirp_lguest {
	uint8_t mac[6];
	bool used;
	uint32_t socks, half_open;
	int32_t next;
};

/**
 * struct slirp_limit_stats - what the uplink reports
 * @socks:	host sockets now (guests' and port forwards')
 * @half_open:	TCP connects in progress now
 * @guests:	guests holding at least one socket
 * @outside:	sockets opened outside a guest's frame (port forwards)
 * @peak:	most @socks at once
 * @refused:	frames kept from libslirp, by reason
 * @rst:	TCP resets sent back for refused connections
 */
struct slirp_limit_stats {
	uint32_t socks, half_open, guests, outside, peak;
	uint64_t refused[SLIRP_REFUSED__MAX];
	uint64_t rst;
};

/**
 * struct slirp_limit - the bounds and the sockets they count
 * @conn_max:	bound on @st.socks for new guest sockets
 * @guest_max:	bound on one guest's sockets
 * @half_open_max: bound on one guest's TCP connects in progress
 * @host:	slirp's own IPv4 address (DHCP, TFTP, ping: no socket)
 * @dns:	its DNS address (ping: no socket)
 * @host6:	its IPv6 address (DHCPv6, TFTP: no socket)
 * @seed:	hash key, per uplink
 * @sock:	sockets by descriptor (@nsock entries)
 * @nsock:	size of @sock
 * @sbucket:	flow hash heads (descriptors, -1 empty), @snb of them
 * @snb:	a power of two
 * @nhashed:	sockets in the flow hash
 * @guest:	guest slots, @nguest of them
 * @nguest:	size of @guest
 * @gfree:	first free slot, or -1
 * @gbucket:	guest hash heads, @gnb of them
 * @gnb:	a power of two
 * @lost:	sockets counted but not tracked (out of memory)
 * @st:		counters
 * @in_input:	a guest's frame is in slirp_input(): sockets registered now
 *		are that guest's
 * @cur_mac:	its source MAC
 * @cur:	its flow
 * @cur_syn:	it opens a TCP connection (the socket starts half-open)
 * @cur_hash:	@cur goes into the flow hash
 */
struct slirp_limit {
	uint32_t conn_max, guest_max, half_open_max;
	struct in_addr host, dns;
	struct in6_addr host6;
	uint64_t seed;
	struct slirp_lsock *sock;
	uint32_t nsock;
	int32_t *sbucket;
	uint32_t snb, nhashed;
	struct slirp_lguest *guest;
	uint32_t nguest;
	int32_t gfree;
	int32_t *gbucket;
	uint32_t gnb;
	uint32_t lost;
	struct slirp_limit_stats st;
	bool in_input;
	uint8_t cur_mac[6];
	struct slirp_flow cur;
	bool cur_syn, cur_hash;
};

void slirp_limit_init(struct slirp_limit *l, uint64_t seed);
void slirp_limit_fini(struct slirp_limit *l);
void slirp_limit_forget(struct slirp_limit *l);
int slirp_limit_admit(struct slirp_limit *l, const uint8_t *f, size_t len,
		      const char **what);
void slirp_limit_input_done(struct slirp_limit *l);
void slirp_limit_register(struct slirp_limit *l, int fd);
void slirp_limit_unregister(struct slirp_limit *l, int fd);
void slirp_limit_output(struct slirp_limit *l, const uint8_t *f, size_t len);
size_t slirp_limit_rst(const uint8_t *syn, size_t len, uint8_t *out,
		       size_t cap);

#endif /* SOCKSWITCH_SLIRP_LIMIT_H */
