// SPDX-License-Identifier: MIT
/*
 * mcast.c - mcast uplinks: the switch joins a QEMU multicast hub
 *
 * DOC: Theory of Operation
 * QEMU's `-netdev socket,mcast=GROUP:PORT[,localaddr=ADDR]` makes a hub
 * without a daemon: every member binds GROUP:PORT with SO_REUSEADDR, joins
 * GROUP (on the interface of ADDR, or where the routing table says),
 * turns IP_MULTICAST_LOOP on so that members on the same host hear each
 * other, and sends each Ethernet frame as one UDP datagram to GROUP:PORT,
 * with no header. Every member hears every datagram, its own included;
 * all members of a host send from the same address (ADDR:PORT).
 *
 * The switch is one more member and one port (it learns and floods as
 * usual). It uses two sockets:
 * - the receive socket is a member like QEMU's (bound to GROUP:PORT with
 *   SO_REUSEADDR, joined) that never sends;
 * - the send socket is bound to ADDR:0 (or left to the routing table) and
 *   connect()ed to GROUP:PORT, with the TTL and loop asked for. Its own
 *   address, read back with getsockname(), has an ephemeral port that the
 *   kernel gives to no other socket while it is open, and no member sends
 *   from it (they send from PORT).
 * So the hub's echo of the switch's own datagrams is told apart by its
 * source address alone: exactly, without looking at the content. A guest
 * that sends a frame identical to one the switch just sent loses nothing,
 * and an echo that comes late (or never, with loop=off) leaves nothing
 * behind. Echoes are dropped and counted (the mcast_echoes counter of the
 * port, in query-ports, metrics and the SIGUSR1 line), so nothing loops;
 * they are not received frames. Everything else is a received frame:
 * empty datagrams count rx_runt, longer than max_frame rx_oversize.
 * Datagrams the kernel drops because the receive queue is full (a switch
 * busier than the hub) are counted too, from SO_RXQ_OVFL, as
 * mcast_rx_overruns.
 *
 * A join that fails (no multicast-capable interface, a localaddr that is
 * not ours, lo down) is logged with its fix and retried with the uplink
 * backoff. Two mcast uplinks of one switch on the same hub would forward
 * each other's frames back and forth: the later one does not start.
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

#include "transport/uplink.h"

#define MCAST_BATCH 32 /* datagrams per recvmmsg() and sendmmsg() */
#define MCAST_READ_ROUNDS 8 /* recvmmsg() calls per readable event */
/* The receive socket also gets an echo of every datagram the switch sends
 * (about 1 KiB of socket memory each, however short): room for a few
 * thousand, so a burst out does not push the hub's datagrams out. */
#define MCAST_RCVBUF (4 << 20)
#define MCAST_JOIN_FIX                                                                 \
	"join on loopback as QEMU users do with localaddr=127.0.0.1 (and the same on " \
	"the guests' -netdev socket,mcast=...,localaddr=127.0.0.1), or route "         \
	"multicast to an interface: ip route add 224.0.0.0/4 dev IFACE"

/**
 * struct mcast_priv - one hub membership; kept across attempts
 * @sfd:	the send socket, -1 when none
 * @self:	its address: datagrams from it are the switch's own echoes
 * @echoes:	echoes dropped, over the uplink's whole life
 * @overruns_base: datagrams the kernel dropped on earlier receive sockets
 * @overruns_now: ...and on this one so far (SO_RXQ_OVFL)
 * @rl_rx:	receive errors, logged rate-limited
 * @rl_big:	datagrams over max_frame, logged rate-limited
 * @rl_too_big:	frames too long for one datagram, logged rate-limited
 * @rmm:	recvmmsg() headers
 * @riov:	their buffers (slots of the receive arena)
 * @from:	their source addresses
 * @rcm:	their control buffers (the SO_RXQ_OVFL count)
 * @smm:	sendmmsg() headers
 */
struct mcast_priv {
	int sfd;
	struct sockaddr_in self;
	uint64_t echoes;
	uint64_t overruns_base;
	uint32_t overruns_now;
	struct log_ratelimit rl_rx, rl_big, rl_too_big;
	struct mmsghdr rmm[MCAST_BATCH];
	struct iovec riov[MCAST_BATCH];
	struct sockaddr_in from[MCAST_BATCH];
	union dgram_ovfl_cmsg rcm[MCAST_BATCH];
	struct mmsghdr smm[MCAST_BATCH];
};

static void mcast_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void mcast_write_cb(struct ev_loop *loop, ev_io *w, int revents);

static const char *ip4(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void mcast_stop(struct uplink *u)
{
	struct mcast_priv *m = u->priv;

	ev_io_stop(u->d->loop, &u->rio);
	ev_io_stop(u->d->loop, &u->wio);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	if (!m)
		return;
	if (m->sfd >= 0)
		close(m->sfd);
	m->sfd = -1;
	m->overruns_base += m->overruns_now;
	m->overruns_now = 0;
}

static void mcast_destroy(struct uplink *u)
{
	free(u->priv);
	u->priv = NULL;
}

static size_t mcast_counters(const struct uplink *u, struct uplink_counter *c,
			     size_t max)
{
	const struct mcast_priv *m = u->priv;

	if (max < 2)
		return 0;
	c[0].name = "mcast_echoes";
	c[0].help =
		"Datagrams of the switch's own that the multicast hub echoed back, dropped (not received frames).";
	c[0].value = m ? m->echoes : 0;
	c[1].name = "mcast_rx_overruns";
	c[1].help =
		"Datagrams the kernel dropped because the hub socket's receive queue was full (echoes included).";
	c[1].value = m ? m->overruns_base + m->overruns_now : 0;
	return 2;
}

/* Another live mcast uplink of this switch on the same hub, registered
 * earlier (lower port number)? Two would loop frames between them. */
static struct uplink *mcast_twin(struct uplink *u)
{
	const struct uplink_mcast *mc = &u->cfg->mcast;
	struct port *p;
	uint32_t i;

	port_foreach(&u->d->sw, p, i) {
		struct uplink *o = uplink_of(p);

		if (o && o != u && !p->closing &&
		    o->cfg->kind == UPLINK_MCAST &&
		    o->cfg->mcast.group == mc->group &&
		    o->cfg->mcast.port == mc->port && p->id < u->port.id)
			return o;
	}
	return NULL;
}

/* The hub's address, GROUP:PORT. */
static struct sockaddr_in mcast_hub(const struct uplink_mcast *mc)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = mc->group;
	a.sin_port = htons(mc->port);
	return a;
}

/* The receive socket: bound to GROUP:PORT, joined. Return: fd, or -1
 * (reported with uplink_fail()). */
static int mcast_open_rx(struct uplink *u)
{
	const struct uplink_mcast *mc = &u->cfg->mcast;
	struct sockaddr_in hub = mcast_hub(mc);
	char g[INET_ADDRSTRLEN], la[INET_ADDRSTRLEN];
	struct ip_mreqn mr;
	int fd, one = 1, err, rcvbuf = MCAST_RCVBUF;

	ip4(mc->group, g);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		uplink_fail(u, true, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&hub, sizeof(hub)) < 0) {
		err = errno;
		close(fd);
		uplink_fail(
			u, true, "cannot bind %s:%u: %s%s", g, mc->port,
			strerror(err),
			err == EADDRINUSE
				? " (a program holds the port without SO_REUSEADDR, so it is not a hub member; stop it or pick another port)"
				: "");
		return -1;
	}
	/* Past net.core.rmem_max only with CAP_NET_ADMIN; else capped. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* The kernel's drops on a full queue come with each datagram. */
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr.s_addr = mc->group;
	mr.imr_address.s_addr = mc->localaddr;
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) == 0)
		return fd;
	err = errno;
	close(fd);
	if (mc->localaddr && (err == EADDRNOTAVAIL || err == ENODEV))
		uplink_fail(
			u, true,
			"cannot join multicast group %s on localaddr=%s: %s (no interface of this host has that address, or it is down); give an address of an interface that is up, e.g. localaddr=127.0.0.1 with lo up",
			g, ip4(mc->localaddr, la), strerror(err));
	else if (err == ENODEV || err == EADDRNOTAVAIL || err == ENETUNREACH)
		uplink_fail(
			u, true,
			"cannot join multicast group %s: %s (no multicast-capable interface: the routing table has no route to the group); " MCAST_JOIN_FIX,
			g, strerror(err));
	else
		uplink_fail(u, true, "cannot join multicast group %s: %s", g,
			    strerror(err));
	return -1;
}

/* The send socket: TTL, loop, interface, connect()ed to the hub; @m->self
 * is its address. Return: fd, or -1 (reported with uplink_fail()). */
static int mcast_open_tx(struct uplink *u, struct mcast_priv *m)
{
	const struct uplink_mcast *mc = &u->cfg->mcast;
	struct sockaddr_in hub = mcast_hub(mc), la;
	char g[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];
	int fd, ttl = mc->ttl, loop = mc->loop, err;
	socklen_t len = sizeof(m->self);
	struct in_addr ifa = { .s_addr = mc->localaddr };

	ip4(mc->group, g);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		uplink_fail(u, true, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&la, 0, sizeof(la));
	la.sin_family = AF_INET;
	la.sin_addr.s_addr = mc->localaddr;
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) <
		    0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) <
		    0 ||
	    (mc->localaddr &&
	     (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) <
		      0 ||
	      bind(fd, (struct sockaddr *)&la, sizeof(la)) < 0))) {
		err = errno;
		close(fd);
		uplink_fail(u, true, "cannot set up sending to %s%s%s: %s", g,
			    mc->localaddr ? " from localaddr=" : "",
			    mc->localaddr ? ip4(mc->localaddr, a) : "",
			    strerror(err));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&hub, sizeof(hub)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&m->self, &len) < 0) {
		err = errno;
		close(fd);
		if (mc->localaddr)
			uplink_fail(
				u, true,
				"cannot send to multicast group %s from localaddr=%s: %s (its interface is down, or has no route to the group); bring the interface up (for 127.0.0.1: ip link set lo up)",
				g, ip4(mc->localaddr, a), strerror(err));
		else
			uplink_fail(
				u, true,
				"cannot send to multicast group %s: %s (no route to the group); " MCAST_JOIN_FIX,
				g, strerror(err));
		return -1;
	}
	return fd;
}

static void mcast_start(struct uplink *u)
{
	struct mcast_priv *m = u->priv;
	char g[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	struct uplink *twin = mcast_twin(u);
	int rfd, sfd;

	if (twin) {
		uplink_fail(
			u, true,
			"port %u (%s) is already on this hub; two ports on one hub would forward each other's frames in a loop: remove one",
			twin->port.id, twin->what);
		return;
	}
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m) {
			uplink_fail(u, true, "out of memory");
			return;
		}
		m->sfd = -1;
		u->priv = m;
	}
	rfd = mcast_open_rx(u);
	if (rfd < 0)
		return;
	sfd = mcast_open_tx(u, m);
	if (sfd < 0) {
		close(rfd);
		return;
	}
	u->fd = rfd;
	m->sfd = sfd;
	ev_io_init(&u->rio, mcast_read_cb, rfd, EV_READ);
	ev_io_init(&u->wio, mcast_write_cb, sfd, EV_WRITE);
	ev_io_start(u->d->loop, &u->rio);
	log_info(
		"port %u (%s): joined %s:%u, sending from %s:%u (ttl %u, loop %s)",
		u->port.id, u->what, ip4(u->cfg->mcast.group, g),
		u->cfg->mcast.port, ip4(m->self.sin_addr.s_addr, s),
		ntohs(m->self.sin_port), u->cfg->mcast.ttl,
		u->cfg->mcast.loop ? "on" : "off");
	uplink_up(u);
}

/*
 * Datagram @i of a batch read into slots of @slot bytes at @buf: an echo
 * is counted, anything else received; frames are packed to @buf + *@used.
 */
static void mcast_input(struct uplink *u, struct mcast_priv *m, unsigned i,
			uint8_t *buf, size_t slot, size_t *used)
{
	uint8_t *frame = buf + i * slot;
	const struct sockaddr_in *src = &m->from[i];
	struct swd *d = u->d;
	struct port *p = &u->port;
	size_t len = m->rmm[i].msg_len;
	uint64_t held;

	if (m->rmm[i].msg_hdr.msg_namelen >= sizeof(*src) &&
	    src->sin_port == m->self.sin_port &&
	    src->sin_addr.s_addr == m->self.sin_addr.s_addr) {
		m->echoes++;
		return;
	}
	if (len == 0) {
		fwd_drop(p, 0, PORT_DROP_RX_RUNT);
		return;
	}
	if ((m->rmm[i].msg_hdr.msg_flags & MSG_TRUNC) ||
	    len > d->sw.prm.max_frame) {
		fwd_drop(p, len, PORT_DROP_RX_OVERSIZE);
		if (log_ratelimit_ok(&m->rl_big, d->now_ms, 1, &held)) {
			char a[INET_ADDRSTRLEN];

			log_warnx(
				"port %u (%s): %" PRIu64
				" datagram(s) over the maximum frame %u dropped (this one %zu bytes from %s:%u)",
				p->id, u->what, held + 1, d->sw.prm.max_frame,
				len, ip4(src->sin_addr.s_addr, a),
				ntohs(src->sin_port));
		}
		return;
	}
	if (frame != buf + *used)
		memmove(buf + *used, frame, len);
	fwd_input(&d->sw, p, buf + *used, len, d->now_ms);
	*used += len;
}

/* One recvmmsg() into the arena. Return: datagrams read, or -errno. */
static int mcast_read_batch(struct uplink *u, struct mcast_priv *m,
			    unsigned *asked)
{
	const struct dgram_rx rx = { m->rmm, m->riov, m->from,
				     sizeof(m->from[0]), m->rcm };
	struct swd *d = u->d;
	size_t slot = d->sw.prm.max_frame, used = 0;
	uint8_t *buf;
	unsigned i;
	int r;

	r = dgram_recv_batch(d, u->fd, &rx, slot, MCAST_BATCH, asked, &buf,
			     &m->overruns_now);
	if (r < 0)
		return r;
	for (i = 0; i < (unsigned)r; i++)
		mcast_input(u, m, i, buf, slot, &used);
	swd_rx_commit(d, used);
	return r;
}

static void mcast_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct uplink *u = container_of(w, struct uplink, rio);
	struct mcast_priv *m = u->priv;
	unsigned round, asked;
	uint64_t held;
	int r;

	(void)loop;
	(void)revents;
	for (round = 0; round < MCAST_READ_ROUNDS && u->fd >= 0; round++) {
		r = mcast_read_batch(u, m, &asked);
		if (r < 0 && r != -EAGAIN && r != -EWOULDBLOCK &&
		    log_ratelimit_ok(&m->rl_rx, u->d->now_ms, 1, &held))
			log_warnx("port %u (%s): receive error: %s (%" PRIu64
				  " so far)",
				  u->port.id, u->what, strerror(-r), held + 1);
		if (r < (int)asked)
			break;
	}
}

/* The head frame cannot go in one datagram (over 65,507 bytes). */
static void mcast_drop_head(struct uplink *u, struct mcast_priv *m)
{
	struct port *p = &u->port;
	struct txq *q = &p->txq;
	uint32_t len = q->ring[q->head].len;
	uint64_t ignored = 0, held;

	txq_advance(q, len, false, &ignored);
	p->st.drops[PORT_DROP_TX_TOO_BIG]++;
	if (log_ratelimit_ok(&m->rl_too_big, u->d->now_ms, 1, &held))
		log_warnx(
			"port %u (%s): %" PRIu64
			" frame(s) too long for one datagram dropped (this one %u bytes); lower the guests' MTU or --max-frame",
			p->id, u->what, held + 1, len);
}

static int mcast_flush(struct uplink *u)
{
	struct mcast_priv *m = u->priv;
	struct port *p = &u->port;
	struct swd *d = u->d;
	struct txq *q = &p->txq;
	bool refused = false;

	while (!txq_empty(q)) {
		size_t n = txq_iov(q, d->iov, MCAST_BATCH, NULL, false), i;
		uint64_t bytes = 0;
		int r, err;

		for (i = 0; i < n; i++) {
			memset(&m->smm[i], 0, sizeof(m->smm[i]));
			m->smm[i].msg_hdr.msg_iov = &d->iov[i];
			m->smm[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(m->sfd, m->smm, (unsigned)n,
			     MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r >= 0) {
			for (i = 0; i < (size_t)r; i++)
				bytes += d->iov[i].iov_len;
			p->st.tx_frames +=
				txq_advance(q, bytes, false, &p->st.tx_bytes);
			continue;
		}
		err = errno;
		if (err == EINTR)
			continue;
		if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
			break;
		if (err == EMSGSIZE) {
			mcast_drop_head(u, m);
			continue;
		}
		if (err == ECONNREFUSED && !refused) {
			/* A stray ICMP error, reported once: send again. */
			refused = true;
			continue;
		}
		uplink_fail(
			u, true, "cannot send to the hub: %s%s", strerror(err),
			err == ENETUNREACH || err == ENODEV ||
					err == EADDRNOTAVAIL || err == ENETDOWN
				? " (the interface went away or down); " MCAST_JOIN_FIX
				: "");
		return -err;
	}
	swd_watch_output(d, &u->wio, q);
	return 0;
}

static void mcast_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct uplink *u = container_of(w, struct uplink, wio);

	(void)loop;
	(void)revents;
	mcast_flush(u);
}

const struct uplink_ops uplink_mcast_ops = {
	.name = "mcast",
	.start = mcast_start,
	.stop = mcast_stop,
	.flush = mcast_flush,
	.destroy = mcast_destroy,
	.counters = mcast_counters,
};
