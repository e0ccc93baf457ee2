// SPDX-License-Identifier: MIT
/*
 * stream.c - stream transport: TCP and unix stream listeners and ports
 *
 * Every accepted connection is a port speaking QEMU's stream framing
 * (-netdev stream, -netdev socket,connect=, passt): a 32-bit big-endian
 * length, then the frame. Reads go into the daemon's shared receive buffer
 * in large chunks; frames are forwarded in place. Output is written with
 * one sendmsg() of many frames per batch, straight from the queue, and a
 * partial write resumes exactly where it stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "sockswitch/stream_rx.h"
#include "transport/stream.h"
#include "transport/transport.h"

#define ACCEPT_BATCH 64
#define ACCEPT_BACKOFF_S 1.0
#define URL_LEN 320

/**
 * struct listener - a listening socket; every connection becomes a port
 * @d:		the daemon
 * @next:	next listener
 * @addr:	what was asked for (with the real port once bound)
 * @want:	what the config said (reload matches on it)
 * @url:	what is bound (real port for tcp:...:0)
 * @fd:		listening socket
 * @io:		accept watcher
 * @backoff:	restarts @io after running out of descriptors
 * @created:	we created the unix socket file (remove it on close)
 * @dev:	device of that file, to not remove a successor's socket
 * @ino:	inode of that file
 * @vde:	vde:DIR listeners: the VDE control socket (transport/vde.c)
 *		does all the work and @fd stays -1
 */
struct listener {
	struct swd *d;
	struct listener *next;
	struct listen_addr addr;
	struct listen_addr want;
	char url[URL_LEN];
	int fd;
	ev_io io;
	ev_timer backoff;
	bool created;
	dev_t dev;
	ino_t ino;
	struct vde_listener *vde;
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

static void describe_peer(const struct listener *l, int fd,
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

static void stream_port_new(struct listener *l, int fd,
			    const struct sockaddr_storage *ss, socklen_t slen)
{
	struct swd *d = l->d;
	struct stream_port *sp;
	char peer[PORT_DESCR_LEN];
	int one = 1, rc;

	describe_peer(l, fd, ss, slen, peer, sizeof(peer));
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		log_warnx("%s: out of memory; refusing %s", l->url, peer);
		close(fd);
		return;
	}
	snprintf(sp->port.descr, sizeof(sp->port.descr), "%s", peer);
	rc = sw_port_add(&d->sw, &sp->port,
			 l->addr.kind == LISTEN_UNIX ? &stream_unix_ops
						     : &stream_tcp_ops,
			 0);
	if (rc < 0) {
		log_warnx(
			"%s: refusing %s: %u ports attached, the maximum (--max-ports)",
			l->url, peer, d->sw.prm.max_ports);
		free(sp);
		close(fd);
		return;
	}
	if (l->addr.kind == LISTEN_TCP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	stream_conn_start(&sp->c, d, &sp->port, fd, stream_port_fail);
	log_info("port %u (%s) connected on %s", sp->port.id, peer, l->url);
}

/**
 * accept_failed() - handle accept4() failing with errno
 * @loop:	the loop
 * @io:		the listener's accept watcher
 * @backoff:	its restart timer
 * @url:	the listener, for the log
 *
 * Out of descriptors or memory: stop accepting for ACCEPT_BACKOFF_S
 * instead of spinning. Other errors than "nothing to accept" are logged.
 */
void accept_failed(struct ev_loop *loop, ev_io *io, ev_timer *backoff,
		   const char *url)
{
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
	    errno == ENOMEM) {
		log_warn("%s: cannot accept, pausing for %.0f s", url,
			 ACCEPT_BACKOFF_S);
		ev_io_stop(loop, io);
		ev_timer_set(backoff, ACCEPT_BACKOFF_S, 0);
		ev_timer_start(loop, backoff);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		   errno != ECONNABORTED) {
		log_warn("%s: accept", url);
	}
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = container_of(w, struct listener, io);
	int i;

	(void)revents;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &slen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			stream_port_new(l, fd, &ss, slen);
			continue;
		}
		accept_failed(loop, &l->io, &l->backoff, l->url);
		return;
	}
}

static void accept_backoff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	ev_io_start(loop, w->data);
}

/**
 * accept_backoff_init() - set up the timer accept_failed() arms
 * @backoff:	the listener's restart timer
 * @io:		its accept watcher, started again when @backoff fires
 */
void accept_backoff_init(ev_timer *backoff, ev_io *io)
{
	ev_init(backoff, accept_backoff_cb);
	backoff->data = io;
}

/**
 * unix_path_check() - may we bind @path? Removes a stale socket file.
 * @path:	socket path
 * @type:	SOCK_STREAM or SOCK_DGRAM: how to probe for a live owner
 *
 * Return: 0 if @path is free now, negative error code (logged) if a live
 *	   socket or a non-socket file is there
 */
int unix_path_check(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s exists and is not a socket; not replacing it",
			  path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS ||
	    errno == EPROTOTYPE) {
		close(fd);
		log_error(
			"another switch is already listening on %s; stop it or choose another path with --listen",
			path);
		return -EADDRINUSE;
	}
	rc = errno;
	close(fd);
	if (rc != ECONNREFUSED && rc != ENOENT) {
		errno = rc;
		log_warn("cannot probe existing socket %s", path);
		return -rc;
	}
	log_info("replacing stale socket %s (no switch behind it)", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("cannot remove stale socket %s", path);
		return -errno;
	}
	return 0;
}

/**
 * unix_bind_path() - bind @fd to @path with the listener's mode and group
 * @fd:		unix socket, not bound yet
 * @path:	socket path (free: see unix_path_check())
 * @mode:	file permissions
 * @group:	file group, or CONFIG_GID_UNSET
 * @created:	set once the file exists (the caller removes it on close)
 * @dev:	device of the file, to not remove a successor's socket
 * @ino:	inode of the file
 *
 * Return: 0 on success, negative error code (logged) on failure
 */
int unix_bind_path(int fd, const char *path, int mode, gid_t group,
		   bool *created, dev_t *dev, ino_t *ino)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	old = umask(0177); /* never more open than 0600 before the chmod */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		log_warn("cannot bind %s", path);
		return -errno;
	}
	if (created)
		*created = true;
	if (stat(path, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		log_warn("cannot chmod %s to %04o", path, mode);
		return -errno;
	}
	if (group != CONFIG_GID_UNSET && chown(path, (uid_t)-1, group) < 0) {
		log_warn("cannot give %s to group %u", path, (unsigned)group);
		return -errno;
	}
	return 0;
}

static int unix_listen(struct listener *l, const struct listen_cfg *lc,
		       int mode)
{
	int rc;

	rc = unix_path_check(l->addr.path, SOCK_STREAM);
	if (rc < 0)
		return rc;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	return unix_bind_path(l->fd, l->addr.path, mode, lc->group, &l->created,
			      &l->dev, &l->ino);
}

/**
 * inet_bind() - resolve @a and bind a new nonblocking socket to it
 * @a:		host and port; a port 0 is replaced by the one bound
 * @type:	SOCK_STREAM (gets SO_REUSEADDR) or SOCK_DGRAM
 * @url:	for messages
 *
 * Return: the socket, or a negative error code (logged)
 */
int inet_bind(struct listen_addr *a, int type, const char *url)
{
	struct addrinfo hints = { .ai_socktype = type,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct addrinfo *ai = NULL;
	char port[8];
	int one = 1, rc, fd;

	snprintf(port, sizeof(port), "%u", a->port);
	rc = getaddrinfo(a->host, port, &hints, &ai);
	if (rc != 0) {
		log_error("%s: cannot resolve `%s': %s", url, a->host,
			  gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		rc = -errno;
		log_warn(
			"cannot bind %s%s", url,
			errno == EADDRINUSE
				? " (another switch running? pick another port with --listen)"
				: "");
		close(fd);
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0)
		a->port =
			ntohs(ss.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&ss)->sin6_port
				      : ((struct sockaddr_in *)&ss)->sin_port);
	rc = fd;
out:
	freeaddrinfo(ai);
	return rc;
}

static int tcp_listen(struct listener *l)
{
	int fd = inet_bind(&l->addr, SOCK_STREAM, l->url);

	if (fd < 0)
		return fd;
	l->fd = fd;
	listen_url_format(&l->addr, l->url, sizeof(l->url));
	return 0;
}

static void listener_free(struct listener *l)
{
	struct stat st;

	if (l->d && l->d->loop) {
		ev_io_stop(l->d->loop, &l->io);
		ev_timer_stop(l->d->loop, &l->backoff);
	}
	if (l->fd >= 0)
		close(l->fd);
	if (l->vde)
		vde_listener_free(l->vde);
	if (l->created && stat(l->addr.path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->addr.path);
	free(l);
}

/**
 * listener_open() - bind and start one listener
 * @d:		the daemon
 * @lc:		what to listen on
 *
 * Return: 0 on success, negative error code (already logged) on failure
 */
int listener_open(struct swd *d, const struct listen_cfg *lc)
{
	struct listener *l, **tail;
	int rc, mode;

	if (lc->addr.kind == LISTEN_UDP || lc->addr.kind == LISTEN_UNIXGRAM)
		return dgram_listener_open(d, lc);
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->d = d;
	l->fd = -1;
	l->addr = lc->addr;
	l->want = lc->addr;
	listen_url_format(&l->addr, l->url, sizeof(l->url));
	mode = lc->mode != CONFIG_MODE_UNSET ? lc->mode : d->cfg.socket_mode;
	if (l->addr.kind == LISTEN_VDE)
		rc = vde_listener_open(d, lc, mode, &l->vde);
	else
		rc = l->addr.kind == LISTEN_UNIX ? unix_listen(l, lc, mode)
						 : tcp_listen(l);
	if (rc == 0 && !l->vde && listen(l->fd, SOMAXCONN) < 0) {
		rc = -errno;
		log_warn("cannot listen on %s", l->url);
	}
	if (rc < 0) {
		listener_free(l);
		return rc;
	}
	ev_io_init(&l->io, accept_cb, l->fd, EV_READ);
	accept_backoff_init(&l->backoff, &l->io);
	if (!l->vde)
		ev_io_start(d->loop, &l->io);
	tail = &d->listeners;
	while (*tail)
		tail = &(*tail)->next;
	*tail = l;
	return 0;
}

/**
 * listener_close_all() - stop accepting, close and remove socket files
 * @d:		the daemon
 */
void listener_close_all(struct swd *d)
{
	while (d->listeners) {
		struct listener *l = d->listeners;

		d->listeners = l->next;
		listener_free(l);
	}
	dgram_listener_close_all(d);
}

/**
 * qemu_escape() - QEMU's option parser takes ",," for a literal comma
 * @s:		value
 * @out:	escaped copy
 * @len:	size of @out
 */
void qemu_escape(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 2 < len; s++) {
		out[o++] = *s;
		if (*s == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
}

static void listener_print(const struct listener *l, FILE *out)
{
	char v[2 * URL_LEN];
	const char *host = l->addr.host;

	if (l->vde) {
		vde_listener_print(l->vde, out);
	} else if (l->addr.kind == LISTEN_UNIX) {
		qemu_escape(l->addr.path, v, sizeof(v));
		fprintf(out,
			"listening on %s  qemu: -netdev stream,id=net0,server=off,addr.type=unix,addr.path=%s",
			l->url, v);
	} else {
		if (strcmp(host, "0.0.0.0") == 0)
			host = "127.0.0.1";
		else if (strcmp(host, "::") == 0)
			host = "::1";
		qemu_escape(host, v, sizeof(v));
		fprintf(out,
			"listening on %s  qemu: -netdev stream,id=net0,server=off,addr.type=inet,addr.host=%s,addr.port=%u",
			l->url, v, l->addr.port);
	}
	fprintf(out,
		" -device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01  (give each guest its own mac=)\n");
}

/**
 * listener_print_all() - one line per listener with the QEMU arguments
 * @d:		the daemon
 * @out:	where to print
 */
void listener_print_all(const struct swd *d, FILE *out)
{
	const struct listener *l;

	for (l = d->listeners; l; l = l->next)
		listener_print(l, out);
	dgram_listener_print_all(d, out);
}

/**
 * listener_log_stats() - log the listener-level counters (SIGUSR1)
 * @d:		the daemon
 */
void listener_log_stats(const struct swd *d)
{
	const struct listener *l;

	for (l = d->listeners; l; l = l->next)
		if (l->vde)
			vde_listener_log_stats(l->vde, "stats");
}

/**
 * listener_find() - the running listener started for a configured address
 * @d:		the daemon
 * @want:	address as configured (port 0 stays 0)
 *
 * Return: the listener, or NULL
 */
struct listener *listener_find(struct swd *d, const struct listen_addr *want)
{
	struct listener *l;

	for (l = d->listeners; l; l = l->next)
		if (listen_addr_same(&l->want, want))
			return l;
	return NULL;
}

/**
 * listener_close() - stop one listener; connections it accepted stay
 * @d:		the daemon
 * @l:		the listener (NULL: nothing to do)
 */
void listener_close(struct swd *d, struct listener *l)
{
	struct listener **pp;

	for (pp = &d->listeners; l && *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			log_info("stopped listening on %s", l->url);
			listener_free(l);
			return;
		}
	}
}

/**
 * listener_next() - walk the listeners
 * @d:		the daemon
 * @l:		previous one, or NULL for the first
 *
 * Return: the next listener, or NULL at the end
 */
const struct listener *listener_next(const struct swd *d,
				     const struct listener *l)
{
	return l ? l->next : d->listeners;
}

/**
 * listener_url() - what a listener is bound to (real port for port 0)
 * @l:		the listener
 *
 * Return: its URL
 */
const char *listener_url(const struct listener *l)
{
	return l->url;
}
