// SPDX-License-Identifier: MIT
/*
 * stream.c - stream transport: TCP and unix stream listeners and ports
 *
 * Every accepted connection is a port speaking QEMU's stream framing
 * (-netdev stream, -netdev socket,connect=, passt): a 32-bit big-endian
 * length, then the frame. Reads go into the daemon's shared receive buffer
 * in large chunks; frames are forwarded in place. Output is written with
 * one sendmsg() of many frames per batch, straight from the queue, and a
 * partial write resumes exactly where it stopped. A listener is one kind
 * of struct listener (listener.c keeps the list and drives reloads).
 *
 * A tcp: connection from this host is let in only if the user who owns
 * the other end is the switch's own, root, or one the listener allows
 * (stream_uid_check()): unix sockets have file permissions, TCP on
 * 127.0.0.1 has nothing else. Peers on other hosts are not checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "sockswitch/stream_rx.h"
#include "transport/stream.h"
#include "transport/transport.h"

#define ACCEPT_BATCH 64

/**
 * struct stream_listener - a listening socket; every connection becomes a
 *			    port
 * @base:	the listener (URL, list, ops)
 * @d:		the daemon
 * @addr:	what was asked for (with the real port once bound)
 * @fd:		listening socket
 * @io:		accept watcher
 * @backoff:	restarts @io after running out of descriptors
 * @file:	unix: the socket file, removed on close while still ours
 *
 * Who may attach (tcp:, unix:) is the base's @peers (listener.c).
 */
struct stream_listener {
	struct listener base;
	struct swd *d;
	struct listen_addr addr;
	int fd;
	ev_io io;
	ev_timer backoff;
	struct sock_file file;
};

/**
 * struct stream_port - one accepted connection
 * @port:	the switch port (must stay first for container_of clarity)
 * @c:		the connection
 */
struct stream_port {
	struct port port;
	struct stream_conn c;
};

static int stream_flush(struct port *p);
static void stream_close(struct port *p);
static void stream_rx_pause(struct port *p, bool pause);

static const struct port_ops stream_unix_ops = {
	.name = "unix",
	.flush = stream_flush,
	.close = stream_close,
	.rx_pause = stream_rx_pause,
};

static const struct port_ops stream_tcp_ops = {
	.name = "tcp",
	.flush = stream_flush,
	.close = stream_close,
	.rx_pause = stream_rx_pause,
};

static void __attribute__((format(printf, 2, 3)))
stream_fail(struct stream_conn *c, const char *fmt, ...)
{
	char reason[sizeof(c->port->close_reason)];
	va_list ap;

	ev_io_stop(c->d->loop, &c->rio);
	ev_io_stop(c->d->loop, &c->wio);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	c->fail(c, reason);
}

static void stream_conn_frame_cb(void *opaque, const uint8_t *frame, size_t len)
{
	struct stream_conn *c = opaque;

	fwd_input(&c->d->sw, c->port, frame, len, c->d->now_ms);
	/* Throttled: leave the rest of this read for later, so one read
	 * cannot overrun the destination's headroom. */
	if (c->port->throttle_on)
		c->rx.stop = true;
}

static void stream_eof(struct stream_conn *c, ssize_t r, size_t partial)
{
	if (partial)
		fwd_drop(c->port, partial, PORT_DROP_RX_FRAMING);
	if (r < 0 && errno == ECONNRESET)
		stream_fail(c, "peer reset the connection%s",
			    partial ? " mid-frame" : "");
	else if (r < 0)
		stream_fail(c, "read error: %s", strerror(errno));
	else if (partial)
		stream_fail(
			c,
			"peer closed the connection mid-frame (%zu bytes of an incomplete frame dropped)",
			partial);
	else
		stream_fail(c, "peer closed the connection");
}

static void stream_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream_conn *c = container_of(w, struct stream_conn, rio);
	struct swd *d = c->d;
	size_t space, have;
	uint32_t bad = 0;
	uint8_t *buf;
	ssize_t r;
	int rc;

	(void)loop;
	(void)revents;
	buf = swd_rx_buf(d, &space);
	have = stream_rx_restore(&c->rx, buf);
	r = recv(c->fd, buf + have, space - have, 0);
	if (r < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		/* Nothing new: keep the tail (it holds no complete frame). */
		r = 0;
	} else if (r <= 0) {
		stream_eof(c, r, have);
		return;
	}
	rc = stream_rx_consume(&c->rx, buf, have + (size_t)r,
			       d->sw.prm.max_frame, stream_conn_frame_cb, c,
			       &bad);
	swd_rx_commit(d, have + (size_t)r);
	if (rc == -EPROTO) {
		fwd_drop(c->port, 0, PORT_DROP_RX_OVERSIZE);
		log_warnx(
			"port %u (%s): frame length %u exceeds the maximum %u; the stream cannot be trusted, closing",
			c->port->id, c->port->descr, bad, d->sw.prm.max_frame);
		stream_fail(c, "oversize frame length %u (maximum %u)", bad,
			    d->sw.prm.max_frame);
	} else if (rc < 0) {
		stream_fail(c, "out of memory reassembling");
	}
}

/**
 * stream_conn_flush() - write as much of the port's queue as the peer takes
 * @c:		the connection
 *
 * Return: 0, or a negative error code after calling @c->fail
 */
int stream_conn_flush(struct stream_conn *c)
{
	struct port *p = c->port;
	struct swd *d = c->d;
	struct txq *q = &p->txq;

	if (p->closing || c->fd < 0)
		return -EPIPE;
	while (!txq_empty(q) && !q->torn) {
		size_t n = txq_iov(q, d->iov, SWD_IOV_MAX, d->hdr, true),
		       want = 0;
		struct msghdr mh = { .msg_iov = d->iov, .msg_iovlen = n };
		ssize_t r;
		size_t i;

		for (i = 0; i < n; i++)
			want += d->iov[i].iov_len;
		r = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0) {
			int err = errno;

			stream_fail(c, "write error: %s", strerror(err));
			return -err;
		}
		p->st.tx_frames +=
			txq_advance(q, (size_t)r, true, &p->st.tx_bytes);
		if ((size_t)r < want)
			break;
	}
	if (q->torn) {
		stream_fail(c, "out of memory: a partly sent frame was lost");
		return -ENOMEM;
	}
	swd_watch_output(d, &c->wio, q);
	return 0;
}

static void stream_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream_conn *c = container_of(w, struct stream_conn, wio);

	(void)loop;
	(void)revents;
	stream_conn_flush(c);
}

/**
 * stream_conn_start() - start reading a connected socket for port @p
 * @c:		the connection state (zeroed or stopped)
 * @d:		the daemon
 * @p:		the port its frames belong to
 * @fd:		connected nonblocking socket, owned from now on
 * @fail:	called (watchers stopped) when the connection breaks
 */
void stream_conn_start(struct stream_conn *c, struct swd *d, struct port *p,
		       int fd, stream_fail_fn fail)
{
	c->d = d;
	c->port = p;
	c->fd = fd;
	/* stream_rx_consume() hands over frames right after their headers */
	p->rx_framed = true;
	c->fail = fail;
	stream_rx_init(&c->rx);
	ev_io_init(&c->rio, stream_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, stream_write_cb, fd, EV_WRITE);
	ev_io_start(d->loop, &c->rio);
}

/**
 * stream_conn_stop() - stop the watchers, close the socket, drop the tail
 * @c:		the connection (idempotent)
 */
void stream_conn_stop(struct stream_conn *c)
{
	if (c->fd < 0)
		return;
	ev_io_stop(c->d->loop, &c->rio);
	ev_io_stop(c->d->loop, &c->wio);
	close(c->fd);
	c->fd = -1;
	stream_rx_fini(&c->rx);
}

/**
 * stream_conn_pause() - stop or restart reading (backpressure)
 * @c:		the connection
 * @pause:	stop (true) or restart reading
 *
 * Unread input stays in the socket, so the peer's writes block: that is
 * the point. Restarting also delivers frames left in the carried tail
 * when the throttle began. A stopped connection is left alone.
 */
void stream_conn_pause(struct stream_conn *c, bool pause)
{
	if (c->fd < 0)
		return;
	if (pause) {
		ev_io_stop(c->d->loop, &c->rio);
		return;
	}
	ev_io_start(c->d->loop, &c->rio);
	/* Frames may wait in the carried tail with nothing new to read. */
	if (c->rx.carry_len)
		ev_feed_event(c->d->loop, &c->rio, EV_READ);
}

static void stream_rx_pause(struct port *p, bool pause)
{
	stream_conn_pause(&container_of(p, struct stream_port, port)->c, pause);
}

static int stream_flush(struct port *p)
{
	return stream_conn_flush(&container_of(p, struct stream_port, port)->c);
}

static void stream_close(struct port *p)
{
	struct stream_port *sp = container_of(p, struct stream_port, port);

	stream_conn_stop(&sp->c);
	free(sp);
}

static void stream_port_fail(struct stream_conn *c, const char *reason)
{
	swd_port_close(c->d, c->port, "%s", reason);
}

static void describe_peer(const struct stream_listener *l, int fd,
			  const struct sockaddr_storage *ss, socklen_t slen,
			  char *out, size_t len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	if (l->addr.kind == LISTEN_UNIX) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
			snprintf(out, len, "unix pid=%d uid=%u", (int)cred.pid,
				 (unsigned)cred.uid);
		else
			snprintf(out, len, "unix peer unknown");
		return;
	}
	if (getnameinfo((const struct sockaddr *)ss, slen, host, sizeof(host),
			serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, len, "tcp peer unknown");
		return;
	}
	snprintf(out, len, strchr(host, ':') ? "tcp [%s]:%s" : "tcp %s:%s",
		 host, serv);
}

/**
 * stream_uid_check() - refuse a tcp: connection from a local user the
 *			listener does not allow
 * @l:		a tcp: listener
 * @fd:		the accepted socket
 * @ss:		the peer's address
 * @peer:	the peer, for messages
 *
 * A peer on this host (loopback or one of its addresses) is looked up
 * with sock_diag (tcp_peer_uid()); if that fails the connection is
 * refused (fail closed). A peer from another host cannot be identified
 * and is let in, as before: who can reach a non-loopback address is a
 * matter for the firewall. Out of descriptors for the lookup, accepting
 * pauses as when accept() itself runs out (accept_failed()).
 *
 * Return: true to go on; false if the connection was refused (@fd closed)
 */
static bool stream_uid_check(struct stream_listener *l, int fd,
			     const struct sockaddr_storage *ss,
			     const char *peer)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	char why[256], who[48];
	uid_t uid;
	int rc;

	if (l->base.peers.any || !inet_addr_is_local(ss))
		return true;
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		rc = -errno;
	else
		rc = tcp_peer_uid(&local, ss, &uid);
	if (rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS || rc == -ENOMEM) {
		/* as if accept() had failed: pause accepting */
		listener_refuse(
			l->d, &l->base, fd, peer,
			"no descriptor or memory left to check its uid");
		errno = -rc;
		accept_failed(l->d->loop, &l->io, &l->backoff, l->base.url);
		return false;
	}
	if (rc < 0) {
		snprintf(
			why, sizeof(why),
			"cannot tell which local user it is (sock_diag: %s); to let any local user attach, set \"allow_any_uid\": true on this listener",
			strerror(-rc));
		l->base.peers_refused++;
		listener_refuse(l->d, &l->base, fd, peer, why);
		return false;
	}
	if (listener_uid_allowed(&l->base.peers, uid))
		return true;
	listener_who_always(who, sizeof(who));
	snprintf(
		why, sizeof(why),
		"uid %u may not attach (allowed: %s%s); add \"allow_uids\": [%u] or \"allow_any_uid\": true to this listener in the config",
		(unsigned)uid, who, l->base.peers.n ? ", allow_uids" : "",
		(unsigned)uid);
	l->base.peers_refused++;
	listener_refuse(l->d, &l->base, fd, peer, why);
	return false;
}

static void stream_port_new(struct stream_listener *l, int fd,
			    const struct sockaddr_storage *ss, socklen_t slen)
{
	struct swd *d = l->d;
	struct stream_port *sp;
	char peer[PORT_DESCR_LEN], why[320];
	int one = 1, rc;

	describe_peer(l, fd, ss, slen, peer, sizeof(peer));
	if (l->addr.kind == LISTEN_TCP && !stream_uid_check(l, fd, ss, peer))
		return;
	if (l->addr.kind == LISTEN_UNIX &&
	    listener_peer_check(&l->base, fd, why, sizeof(why)) < 0) {
		listener_refuse(l->d, &l->base, fd, peer, why);
		return;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		listener_refuse(l->d, &l->base, fd, peer, "out of memory");
		return;
	}
	snprintf(sp->port.descr, sizeof(sp->port.descr), "%s", peer);
	listener_port_prepare(&l->base, &sp->port);
	rc = sw_port_add(&d->sw, &sp->port,
			 l->addr.kind == LISTEN_UNIX ? &stream_unix_ops
						     : &stream_tcp_ops,
			 0);
	if (rc < 0) {
		free(sp);
		listener_refuse(l->d, &l->base, fd, peer,
				"ports attached: the maximum (--max-ports)");
		return;
	}
	listener_port_added(d, &l->base, &sp->port);
	if (l->addr.kind == LISTEN_TCP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	stream_conn_start(&sp->c, d, &sp->port, fd, stream_port_fail);
	log_info("port %u (%s) connected on %s", sp->port.id, peer,
		 l->base.url);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream_listener *l = container_of(w, struct stream_listener, io);
	int i;

	(void)revents;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &slen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			stream_port_new(l, fd, &ss, slen);
			if (!ev_is_active(&l->io))
				return; /* paused: see stream_uid_check() */
			continue;
		}
		accept_failed(loop, &l->io, &l->backoff, l->base.url);
		return;
	}
}

static int unix_listen(struct stream_listener *l,
		       const struct listener_settings *s)
{
	return unix_stream_bind(l->addr.path, s->mode, s->group, &l->file,
				&l->fd);
}

static int tcp_listen(struct stream_listener *l)
{
	int fd = inet_bind(&l->addr, SOCK_STREAM, l->base.url);

	if (fd < 0)
		return fd;
	l->fd = fd;
	listen_url_format(&l->addr, l->base.url, sizeof(l->base.url));
	return 0;
}

static void stream_listener_free(struct stream_listener *l)
{
	if (l->d->loop) {
		ev_io_stop(l->d->loop, &l->io);
		ev_timer_stop(l->d->loop, &l->backoff);
	}
	if (l->fd >= 0)
		close(l->fd);
	unix_unlink_ours(l->addr.path, &l->file);
	free(l);
}

/**
 * stream_listener_open() - bind a tcp: or unix: listener and start it
 * @d:		the daemon
 * @lc:		what to listen on
 * @s:		its settings (unix: socket file mode and group)
 * @out:	the new listener
 *
 * Return: 0 on success, negative error code (already logged) on failure
 */
static int stream_listener_open(struct swd *d, const struct listen_cfg *lc,
				const struct listener_settings *s,
				struct listener **out)
{
	struct stream_listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	l->d = d;
	l->base.want = lc->addr;
	l->fd = -1;
	l->addr = lc->addr;
	listen_url_format(&l->addr, l->base.url, sizeof(l->base.url));
	ev_io_init(&l->io, accept_cb, -1, EV_READ);
	accept_backoff_init(&l->backoff, &l->io);
	rc = l->addr.kind == LISTEN_UNIX ? unix_listen(l, s) : tcp_listen(l);
	if (rc == 0)
		rc = listen_start(d->loop, &l->io, l->fd, l->base.url);
	if (rc < 0) {
		stream_listener_free(l);
		return rc;
	}
	*out = &l->base;
	return 0;
}

/**
 * stream_listener_close() - stop accepting, remove the socket file; the
 *			     connections accepted stay attached
 * @base:	the listener
 */
static void stream_listener_close(struct listener *base)
{
	stream_listener_free(container_of(base, struct stream_listener, base));
}

/**
 * stream_listener_print() - the start line with QEMU's -netdev stream
 * @base:	the listener
 * @out:	where to print
 * @n:		QEMU lines printed so far (listener_print_device())
 */
static void stream_listener_print(const struct listener *base, FILE *out,
				  unsigned *n)
{
	const struct stream_listener *l =
		const_container_of(base, struct stream_listener, base);
	char v[2 * LISTENER_URL_LEN];
	const char *host = l->addr.host;

	if (l->addr.kind == LISTEN_UNIX) {
		qemu_escape(l->addr.path, v, sizeof(v));
		fprintf(out,
			"listening on %s  qemu: -netdev stream,id=net%u,server=off,addr.type=unix,addr.path=%s",
			base->url, *n, v);
	} else {
		if (strcmp(host, "0.0.0.0") == 0)
			host = "127.0.0.1";
		else if (strcmp(host, "::") == 0)
			host = "::1";
		qemu_escape(host, v, sizeof(v));
		fprintf(out,
			"listening on %s  qemu: -netdev stream,id=net%u,server=off,addr.type=inet,addr.host=%s,addr.port=%u",
			base->url, *n, v, l->addr.port);
	}
	listener_print_device(out, n, "give each guest its own mac=");
}

/**
 * stream_listener_reload() - unix: give the socket file its new mode and
 *			      group (listener.c applies the allow lists)
 * @base:	the listener
 * @o:		settings in force
 * @n:		settings to apply
 * @url:	as configured, for the summary
 */
static void stream_listener_reload(struct listener *base,
				   const struct listener_settings *o,
				   const struct listener_settings *n,
				   const char *url)
{
	struct stream_listener *l =
		container_of(base, struct stream_listener, base);

	if (l->addr.kind == LISTEN_UNIX)
		listener_reload_perms(l->d, l->addr.path, o, n, url);
}

/* SIGUSR1: the listener's own counter, when there is something to say. */
static void stream_listener_log_stats(const struct listener *base)
{
	const struct stream_listener *l =
		const_container_of(base, struct stream_listener, base);

	if (l->base.refused)
		log_info("stats listener=%s refused=%" PRIu64, l->base.url,
			 l->base.refused);
}

const struct listener_ops stream_listener_ops = {
	.name = "stream",
	.open = stream_listener_open,
	.close = stream_listener_close,
	.print = stream_listener_print,
	.log_stats = stream_listener_log_stats,
	.reload = stream_listener_reload,
};
