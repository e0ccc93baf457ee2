// SPDX-License-Identifier: MIT
/*
 * vxlan.c - vxlan uplinks: the LAN reaches VTEPs on other machines
 *
 * DOC: Theory of Operation
 * VXLAN (RFC 7348, as Linux implements it) carries each Ethernet frame in
 * one UDP datagram: an 8-byte header `08 00 00 00 | VNI (24 bits) | 00`,
 * then the frame. A UDP socket is all it takes, so no privilege is needed
 * (4789 and 8472 are not privileged ports).
 *
 * Each remote VTEP is a port of its own, as Open vSwitch makes one port
 * per remote_ip: learning, counters and VLAN modes work per remote (and
 * so will spanning tree), and a switch in the middle of a star relays between remotes
 * that only know it (flooding is head-end replication: a frame flooded
 * goes to every remote's port). The config gives one entry per remote
 * (uplink_cfg.c splits a spec with several), and each is an uplink.
 *
 * The ports of one local address and UDP port share one socket (struct
 * vxlan_sock), bound to local:port (any address if local= is not given),
 * because the remotes all send to that port. The socket is found among
 * the running vxlan uplinks when one starts, and is closed when the last
 * one stops. It sends from the bound port too: peers that key a tunnel on
 * addresses (OVS, VPP) see the address they were configured with, and a
 * single source port passes any firewall that lets the tunnel's port
 * through. Linux instead picks a source port per flow, for ECMP and RSS
 * entropy; one socket cannot, and a pool of send sockets would multiply
 * what a firewall must allow, for gains that a single unprivileged switch
 * process cannot use anyway. Received datagrams are matched on the
 * source address alone (Linux sends from any port of its range) and the
 * VNI; each port writes to its remote from its own write watcher on the
 * shared descriptor, so a port whose queue waits never holds up another.
 *
 * What Linux's vxlan_rcv() refuses is refused here, and counted on the
 * port of the remote it came from: a datagram shorter than the header
 * (rx_runt), flags other than I or a reserved bit set (rx_encap_bad), a
 * VNI that no port of that remote has (rx_encap_vni). A datagram from an
 * address that is the remote of no port is counted on the socket
 * (vxlan_strangers, on each of its ports) and logged, rate-limited. Over
 * IPv6 the kernel itself drops UDP datagrams with a zero checksum (as
 * its vxlan devices do unless udp6zerocsumrx is on) before any socket
 * sees them; it counts them only per network namespace (Udp6InCsumErrors
 * in /proc/net/snmp6), and that count, from when the socket opened, is
 * the vxlan_udp6_csum_errors counter.
 *
 * The outer packet is never fragmented (IP_PMTUDISC_DO, IPV6_DONTFRAG).
 * A frame too long for the path fails with EMSGSIZE: it is dropped and
 * counted (tx_too_big), and the log says the largest inner frame that
 * fits (path MTU - 36 over IPv4, - 56 over IPv6) and the guest MTU to set
 * (14 less). There is no backpressure toward remotes: like a NIC, the
 * socket's receive queue drops what the switch cannot take (counted from
 * SO_RXQ_OVFL as vxlan_rx_overruns).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/vxlan_opts.h"
#include "transport/uplink.h"

#define VXLAN_HDR_LEN 8
#define VXLAN_FLAGS_I 0x08
#define VXLAN_BATCH 32 /* datagrams per recvmmsg() and sendmmsg() */
#define VXLAN_READ_ROUNDS 8 /* recvmmsg() calls per readable event */
#define VXLAN_RCVBUF (4 << 20)
#define VXLAN_OVERHEAD4 36 /* outer IPv4, UDP and VXLAN headers */
#define VXLAN_OVERHEAD6 56 /* outer IPv6, UDP and VXLAN headers */

/**
 * struct vxlan_sock - the socket of one local address and port, shared by
 * the vxlan uplinks there
 * @d:		the daemon
 * @fd:		the socket, -1 once the last user left
 * @family:	AF_INET or AF_INET6
 * @local:	the address asked for (family 0: any)
 * @port:	UDP port
 * @ttl:	TTL asked for (0: the system's)
 * @rio:	read watcher
 * @refs:	members, plus one while its read callback runs
 * @members:	uplinks up on it
 * @nmembers:	how many
 * @cap:	room in @members
 * @strangers:	datagrams from addresses that are no member's remote
 * @overruns:	the kernel's drops on a full receive queue (SO_RXQ_OVFL)
 * @csum:	IPv6: the namespace's Udp6InCsumErrors as last read
 * @csum_ms:	the loop iteration (now_ms) it was read in: a metrics scrape
 *		asks for every port's counters, /proc/net/snmp6 is read once
 * @rl_stranger: strangers, logged rate-limited
 * @rl_rx:	receive errors, logged rate-limited
 * @defer:	freed after the dispatch where the last user left
 * @rmm:	recvmmsg() headers
 * @riov:	their buffers (slots of the receive arena)
 * @from:	their source addresses
 * @rcm:	their control buffers (the SO_RXQ_OVFL count)
 */
struct vxlan_sock {
	struct swd *d;
	int fd;
	int family;
	struct vxlan_addr local;
	uint16_t port;
	uint8_t ttl;
	ev_io rio;
	unsigned refs;
	struct uplink **members;
	size_t nmembers, cap;
	uint64_t strangers;
	uint32_t overruns;
	uint64_t csum, csum_ms;
	struct log_ratelimit rl_stranger, rl_rx;
	struct swd_deferred defer;
	struct mmsghdr rmm[VXLAN_BATCH];
	struct iovec riov[VXLAN_BATCH];
	struct sockaddr_in6 from[VXLAN_BATCH];
	union dgram_ovfl_cmsg rcm[VXLAN_BATCH];
};

/**
 * struct vxlan_priv - one remote's port; kept across attempts
 * @s:		the shared socket while up, else NULL
 * @hdr:	the VXLAN header of what it sends (its VNI)
 * @to:		the remote's address and port
 * @tolen:	its length
 * @strangers_base: strangers and overruns counted on the sockets this
 * @overruns_base:  port was on before, so that its counters never go
 * @csum_base:	    back when it rejoins a new socket (and @csum_base the
 *		    IPv6 checksum drops)
 * @strangers_at: @s's strangers when this port joined it
 * @overruns_at: @s's overruns when this port joined it
 * @csum_at:	the namespace's Udp6InCsumErrors when it joined (IPv6)
 * @rl_big:	frames too long for the path, logged rate-limited
 * @rl_big_rx:	datagrams over max_frame, logged rate-limited
 * @smm:	sendmmsg() headers
 * @siov:	their header and frame vectors
 */
struct vxlan_priv {
	struct vxlan_sock *s;
	uint8_t hdr[VXLAN_HDR_LEN];
	struct sockaddr_storage to;
	socklen_t tolen;
	uint64_t strangers_base, overruns_base, csum_base;
	uint64_t strangers_at, overruns_at, csum_at;
	struct log_ratelimit rl_big, rl_big_rx;
	struct mmsghdr smm[VXLAN_BATCH];
	struct iovec siov[2 * VXLAN_BATCH];
};

static void vxlan_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void vxlan_write_cb(struct ev_loop *loop, ev_io *w, int revents);

/* ---- the shared socket --------------------------------------------------- */

/* Udp6InCsumErrors of this network namespace: IPv6 UDP datagrams with a
 * bad or (to a socket that does not allow it) zero checksum. */
static uint64_t udp6_csum_errors(void)
{
	unsigned long long v = 0;
	char line[128];
	FILE *f = fopen("/proc/net/snmp6", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Udp6InCsumErrors %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* udp6_csum_errors() at most once per loop iteration for @s. */
static uint64_t sock_csum_errors(struct vxlan_sock *s)
{
	if (s->csum_ms != s->d->now_ms || !s->csum_ms) {
		s->csum = udp6_csum_errors();
		s->csum_ms = s->d->now_ms;
	}
	return s->csum;
}

static void vxlan_sock_free(struct swd_deferred *x)
{
	struct vxlan_sock *s = container_of(x, struct vxlan_sock, defer);

	free(s->members);
	free(s);
}

static void vxlan_sock_put(struct vxlan_sock *s)
{
	if (--s->refs)
		return;
	ev_io_stop(s->d->loop, &s->rio);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	swd_defer(s->d, &s->defer, vxlan_sock_free);
}

static bool vxlan_sock_is(const struct vxlan_sock *s,
			  const struct uplink_vxlan *x)
{
	return s->fd >= 0 && s->family == x->remote[0].family &&
	       s->port == x->port && s->local.family == x->local.family &&
	       (!x->local.family || vxlan_addr_same(&s->local, &x->local));
}

/* The socket of @u's local address and port, if another port has it;
 * else, in *@clash, a port with a socket on the same UDP port and family
 * but another local address (the kernel would refuse the bind). */
static struct vxlan_sock *vxlan_sock_find(struct uplink *u,
					  struct uplink **clash)
{
	const struct uplink_vxlan *x = &u->cfg->vxlan;
	struct port *p;
	uint32_t i;

	*clash = NULL;
	port_foreach(&u->d->sw, p, i) {
		struct uplink *o = uplink_of(p);
		struct vxlan_priv *v;

		if (!o || o == u || o->ops != &uplink_vxlan_ops || p->closing)
			continue;
		v = o->priv;
		if (v && v->s && vxlan_sock_is(v->s, x))
			return v->s;
		if (v && v->s && v->s->port == x->port &&
		    v->s->family == x->remote[0].family)
			*clash = o;
	}
	return NULL;
}

/* The sockaddr of @a:@port. */
static socklen_t sockaddr_of(const struct vxlan_addr *a, int family,
			     uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		if (a->family)
			memcpy(&in->sin_addr, a->a, 4);
		return sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (a->family)
			memcpy(&in6->sin6_addr, a->a, 16);
		return sizeof(*in6);
	}
}

/* Open and bind the socket; never fragment, the TTL asked for. Return:
 * fd, or -1 (reported with uplink_fail()). */
static int vxlan_sock_open(struct uplink *u, int family)
{
	const struct uplink_vxlan *x = &u->cfg->vxlan;
	int fd, one = 1, err, rcvbuf = VXLAN_RCVBUF, ttl = x->ttl;
	int pmtu = family == AF_INET ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO;
	char la[VXLAN_ADDR_LEN];
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(&x->local, family, x->port, &ss);

	vxlan_addr_str(&x->local, la, sizeof(la));
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		uplink_fail(u, true, "socket: %s", strerror(errno));
		return -1;
	}
	if ((family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					      &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0) {
		err = errno;
		close(fd);
		uplink_fail(
			u, true, "cannot bind UDP %s port %u: %s%s", la,
			x->port, strerror(err),
			err == EADDRINUSE
				? " (a kernel vxlan device with this dstport, or another program, holds it on this host: pick another port= or local=)"
			: err == EADDRNOTAVAIL
				? " (no interface of this host has that address)"
				: "");
		return -1;
	}
	if (family == AF_INET)
		err = setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
				 sizeof(pmtu)) ||
		      (ttl &&
		       setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)));
	else
		err = setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu,
				 sizeof(pmtu)) ||
		      setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one,
				 sizeof(one)) ||
		      (ttl && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS,
					 &ttl, sizeof(ttl)));
	if (err) {
		err = errno;
		close(fd);
		uplink_fail(u, true, "cannot set up the socket: %s",
			    strerror(err));
		return -1;
	}
	/* Past net.core.rmem_max only with CAP_NET_ADMIN; else capped. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	return fd;
}

static struct vxlan_sock *vxlan_sock_new(struct uplink *u)
{
	const struct uplink_vxlan *x = &u->cfg->vxlan;
	int family = x->remote[0].family;
	struct vxlan_sock *s = calloc(1, sizeof(*s));

	if (!s) {
		uplink_fail(u, true, "out of memory");
		return NULL;
	}
	s->fd = vxlan_sock_open(u, family);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	s->d = u->d;
	s->family = family;
	s->local = x->local;
	s->port = x->port;
	s->ttl = x->ttl;
	ev_io_init(&s->rio, vxlan_read_cb, s->fd, EV_READ);
	ev_io_start(u->d->loop, &s->rio);
	return s;
}

static int vxlan_sock_join(struct vxlan_sock *s, struct uplink *u)
{
	if (s->nmembers == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4;
		struct uplink **m = realloc(s->members, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		s->members = m;
		s->cap = cap;
	}
	s->members[s->nmembers++] = u;
	s->refs++;
	return 0;
}

static void vxlan_sock_leave(struct vxlan_sock *s, struct uplink *u)
{
	size_t i;

	for (i = 0; i < s->nmembers; i++) {
		if (s->members[i] == u) {
			memmove(&s->members[i], &s->members[i + 1],
				(s->nmembers - i - 1) * sizeof(s->members[0]));
			s->nmembers--;
			vxlan_sock_put(s);
			return;
		}
	}
}

/* ---- receiving ----------------------------------------------------------- */

static bool from_is(const struct vxlan_sock *s, const struct sockaddr_in6 *from,
		    const struct vxlan_addr *a)
{
	if (s->family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)from)->sin_addr,
			       a->a, 4);
	return !memcmp(&from->sin6_addr, a->a, 16);
}

static const char *from_str(const struct vxlan_sock *s,
			    const struct sockaddr_in6 *from, char *buf,
			    size_t len, unsigned *port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)from;

	*port = ntohs(s->family == AF_INET ? in->sin_port : from->sin6_port);
	if (!inet_ntop(s->family,
		       s->family == AF_INET ? (const void *)&in->sin_addr
					    : (const void *)&from->sin6_addr,
		       buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static void vxlan_stranger(struct vxlan_sock *s,
			   const struct sockaddr_in6 *from)
{
	char a[VXLAN_ADDR_LEN], l[VXLAN_ADDR_LEN];
	unsigned port;
	uint64_t held;

	s->strangers++;
	if (!log_ratelimit_ok(&s->rl_stranger, s->d->now_ms, 1, &held))
		return;
	from_str(s, from, a, sizeof(a), &port);
	log_warnx(
		"vxlan %s port %u: %" PRIu64
		" datagram(s) from addresses that are no remote= of a vxlan uplink dropped (this one from %s port %u); add remote=%s to accept it",
		vxlan_addr_str(&s->local, l, sizeof(l)), s->port, held + 1, a,
		port, a);
}

/*
 * Datagram @i of a batch read into slots of @slot bytes at @buf: checked
 * as Linux checks it and handed to its remote's port; frames are packed to
 * @buf + *@used.
 */
static void vxlan_input(struct vxlan_sock *s, unsigned i, uint8_t *buf,
			size_t slot, size_t *used)
{
	const struct sockaddr_in6 *from = &s->from[i];
	size_t len = s->rmm[i].msg_len, k;
	uint8_t *dg = buf + i * slot;
	struct uplink *first = NULL, *u = NULL;
	struct swd *d = s->d;
	struct vxlan_priv *v;
	uint64_t held;

	for (k = 0; k < s->nmembers; k++) {
		struct uplink *m = s->members[k];

		if (!from_is(s, from, &m->cfg->vxlan.remote[0]))
			continue;
		if (!first)
			first = m;
		if (len >= VXLAN_HDR_LEN &&
		    !memcmp(((struct vxlan_priv *)m->priv)->hdr + 4, dg + 4,
			    3)) {
			u = m;
			break;
		}
	}
	if (!first) {
		vxlan_stranger(s, from);
		return;
	}
	if (len < VXLAN_HDR_LEN) {
		fwd_drop(&first->port, len, PORT_DROP_RX_RUNT);
		return;
	}
	/* Linux: the I flag, and nothing it does not know (no GBP, GPE or
	 * RCO on a plain device): flags 08 00 00 00, reserved byte 0. */
	if (dg[0] != VXLAN_FLAGS_I || dg[1] || dg[2] || dg[3] || dg[7]) {
		fwd_drop(u ? &u->port : &first->port, len,
			 PORT_DROP_RX_ENCAP_BAD);
		return;
	}
	if (!u) {
		fwd_drop(&first->port, len, PORT_DROP_RX_ENCAP_VNI);
		return;
	}
	len -= VXLAN_HDR_LEN;
	v = u->priv;
	if ((s->rmm[i].msg_hdr.msg_flags & MSG_TRUNC) ||
	    len > d->sw.prm.max_frame) {
		fwd_drop(&u->port, len, PORT_DROP_RX_OVERSIZE);
		if (log_ratelimit_ok(&v->rl_big_rx, d->now_ms, 1, &held))
			log_warnx("port %u (%s): %" PRIu64
				  " frame(s) over the maximum frame %u dropped",
				  u->port.id, u->what, held + 1,
				  d->sw.prm.max_frame);
		return;
	}
	memmove(buf + *used, dg + VXLAN_HDR_LEN, len);
	fwd_input(&d->sw, &u->port, buf + *used, len, d->now_ms);
	*used += len;
}

/* One recvmmsg() into the arena. Return: datagrams read, or -errno. */
static int vxlan_read_batch(struct vxlan_sock *s, unsigned *asked)
{
	const struct dgram_rx rx = { s->rmm, s->riov, s->from,
				     sizeof(s->from[0]), s->rcm };
	struct swd *d = s->d;
	size_t slot = d->sw.prm.max_frame + VXLAN_HDR_LEN, used = 0;
	uint8_t *buf;
	unsigned i;
	int r;

	r = dgram_recv_batch(d, s->fd, &rx, slot, VXLAN_BATCH, asked, &buf,
			     &s->overruns);
	if (r < 0)
		return r;
	for (i = 0; i < (unsigned)r; i++)
		vxlan_input(s, i, buf, slot, &used);
	swd_rx_commit(d, used);
	return r;
}

static void vxlan_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vxlan_sock *s = container_of(w, struct vxlan_sock, rio);
	char l[VXLAN_ADDR_LEN];
	unsigned round, asked;
	uint64_t held;
	int r;

	(void)loop;
	(void)revents;
	s->refs++; /* a port may leave while its frames are forwarded */
	for (round = 0; round < VXLAN_READ_ROUNDS && s->fd >= 0; round++) {
		r = vxlan_read_batch(s, &asked);
		if (r < 0 && r != -EAGAIN && r != -EWOULDBLOCK &&
		    log_ratelimit_ok(&s->rl_rx, s->d->now_ms, 1, &held))
			log_warnx(
				"vxlan %s port %u: receive error: %s (%" PRIu64
				" so far)",
				vxlan_addr_str(&s->local, l, sizeof(l)),
				s->port, strerror(-r), held + 1);
		if (r < (int)asked)
			break;
	}
	vxlan_sock_put(s);
}

/* ---- the uplink kind ----------------------------------------------------- */

/* This port's share of what its socket counts, since it joined. */
static void vxlan_since_join(const struct vxlan_priv *v, uint64_t *strangers,
			     uint64_t *overruns, uint64_t *csum)
{
	struct vxlan_sock *s = v->s;
	uint64_t c;

	*strangers = *overruns = *csum = 0;
	if (!s)
		return;
	*strangers = s->strangers - v->strangers_at;
	*overruns = s->overruns >= v->overruns_at ? s->overruns - v->overruns_at
						  : 0;
	if (s->family == AF_INET6) {
		c = sock_csum_errors(s);
		*csum = c > v->csum_at ? c - v->csum_at : 0;
	}
}

static void vxlan_stop(struct uplink *u)
{
	struct vxlan_priv *v = u->priv;
	uint64_t st, ov, cs;

	ev_io_stop(u->d->loop, &u->wio);
	if (v && v->s) {
		vxlan_since_join(v, &st, &ov, &cs);
		v->strangers_base += st;
		v->overruns_base += ov;
		v->csum_base += cs;
		vxlan_sock_leave(v->s, u);
		v->s = NULL;
	}
}

static void vxlan_destroy(struct uplink *u)
{
	free(u->priv);
	u->priv = NULL;
}

static size_t vxlan_counters(const struct uplink *u, struct uplink_counter *c,
			     size_t max)
{
	const struct vxlan_priv *v = u->priv;
	uint64_t st = 0, ov = 0, cs = 0;

	if (max < 3)
		return 0;
	if (v) {
		vxlan_since_join(v, &st, &ov, &cs);
		st += v->strangers_base;
		ov += v->overruns_base;
		cs += v->csum_base;
	}
	c[0].name = "vxlan_strangers";
	c[0].help =
		"Datagrams dropped because they came from an address that is no remote of a vxlan uplink on this port's socket (shared by the vxlan ports of one local address and port).";
	c[0].value = st;
	c[1].name = "vxlan_rx_overruns";
	c[1].help =
		"Datagrams the kernel dropped because the vxlan socket's receive queue was full (shared by the vxlan ports of one local address and port).";
	c[1].value = ov;
	c[2].name = "vxlan_udp6_csum_errors";
	c[2].help =
		"IPv6 UDP datagrams with a zero or bad checksum the kernel dropped in the switch's network namespace since the socket opened (Linux counts them per namespace only).";
	c[2].value = cs;
	return 3;
}

static void vxlan_start(struct uplink *u)
{
	const struct uplink_vxlan *x = &u->cfg->vxlan;
	struct vxlan_priv *v = u->priv;
	char r[VXLAN_ADDR_LEN], l[VXLAN_ADDR_LEN];
	struct uplink *clash;
	struct vxlan_sock *s;
	size_t k;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v) {
			uplink_fail(u, true, "out of memory");
			return;
		}
		u->priv = v;
		v->hdr[0] = VXLAN_FLAGS_I;
		v->hdr[4] = (uint8_t)(x->vni >> 16);
		v->hdr[5] = (uint8_t)(x->vni >> 8);
		v->hdr[6] = (uint8_t)x->vni;
		v->tolen = sockaddr_of(&x->remote[0], x->remote[0].family,
				       x->port, &v->to);
	}
	s = vxlan_sock_find(u, &clash);
	if (!s && clash) {
		uplink_fail(
			u, true,
			"port %u (%s) holds UDP port %u with local=%s; one port number takes one local address: give both uplinks the same local= (or leave it out of both)",
			clash->port.id, clash->what, x->port,
			vxlan_addr_str(&clash->cfg->vxlan.local, l, sizeof(l)));
		return;
	}
	if (s) {
		if (s->ttl != x->ttl) {
			uplink_fail(
				u, true,
				"ttl=%u differs from the other vxlan uplinks on local %s port %u (ttl=%u, 0: the system's): give them all the same",
				x->ttl, vxlan_addr_str(&x->local, l, sizeof(l)),
				x->port, s->ttl);
			return;
		}
		for (k = 0; k < s->nmembers; k++) {
			const struct uplink_vxlan *o =
				&s->members[k]->cfg->vxlan;

			if (o->vni == x->vni &&
			    vxlan_addr_same(&o->remote[0], &x->remote[0])) {
				uplink_fail(
					u, true,
					"port %u (%s) already tunnels vni %u to %s: remove one",
					s->members[k]->port.id,
					s->members[k]->what, x->vni,
					vxlan_addr_str(&x->remote[0], r,
						       sizeof(r)));
				return;
			}
		}
	} else {
		s = vxlan_sock_new(u);
		if (!s)
			return;
	}
	if (vxlan_sock_join(s, u) < 0) {
		if (!s->refs) {
			s->refs = 1;
			vxlan_sock_put(s);
		}
		uplink_fail(u, true, "out of memory");
		return;
	}
	v->s = s;
	v->strangers_at = s->strangers;
	v->overruns_at = s->overruns;
	v->csum_at = s->family == AF_INET6 ? udp6_csum_errors() : 0;
	ev_io_init(&u->wio, vxlan_write_cb, s->fd, EV_WRITE);
	log_info(
		"port %u (%s): vni %u to %s port %u from %s; guests' MTU: the path MTU less %d (%d on a 1500-byte network)",
		u->port.id, u->what, x->vni,
		vxlan_addr_str(&x->remote[0], r, sizeof(r)), x->port,
		vxlan_addr_str(&x->local, l, sizeof(l)),
		x->remote[0].family == AF_INET ? 50 : 70,
		x->remote[0].family == AF_INET ? 1450 : 1430);
	uplink_up(u);
}

/* The path MTU to @u's remote as the kernel knows it now, or -1. */
static int vxlan_path_mtu(const struct uplink *u)
{
	const struct vxlan_priv *v = u->priv;
	int fd = socket(v->to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    mtu = -1;
	socklen_t len = sizeof(mtu);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&v->to, v->tolen) < 0 ||
	    getsockopt(fd,
		       v->to.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		       v->to.ss_family == AF_INET ? IP_MTU : IPV6_MTU, &mtu,
		       &len) < 0)
		mtu = -1;
	close(fd);
	return mtu;
}

/* The head frame does not fit the path without fragmenting. */
static void vxlan_drop_head(struct uplink *u, struct vxlan_priv *v)
{
	struct port *p = &u->port;
	struct txq *q = &p->txq;
	uint32_t len = q->ring[q->head].len;
	uint64_t ignored = 0, held;
	int mtu, over;

	txq_advance(q, len, false, &ignored);
	p->st.drops[PORT_DROP_TX_TOO_BIG]++;
	if (!log_ratelimit_ok(&v->rl_big, u->d->now_ms, 1, &held))
		return;
	mtu = vxlan_path_mtu(u);
	over = v->to.ss_family == AF_INET ? VXLAN_OVERHEAD4 : VXLAN_OVERHEAD6;
	if (mtu > over + 14)
		log_warnx(
			"port %u (%s): %" PRIu64
			" frame(s) too long for the path dropped (this one %u bytes); the path MTU is %d, so the largest inner frame that fits is %d bytes: set the guests' MTU to %d or less",
			p->id, u->what, held + 1, len, mtu, mtu - over,
			mtu - over - 14);
	else
		log_warnx(
			"port %u (%s): %" PRIu64
			" frame(s) too long for the path dropped (this one %u bytes)",
			p->id, u->what, held + 1, len);
}

static int vxlan_flush(struct uplink *u)
{
	struct vxlan_priv *v = u->priv;
	struct port *p = &u->port;
	struct swd *d = u->d;
	struct txq *q = &p->txq;
	char r[VXLAN_ADDR_LEN];

	if (!v || !v->s) { /* stopped: no socket to send on */
		p->st.drops[PORT_DROP_TX_CLOSED] += txq_clear(q);
		return 0;
	}
	while (!txq_empty(q)) {
		size_t n = txq_iov(q, d->iov, VXLAN_BATCH, NULL, false), i;
		uint64_t bytes = 0;
		int ret, err;

		for (i = 0; i < n; i++) {
			struct msghdr *h = &v->smm[i].msg_hdr;

			v->siov[2 * i].iov_base = v->hdr;
			v->siov[2 * i].iov_len = VXLAN_HDR_LEN;
			v->siov[2 * i + 1] = d->iov[i];
			memset(h, 0, sizeof(*h));
			h->msg_name = &v->to;
			h->msg_namelen = v->tolen;
			h->msg_iov = &v->siov[2 * i];
			h->msg_iovlen = 2;
		}
		ret = sendmmsg(v->s->fd, v->smm, (unsigned)n,
			       MSG_DONTWAIT | MSG_NOSIGNAL);
		if (ret >= 0) {
			for (i = 0; i < (size_t)ret; i++)
				bytes += d->iov[i].iov_len;
			p->st.tx_frames +=
				txq_advance(q, bytes, false, &p->st.tx_bytes);
			continue;
		}
		err = errno;
		if (err == EINTR)
			continue;
		if (err == EAGAIN || err == EWOULDBLOCK)
			break;
		if (err == ENOBUFS) {
			/* The device's queue is full while the socket is
			 * writable: waiting for EV_WRITE would spin. */
			uint64_t ignored = 0;

			txq_advance(q, q->ring[q->head].len, false, &ignored);
			p->st.drops[PORT_DROP_TX_QUEUE_FULL]++;
			continue;
		}
		if (err == EMSGSIZE) {
			vxlan_drop_head(u, v);
			continue;
		}
		uplink_fail(
			u, true, "cannot send to %s port %u: %s%s",
			vxlan_addr_str(&u->cfg->vxlan.remote[0], r, sizeof(r)),
			u->cfg->vxlan.port, strerror(err),
			err == ENETUNREACH || err == EHOSTUNREACH
				? " (no route to the remote)"
			: err == EPERM || err == EACCES
				? " (a firewall rule refused it)"
				: "");
		return -err;
	}
	swd_watch_output(d, &u->wio, q);
	return 0;
}

static void vxlan_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct uplink *u = container_of(w, struct uplink, wio);

	(void)loop;
	(void)revents;
	vxlan_flush(u);
}

/**
 * vxlan_uplink_info() - what query-ports shows of a vxlan uplink
 * @p:		any port
 * @out:	filled in
 *
 * Return: true if @p is a vxlan uplink
 */
bool vxlan_uplink_info(const struct port *p, struct vxlan_uplink_info *out)
{
	const struct uplink *u = uplink_of_const(p);
	const struct uplink_vxlan *x;

	if (!u || u->ops != &uplink_vxlan_ops)
		return false;
	x = &u->cfg->vxlan;
	out->vni = x->vni;
	out->port = x->port;
	vxlan_addr_str(&x->remote[0], out->remote, sizeof(out->remote));
	vxlan_addr_str(&x->local, out->local, sizeof(out->local));
	return true;
}

const struct uplink_ops uplink_vxlan_ops = {
	.name = "vxlan",
	.start = vxlan_start,
	.stop = vxlan_stop,
	.flush = vxlan_flush,
	.destroy = vxlan_destroy,
	.counters = vxlan_counters,
};
