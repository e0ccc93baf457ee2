// SPDX-License-Identifier: MIT
/*
 * dgram.c - datagram transport: UDP and unix datagram listeners
 *
 * DOC: Theory of Operation
 * One socket per listener receives from everyone. Each distinct source
 * address (UDP host and port, or the unix path the peer bound) becomes a
 * switch port, found again through a hash of the address; one datagram
 * carries one raw Ethernet frame, no header (QEMU's -netdev dgram and
 * -netdev socket,udp=). recvmmsg() reads batches straight into the
 * daemon's shared receive buffer and frames are forwarded in place; each
 * port's queue is written with one sendmmsg(), one frame per datagram.
 *
 * Sending never blocks. UDP ports share the listener's socket (sendto);
 * when its buffer is full the listener waits for writability and then
 * flushes every port with frames queued. A unix datagram receiver holds
 * only about ten datagrams (net.unix.max_dgram_qlen), and writability of
 * an unconnected unix socket says nothing about one peer, so every
 * unixgram port has its own socket connect()ed to the peer's path: poll
 * on it reflects that peer's queue, and a peer that stops reading only
 * fills its own bounded transmit queue (drops counted as tx_queue_full).
 *
 * A unixgram peer that goes away (its socket closed: ECONNREFUSED) is
 * reconnected to its path at once; if nobody is bound there the port
 * stays, down (frames to it are not queued, and the queue is dropped as
 * tx_closed), until a datagram from that path shows the guest is back, so
 * a guest that restarts and binds the same path is the same port again.
 * Ports close after dgram_idle seconds without a datagram from the peer.
 * One datagram from a new source address makes a port, and UDP sources
 * are easy to forge, so each listener may hold only its own share of the
 * switch's ports (its "max_ports", by default half of the switch's): a
 * flood of sources fills that share, never the slots stream and VDE
 * guests attach to. Datagrams from further new sources are refused,
 * counted and logged at most once per LOG_WINDOW_MS (log_ratelimit_ok()).
 * Empty datagrams are never sent (QEMU stops reading a socket for good
 * after one: the core never queues frames under 14 bytes); received ones
 * are counted as rx_runt and dropped, longer than max_frame as
 * rx_oversize.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "transport/transport.h"

#define DGRAM_BATCH 64 /* datagrams per recvmmsg() and sendmmsg() */
#define DGRAM_READ_ROUNDS 8 /* recvmmsg() calls per readable event */
#define DGRAM_RCVBUF (4 * 1024 * 1024)
#define DGRAM_SWEEP_S 1.0

/**
 * struct dgram_key - a peer's address, normalised so equal peers compare
 *		      equal byte for byte
 * @len:	bytes of @sa in use
 * @sa:		the address (sockaddr_in, sockaddr_in6 or sockaddr_un)
 */
struct dgram_key {
	socklen_t len;
	struct sockaddr_storage sa;
};

/**
 * struct dgram_listener - one datagram socket; every source is a port
 * @base:	the listener (URL, list, ops)
 * @d:		the daemon
 * @addr:	what was asked for (real port for udp:...:0)
 * @unixgram:	unix datagram (else UDP)
 * @fd:		the socket
 * @rio:	read watcher
 * @wio:	UDP: write watcher while the shared socket is full
 * @sweep:	closes idle ports
 * @idle_ms:	idle time before a port closes
 * @max_ports:	ports this listener may hold (listener_settings)
 * @nports:	ports it holds
 * @refused:	datagrams from new peers refused, in all (SIGUSR1)
 * @hash:	ports by peer address, @hmask + 1 chains
 * @hmask:	hash size minus one
 * @ports:	every port of this listener
 * @file:	unixgram: the socket file, removed on close while still ours
 * @rl_full:	datagrams from new peers refused: the switch's or the
 *		listener's max_ports reached (or no descriptor or memory for
 *		the port)
 * @rl_empty:	empty datagrams from unknown peers
 * @rl_unnamed:	datagrams from unbound unix sockets (no address to reply to)
 * @rl_too_big:	frames longer than one datagram can carry, dropped
 * @rl_rxerr:	receive errors
 * @rl_owner:	unixgram: refusals to send to a path whose socket is not
 *		the peer's own (see dgram_connect())
 * @rmm:	recvmmsg() headers
 * @riov:	their buffers (slots in the receive arena)
 * @from:	their source addresses
 * @rcm:	unixgram: their credentials (SO_PASSCRED), the sender's uid
 * @smm:	sendmmsg() headers
 */
struct dgram_listener {
	struct listener base;
	struct swd *d;
	struct listen_addr addr;
	bool unixgram;
	int fd;
	ev_io rio;
	ev_io wio;
	ev_timer sweep;
	uint64_t idle_ms;
	uint32_t max_ports;
	uint32_t nports;
	uint64_t refused;
	struct dgram_port **hash;
	uint32_t hmask;
	struct dgram_port *ports;
	struct sock_file file;
	struct log_ratelimit rl_full, rl_empty, rl_unnamed, rl_too_big,
		rl_rxerr, rl_owner;
	struct mmsghdr rmm[DGRAM_BATCH];
	struct iovec riov[DGRAM_BATCH];
	struct sockaddr_storage from[DGRAM_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} rcm[DGRAM_BATCH];
	struct mmsghdr smm[DGRAM_BATCH];
};

/**
 * struct dgram_port - one peer address seen on a datagram listener
 * @port:	the switch port
 * @l:		its listener, NULL once detached (closing)
 * @hnext:	hash chain
 * @prev:	previous on @l's list
 * @next:	next on @l's list
 * @key:	the peer's address
 * @fd:		unixgram: socket connected to the peer's path; UDP: -1
 * @wio:	unixgram: write watcher while the peer's queue is full
 * @last_rx_ms:	when the peer last sent a datagram
 * @absent:	unixgram: nobody is bound at the peer's path any more
 * @warned:	an oversize datagram was logged for this port
 * @uid:	unixgram: the user whose datagrams come from the peer's path
 *		(kernel credentials); the switch sends only to a socket at
 *		that path that this user owns
 */
struct dgram_port {
	struct port port;
	struct dgram_listener *l;
	struct dgram_port *hnext;
	struct dgram_port *prev;
	struct dgram_port *next;
	struct dgram_key key;
	int fd;
	ev_io wio;
	uint64_t last_rx_ms;
	bool absent;
	bool warned;
	uid_t uid;
};

static int dgram_flush(struct port *p);
static void dgram_close(struct port *p);

static const struct port_ops dgram_udp_ops = {
	.name = "udp",
	.flush = dgram_flush,
	.close = dgram_close,
};

static const struct port_ops dgram_unixgram_ops = {
	.name = "unixgram",
	.flush = dgram_flush,
	.close = dgram_close,
};

/* Build the lookup key of a source address; -EDESTADDRREQ if it has none. */
static int dgram_key_make(const struct sockaddr_storage *ss, socklen_t len,
			  struct dgram_key *k)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);

	memset(k, 0, sizeof(*k));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		struct sockaddr_in *o = (void *)&k->sa;

		o->sin_family = AF_INET;
		o->sin_port = in->sin_port;
		o->sin_addr = in->sin_addr;
		k->len = sizeof(*o);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in = (const void *)ss;
		struct sockaddr_in6 *o = (void *)&k->sa;

		o->sin6_family = AF_INET6;
		o->sin6_port = in->sin6_port;
		o->sin6_addr = in->sin6_addr;
		o->sin6_scope_id = in->sin6_scope_id;
		k->len = sizeof(*o);
	} else if (ss->ss_family == AF_UNIX && len > off) {
		const struct sockaddr_un *un = (const void *)ss;
		size_t plen = len - off;

		if (plen > sizeof(un->sun_path))
			plen = sizeof(un->sun_path);
		/* A path name ends at its NUL; an abstract one (leading
		 * NUL) is exactly @plen bytes. */
		if (un->sun_path[0])
			plen = strnlen(un->sun_path, plen);
		memcpy(&k->sa, ss, off + plen);
		k->len = (socklen_t)(off + plen);
	} else {
		return -EDESTADDRREQ;
	}
	return 0;
}

static uint32_t dgram_hash(const struct dgram_listener *l,
			   const struct dgram_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ l->d->sw.prm.hash_secret;
	const uint8_t *b = (const uint8_t *)&k->sa;
	socklen_t i;

	for (i = 0; i < k->len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)(h ^ (h >> 32)) & l->hmask;
}

static struct dgram_port *dgram_lookup(const struct dgram_listener *l,
				       const struct dgram_key *k)
{
	struct dgram_port *dp;

	for (dp = l->hash[dgram_hash(l, k)]; dp; dp = dp->hnext)
		if (dp->key.len == k->len &&
		    !memcmp(&dp->key.sa, &k->sa, k->len))
			return dp;
	return NULL;
}

static void dgram_describe(const struct dgram_key *k, char *out, size_t len)
{
	const struct sockaddr_un *un = (const void *)&k->sa;
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (k->sa.ss_family == AF_UNIX) {
		if (un->sun_path[0])
			snprintf(out, len, "unixgram %.*s", (int)(k->len - off),
				 un->sun_path);
		else
			snprintf(out, len, "unixgram @%.*s",
				 (int)(k->len - off - 1), un->sun_path + 1);
		return;
	}
	if (getnameinfo((const struct sockaddr *)&k->sa, k->len, host,
			sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, len, "udp peer unknown");
		return;
	}
	snprintf(out, len, strchr(host, ':') ? "udp [%s]:%s" : "udp %s:%s",
		 host, serv);
}

/* Take @dp off its listener (hash and list) and stop its watcher. */
static void dgram_detach(struct dgram_port *dp)
{
	struct dgram_listener *l = dp->l;
	struct dgram_port **pp;

	if (!l)
		return;
	for (pp = &l->hash[dgram_hash(l, &dp->key)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == dp) {
			*pp = dp->hnext;
			break;
		}
	}
	if (dp->prev)
		dp->prev->next = dp->next;
	else
		l->ports = dp->next;
	if (dp->next)
		dp->next->prev = dp->prev;
	if (dp->fd >= 0)
		ev_io_stop(l->d->loop, &dp->wio);
	l->nports--;
	dp->l = NULL;
}

/* Close @dp (deferred by the daemon); its address is free at once, so the
 * next datagram from that peer makes a new port. */
static void __attribute__((format(printf, 2, 3)))
dgram_port_kill(struct dgram_port *dp, const char *fmt, ...)
{
	struct swd *d = dp->l->d;
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	dgram_detach(dp);
	swd_port_close(d, &dp->port, "%s", why);
}

/*
 * Connect @dp's socket to its peer. A path is never trusted by name: the
 * socket file must belong to the user whose datagrams came from it, and
 * what is checked is what is connected (unix_connect_owned()), so a peer
 * that swaps its path for a symlink cannot aim the switch at another
 * user's socket. Abstract names are not in the file system.
 */
static int dgram_connect(struct dgram_port *dp)
{
	uint64_t held;
	const struct sockaddr_un *un = (const void *)&dp->key.sa;
	uid_t owner = 0;
	int rc;

	if (un->sun_path[0] == '\0') {
		if (connect(dp->fd, (const struct sockaddr *)&dp->key.sa,
			    dp->key.len) < 0)
			return -errno;
	} else {
		rc = unix_connect_owned(dp->fd, un->sun_path, dp->uid, false,
					&owner);
		if (rc == -EPERM || rc == -ENOTSOCK) {
			struct dgram_listener *l = dp->l;
			char what[64];

			if (rc == -EPERM)
				snprintf(what, sizeof(what),
					 "the socket there belongs to uid %u",
					 (unsigned)owner);
			else
				snprintf(what, sizeof(what),
					 "not a socket (a symlink?)");
			if (log_ratelimit_ok(&l->rl_owner, l->d->now_ms, 1,
					     &held)) {
				log_warnx(
					"port %u (%s): not sending to %s: %s, not to the peer (uid %u); was the path replaced? (%" PRIu64
					" refusal(s))",
					dp->port.id, dp->port.descr,
					un->sun_path, what, (unsigned)dp->uid,
					held + 1);
			}
		}
		if (rc < 0)
			return rc;
	}
	if (dp->absent) {
		dp->absent = false;
		log_info("port %u (%s): peer is back, sending to it again",
			 dp->port.id, dp->port.descr);
		sw_port_set_carrier(&dp->l->d->sw, &dp->port, true, NULL);
	}
	return 0;
}

/* The unixgram peer's socket is gone and nobody is bound at its path. */
static void dgram_peer_gone(struct dgram_port *dp, int err)
{
	struct port *p = &dp->port;
	unsigned n = txq_clear(&p->txq);
	char why[128];

	p->st.drops[PORT_DROP_TX_CLOSED] += n;
	ev_io_stop(dp->l->d->loop, &dp->wio);
	if (dp->absent)
		return;
	dp->absent = true;
	log_info(
		"port %u (%s): peer's socket is gone (%s); %u queued frames dropped, port down until it sends again",
		p->id, p->descr, strerror(err), n);
	snprintf(why, sizeof(why), "peer's socket is gone (%s)", strerror(err));
	sw_port_set_carrier(&dp->l->d->sw, p, false, why);
}

static bool dgram_again(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
}

/* One sendmmsg() of the queue's head. Return: frames sent, or -errno. */
static int dgram_send_batch(struct dgram_port *dp)
{
	struct dgram_listener *l = dp->l;
	struct swd *d = l->d;
	struct txq *q = &dp->port.txq;
	size_t n = txq_iov(q, d->iov, DGRAM_BATCH, NULL, false), i;
	uint64_t bytes = 0;
	int r;

	for (i = 0; i < n; i++) {
		struct msghdr *h = &l->smm[i].msg_hdr;

		memset(h, 0, sizeof(*h));
		if (!l->unixgram) {
			h->msg_name = &dp->key.sa;
			h->msg_namelen = dp->key.len;
		}
		h->msg_iov = &d->iov[i];
		h->msg_iovlen = 1;
	}
	do
		r = sendmmsg(l->unixgram ? dp->fd : l->fd, l->smm, (unsigned)n,
			     MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (i = 0; i < (size_t)r; i++)
		bytes += d->iov[i].iov_len;
	dp->port.st.tx_frames +=
		txq_advance(q, (size_t)bytes, false, &dp->port.st.tx_bytes);
	return r;
}

/* Drop the head frame, which no datagram on this socket can carry (UDP:
 * above 65,507 bytes over IPv4; unix: above the socket's send buffer). */
static void dgram_drop_head(struct dgram_port *dp)
{
	uint64_t held;
	struct dgram_listener *l = dp->l;
	struct txq *q = &dp->port.txq;
	uint64_t ignored = 0;
	uint32_t len = q->ring[q->head].len;

	txq_advance(q, len, false, &ignored);
	dp->port.st.drops[PORT_DROP_TX_TOO_BIG]++;
	if (log_ratelimit_ok(&l->rl_too_big, l->d->now_ms, 1, &held)) {
		log_warnx(
			"%s: port %u (%s): %" PRIu64
			" frame(s) too long for one datagram dropped (this one %u bytes); lower the guests' MTU or --max-frame",
			l->base.url, dp->port.id, dp->port.descr, held + 1,
			len);
	}
}

static int dgram_flush(struct port *p)
{
	struct dgram_port *dp = container_of(p, struct dgram_port, port);
	struct dgram_listener *l = dp->l;
	bool retried = false, wait = false;
	int r;

	if (p->closing || !l)
		return -EPIPE;
	if (dp->absent) {
		dgram_peer_gone(dp, ECONNREFUSED);
		return 0;
	}
	while (!txq_empty(&p->txq)) {
		r = dgram_send_batch(dp);
		if (r >= 0)
			continue;
		if (dgram_again(-r)) {
			wait = true;
			break;
		}
		if (r == -EMSGSIZE) {
			dgram_drop_head(dp);
			continue;
		}
		if (l->unixgram && (r == -ECONNREFUSED || r == -ENOTCONN ||
				    r == -ECONNRESET)) {
			/* The guest closed its socket; maybe it bound
			 * its path again already: one reconnect. */
			if (!retried && dgram_connect(dp) == 0) {
				retried = true;
				continue;
			}
			dgram_peer_gone(dp, -r);
			return 0;
		}
		if (r == -EPERM && l->unixgram) {
			dgram_port_kill(
				dp,
				"peer refuses our datagrams (EPERM: its socket is connect()ed; it must use sendto() to the switch)");
			return r;
		}
		dgram_port_kill(dp, "send error: %s", strerror(-r));
		return r;
	}
	if (l->unixgram) {
		if (wait)
			ev_io_start(l->d->loop, &dp->wio);
		else
			ev_io_stop(l->d->loop, &dp->wio);
	} else if (wait) {
		ev_io_start(l->d->loop, &l->wio);
	}
	return 0;
}

static void dgram_port_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dgram_port *dp = container_of(w, struct dgram_port, wio);

	(void)loop;
	(void)revents;
	dgram_flush(&dp->port);
}

/* UDP: the shared socket has room again; flush every waiting port. */
static void dgram_listener_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dgram_listener *l = container_of(w, struct dgram_listener, wio);
	struct dgram_port *dp, *next;

	(void)revents;
	ev_io_stop(loop, &l->wio);
	for (dp = l->ports; dp; dp = next) {
		next = dp->next;
		if (!txq_empty(&dp->port.txq))
			dgram_flush(&dp->port);
	}
}

static void dgram_close(struct port *p)
{
	struct dgram_port *dp = container_of(p, struct dgram_port, port);

	dgram_detach(dp);
	if (dp->fd >= 0)
		close(dp->fd);
	free(dp);
}

/**
 * dgram_refuse() - count a datagram from a new peer that makes no port,
 *		    and log it (at most once per LOG_WINDOW_MS)
 * @l:		the listener
 * @peer:	the peer, described
 * @why:	the reason
 */
static void dgram_refuse(struct dgram_listener *l, const char *peer,
			 const char *why)
{
	uint64_t held;
	l->refused++;
	if (!log_ratelimit_ok(&l->rl_full, l->d->now_ms, 1, &held))
		return;
	log_warnx("%s: refusing %s: %s (%" PRIu64 " datagram(s) refused)",
		  l->base.url, peer, why, held + 1);
}

static struct dgram_port *dgram_port_new(struct dgram_listener *l,
					 const struct dgram_key *k, uid_t uid)
{
	struct swd *d = l->d;
	struct dgram_port *dp;
	char peer[PORT_DESCR_LEN], why[160];
	uint32_t h;

	dgram_describe(k, peer, sizeof(peer));
	if (d->sw.nports >= d->sw.prm.max_ports) {
		dgram_refuse(
			l, peer,
			"the maximum number of ports (--max-ports) is attached");
		return NULL;
	}
	if (l->nports >= l->max_ports) {
		snprintf(
			why, sizeof(why),
			"this listener holds its share of %u port(s) (its \"max_ports\"; by default half of --max-ports)",
			l->max_ports);
		dgram_refuse(l, peer, why);
		return NULL;
	}
	dp = calloc(1, sizeof(*dp));
	if (!dp) {
		dgram_refuse(l, peer, "out of memory");
		return NULL;
	}
	dp->key = *k;
	dp->fd = -1;
	dp->uid = uid;
	snprintf(dp->port.descr, sizeof(dp->port.descr), "%s", peer);
	if (l->unixgram) {
		dp->fd = socket(AF_UNIX,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (dp->fd < 0) {
			dgram_refuse(l, peer, strerror(errno));
			free(dp);
			return NULL;
		}
		ev_io_init(&dp->wio, dgram_port_write_cb, dp->fd, EV_WRITE);
	}
	listener_port_prepare(&l->base, &dp->port);
	if (sw_port_add(&d->sw, &dp->port,
			l->unixgram ? &dgram_unixgram_ops : &dgram_udp_ops,
			0) < 0) {
		dgram_refuse(
			l, peer,
			"the maximum number of ports (--max-ports) is attached");
		if (dp->fd >= 0)
			close(dp->fd);
		free(dp);
		return NULL;
	}
	dp->l = l;
	l->nports++;
	listener_port_added(d, &l->base, &dp->port);
	h = dgram_hash(l, k);
	dp->hnext = l->hash[h];
	l->hash[h] = dp;
	dp->next = l->ports;
	if (l->ports)
		l->ports->prev = dp;
	l->ports = dp;
	log_info("port %u (%s) connected on %s", dp->port.id, peer,
		 l->base.url);
	if (dp->fd >= 0) {
		int rc = dgram_connect(dp);

		if (rc < 0)
			dgram_peer_gone(dp, -rc);
	}
	return dp;
}

/* The sender's user, from the kernel's SCM_CREDENTIALS (unixgram
 * listeners ask for them with SO_PASSCRED); (uid_t)-1 if there are none,
 * which owns no socket. */
static uid_t dgram_sender_uid(struct msghdr *h)
{
	struct cmsghdr *c;
	struct ucred cred;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			return cred.uid;
		}
	}
	return (uid_t)-1;
}

static void dgram_input(struct dgram_listener *l, struct mmsghdr *m,
			const uint8_t *frame, size_t *used)
{
	uint64_t held;
	struct swd *d = l->d;
	uid_t uid = l->unixgram ? dgram_sender_uid(&m->msg_hdr) : (uid_t)-1;
	size_t len = m->msg_len;
	bool trunc =
		(m->msg_hdr.msg_flags & MSG_TRUNC) || len > d->sw.prm.max_frame;
	struct dgram_port *dp;
	struct dgram_key k;

	if (dgram_key_make(m->msg_hdr.msg_name, m->msg_hdr.msg_namelen, &k) <
	    0) {
		if (log_ratelimit_ok(&l->rl_unnamed, d->now_ms, 1, &held)) {
			log_warnx(
				"%s: %" PRIu64
				" datagram(s) from an unbound socket dropped: no address to answer to (the client must bind its own path)",
				l->base.url, held + 1);
		}
		return;
	}
	dp = dgram_lookup(l, &k);
	if (!dp && len == 0) {
		if (log_ratelimit_ok(&l->rl_empty, d->now_ms, 1, &held)) {
			char peer[PORT_DESCR_LEN];

			dgram_describe(&k, peer, sizeof(peer));
			log_warnx(
				"%s: %" PRIu64
				" empty datagram(s) from unknown peers ignored (last from %s)",
				l->base.url, held + 1, peer);
		}
		return;
	}
	if (!dp)
		dp = dgram_port_new(l, &k, uid);
	if (!dp)
		return;
	dp->last_rx_ms = d->now_ms;
	if (dp->fd >= 0 && (dp->absent || dp->uid != uid)) {
		/* Back, or the path now belongs to another user's socket:
		 * connect again, to a socket that user owns. */
		int rc;

		dp->uid = uid;
		rc = dgram_connect(dp);
		if (rc < 0 && !dp->absent)
			dgram_peer_gone(dp, -rc);
	}
	if (len == 0) {
		log_debug("port %u (%s): empty datagram ignored", dp->port.id,
			  dp->port.descr);
		fwd_drop(&dp->port, 0, PORT_DROP_RX_RUNT);
		return;
	}
	if (trunc) {
		fwd_drop(&dp->port, len, PORT_DROP_RX_OVERSIZE);
		if (!dp->warned)
			log_warnx(
				"port %u (%s): datagram of %zu bytes exceeds the maximum frame %u; dropped (further ones are only counted)",
				dp->port.id, dp->port.descr, len,
				d->sw.prm.max_frame);
		dp->warned = true;
		return;
	}
	fwd_input(&d->sw, &dp->port, frame, len, d->now_ms);
	*used += len;
}

/* One recvmmsg() into the arena. Return: datagrams read, or -errno. */
static int dgram_read_batch(struct dgram_listener *l, int *asked)
{
	struct swd *d = l->d;
	size_t slot = d->sw.prm.max_frame, used = 0, i;
	unsigned n;
	uint8_t *buf = swd_rx_slots(d, slot, DGRAM_BATCH, &n);
	int r;

	dgram_slots_init(l->rmm, l->riov, l->from, sizeof(l->from[0]), buf,
			 slot, n);
	for (i = 0; l->unixgram && i < n; i++) {
		l->rmm[i].msg_hdr.msg_control = l->rcm[i].buf;
		l->rmm[i].msg_hdr.msg_controllen = sizeof(l->rcm[i].buf);
	}
	*asked = (int)n;
	do
		r = recvmmsg(l->fd, l->rmm, (unsigned)n,
			     MSG_DONTWAIT | MSG_TRUNC, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (i = 0; i < (size_t)r; i++) {
		uint8_t *frame = buf + i * slot;
		size_t len = l->rmm[i].msg_len;

		/* Pack the frames: the arena's unused slot tails stay free
		 * for the next batch. */
		if (len <= slot && !(l->rmm[i].msg_hdr.msg_flags & MSG_TRUNC) &&
		    frame != buf + used) {
			memmove(buf + used, frame, len);
			frame = buf + used;
		}
		dgram_input(l, &l->rmm[i], frame, &used);
	}
	swd_rx_commit(d, used);
	return r;
}

static void dgram_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	uint64_t held;
	struct dgram_listener *l = container_of(w, struct dgram_listener, rio);
	int round, r, asked;

	(void)loop;
	(void)revents;
	for (round = 0; round < DGRAM_READ_ROUNDS; round++) {
		r = dgram_read_batch(l, &asked);
		if (r < 0 && !dgram_again(-r)) {
			if (log_ratelimit_ok(&l->rl_rxerr, l->d->now_ms, 1,
					     &held)) {
				log_warnx("%s: receive error: %s (%" PRIu64
					  " so far)",
					  l->base.url, strerror(-r), held + 1);
			}
		}
		if (r < asked)
			break;
	}
}

static void dgram_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dgram_listener *l =
		container_of(w, struct dgram_listener, sweep);
	uint64_t now = l->d->now_ms;
	struct dgram_port *dp, *next;

	(void)loop;
	(void)revents;
	for (dp = l->ports; dp; dp = next) {
		next = dp->next;
		if (now - dp->last_rx_ms >= l->idle_ms)
			dgram_port_kill(
				dp,
				"idle: no datagram from the peer for %" PRIu64
				" s (--dgram-idle)",
				(now - dp->last_rx_ms) / 1000);
	}
}

static void dgram_listener_free(struct dgram_listener *l)
{
	if (l->d->loop) {
		ev_io_stop(l->d->loop, &l->rio);
		ev_io_stop(l->d->loop, &l->wio);
		ev_timer_stop(l->d->loop, &l->sweep);
	}
	while (l->ports)
		dgram_port_kill(l->ports, "listener closed");
	if (l->fd >= 0)
		close(l->fd);
	unix_unlink_ours(l->addr.path, &l->file);
	free(l->hash);
	free(l);
}

static int dgram_unix_bind(struct dgram_listener *l,
			   const struct listener_settings *s)
{
	int rc = unix_path_check(l->addr.path, SOCK_DGRAM, &l->file);

	if (rc < 0)
		return rc;
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	return unix_bind_path(l->fd, l->addr.path, s->mode, s->group, &l->file);
}

/**
 * dgram_listener_open() - bind a udp: or unixgram: listener and start it
 * @d:		the daemon
 * @lc:		what to listen on
 * @s:		its settings (unixgram: socket file mode and group; the idle
 *		time of its ports and how many it may hold)
 * @out:	the new listener
 *
 * Return: 0 on success, negative error code (already logged) on failure
 */
static int dgram_listener_open(struct swd *d, const struct listen_cfg *lc,
			       const struct listener_settings *s,
			       struct listener **out)
{
	struct dgram_listener *l = calloc(1, sizeof(*l));
	uint32_t size = 64;
	int rc, buf = DGRAM_RCVBUF, one = 1;

	if (!l)
		return -ENOMEM;
	l->d = d;
	l->base.want = lc->addr;
	l->fd = -1;
	l->addr = lc->addr;
	l->unixgram = lc->addr.kind == LISTEN_UNIXGRAM;
	l->idle_ms = (uint64_t)s->idle_s * 1000;
	l->max_ports = s->max_ports;
	listen_url_format(&l->addr, l->base.url, sizeof(l->base.url));
	while (size < d->sw.prm.max_ports && size < 65536)
		size *= 2;
	l->hmask = size - 1;
	l->hash = calloc(size, sizeof(*l->hash));
	if (!l->hash) {
		rc = -ENOMEM;
		goto fail;
	}
	if (l->unixgram) {
		rc = dgram_unix_bind(l, s);
	} else {
		rc = inet_bind(&l->addr, SOCK_DGRAM, l->base.url);
		if (rc >= 0) {
			l->fd = rc;
			rc = 0;
			listen_url_format(&l->addr, l->base.url,
					  sizeof(l->base.url));
		}
	}
	if (rc < 0)
		goto fail;
	/* Each datagram carries its sender's uid: the switch sends only to
	 * a socket that user owns (dgram_connect()). */
	if (l->unixgram &&
	    setsockopt(l->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		rc = -errno;
		log_warn(
			"%s: cannot ask for senders' credentials (SO_PASSCRED)",
			l->base.url);
		goto fail;
	}
	/* Best effort: a bigger queue rides out bursts from many guests. */
	setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	ev_io_init(&l->rio, dgram_read_cb, l->fd, EV_READ);
	ev_io_init(&l->wio, dgram_listener_write_cb, l->fd, EV_WRITE);
	ev_timer_init(&l->sweep, dgram_sweep_cb, DGRAM_SWEEP_S, DGRAM_SWEEP_S);
	ev_io_start(d->loop, &l->rio);
	ev_timer_start(d->loop, &l->sweep);
	*out = &l->base;
	return 0;
fail:
	dgram_listener_free(l);
	return rc;
}

/**
 * dgram_listener_close() - stop a datagram listener and close its ports
 * @base:	the listener
 *
 * Unlike a stream listener's connections, a UDP port sends through the
 * listener's own socket, so its ports cannot outlive it: they are
 * detached and closed (deferred, as always) before the socket goes.
 * Unixgram ports have their own sockets but close too, for one rule.
 */
static void dgram_listener_close(struct listener *base)
{
	dgram_listener_free(container_of(base, struct dgram_listener, base));
}

/**
 * dgram_listener_print() - the start line with QEMU's -netdev dgram
 * @base:	the listener
 * @out:	where to print
 * @n:		QEMU lines printed so far (listener_print_device())
 */
static void dgram_listener_print(const struct listener *base, FILE *out,
				 unsigned *n)
{
	const struct dgram_listener *l =
		const_container_of(base, struct dgram_listener, base);
	char v[2 * LISTENER_URL_LEN], dir[LISTENER_URL_LEN];
	char hint[4 * LISTENER_URL_LEN + 128];
	const char *host = l->addr.host;

	if (l->unixgram) {
		snprintf(dir, sizeof(dir), "%s", l->addr.path);
		qemu_escape(l->addr.path, v, sizeof(v));
		fprintf(out,
			"listening on %s  qemu: -netdev dgram,id=net%u,local.type=unix,local.path=%s/vm%u.sock,remote.type=unix,remote.path=%s",
			base->url, *n, dirname(dir), *n + 1, v);
		listener_print_device(
			out, n, "give each guest its own local.path= and mac=");
		return;
	}
	if (strchr(host, ':')) {
		/* QEMU resolves dgram and socket,udp= hosts as IPv4 only. */
		fprintf(out,
			"listening on %s  qemu: none (QEMU's UDP backends are IPv4 only; add a udp:127.0.0.1:PORT listener for guests)\n",
			base->url);
		return;
	}
	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	qemu_escape(host, v, sizeof(v));
	fprintf(out,
		"listening on %s  qemu: -netdev dgram,id=net%u,local.type=inet,local.host=%s,local.port=LPORT,remote.type=inet,remote.host=%s,remote.port=%u",
		base->url, *n, v, v, l->addr.port);
	snprintf(
		hint, sizeof(hint),
		"give each guest its own free LPORT and mac=; or -netdev socket,id=net%u,udp=%s:%u,localaddr=%s:LPORT",
		*n, v, l->addr.port, v);
	listener_print_device(out, n, hint);
}

/**
 * dgram_listener_log_stats() - the listener's counters (SIGUSR1)
 * @base:	the listener
 */
static void dgram_listener_log_stats(const struct listener *base)
{
	const struct dgram_listener *l =
		const_container_of(base, struct dgram_listener, base);

	log_info("stats listener=%s ports=%u max_ports=%u refused=%" PRIu64,
		 l->base.url, l->nports, l->max_ports, l->refused);
}

/**
 * dgram_listener_reload() - apply a reload's settings in place: the idle
 *			     time of the ports and how many it may hold
 *			     (ports above a lowered limit stay until they
 *			     go idle), unixgram: the socket file's mode and
 *			     group
 * @base:	the listener
 * @o:		settings in force
 * @n:		settings to apply
 * @url:	as configured, for the summary
 */
static void dgram_listener_reload(struct listener *base,
				  const struct listener_settings *o,
				  const struct listener_settings *n,
				  const char *url)
{
	struct dgram_listener *l =
		container_of(base, struct dgram_listener, base);

	if (l->unixgram)
		listener_reload_perms(l->d, l->addr.path, o, n, url);
	l->idle_ms = (uint64_t)n->idle_s * 1000;
	if (o->max_ports != n->max_ports)
		reload_note(l->d, "%s max_ports %u -> %u", url, o->max_ports,
			    n->max_ports);
	l->max_ports = n->max_ports;
}

const struct listener_ops dgram_listener_ops = {
	.name = "dgram",
	.open = dgram_listener_open,
	.close = dgram_listener_close,
	.print = dgram_listener_print,
	.log_stats = dgram_listener_log_stats,
	.reload = dgram_listener_reload,
};
