// SPDX-License-Identifier: MIT
/*
 * vde.c - VDE transport: the server side of the vde_switch control protocol
 *
 * DOC: Theory of Operation
 * A vde:DIR listener makes sockswitch look like vde_switch to every
 * libvdeplug client (qemu -netdev vde,sock=DIR, vde_plug vde:///DIR, ...).
 * DIR/ctl is a unix stream socket. A client binds its own unix datagram
 * socket, connects to DIR/ctl and sends one request: magic 0xfeedface,
 * version 3, a request type with the wanted port number in its upper 24
 * bits, its socket address and a free-text description (protocols.md
 * section 3). The request is read without blocking into a small bounded
 * buffer, with a deadline for clients that say nothing. A valid request
 * gets a datagram socket that is connected to the client's socket first
 * (vdeplug4 unlinks its socket as soon as it has our reply), then bound
 * to DIR/NNN.FD, and the reply is exactly one 110-byte sockaddr_un naming
 * it. A bad request closes only that control connection, with a log line
 * and a count. The control connection stays open and silent; its EOF
 * closes the port.
 *
 * Data is one raw frame per datagram on the connected pair. Reads use
 * recvmmsg() straight into the daemon's receive arena, one slot of
 * max_frame bytes per datagram, packed together before fwd_input() so the
 * arena is not wasted on slack. Writes use sendmmsg(), one datagram per
 * queued frame; when the peer's queue is full (unix datagram queues hold
 * about ten) the rest stays in the port's bounded queue until POLLOUT.
 *
 * Differences from vde_switch: a requested port that is in use is refused
 * (vde_switch lets endpoints of one user share a port); a REQ_NEW_PORT0
 * (management port 0) request gets an ordinary port, the lowest free one;
 * empty datagrams (old libvdeplug sends one when it closes) are ignored
 * and counted; frames are not truncated at 1518 bytes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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

#define VDE_MAGIC 0xfeedfaceu
#define VDE_VERSION 3
#define VDE_REQ_NEW_CONTROL 0
#define VDE_REQ_NEW_PORT0 1
#define VDE_SUN_LEN 110 /* sizeof(struct sockaddr_un) on Linux */
#define VDE_V3_FIXED (12 + VDE_SUN_LEN) /* magic, version, type, address */
#define VDE_V1_FIXED (8 + 6 + VDE_SUN_LEN) /* magic, type, MAC, address */
#define VDE_DESCR_MAX 4096 /* longer ones are refused; shown truncated */
#define VDE_REQ_BUF (VDE_V1_FIXED + VDE_DESCR_MAX + 1)
#define VDE_CTL_TIMEOUT_S 5.0
#define VDE_CTL_PENDING_MAX 64
#define VDE_ACCEPT_BATCH 16
#define VDE_RX_BATCH 32
#define VDE_RX_ROUNDS 8
#define VDE_TX_BATCH 64
#define VDE_URL_LEN (VDE_DIR_MAX + 8)

_Static_assert(sizeof(struct sockaddr_un) == VDE_SUN_LEN,
	       "the VDE reply is a 110-byte struct sockaddr_un");

/**
 * struct vde_stats - listener-level counters
 * @ctl_accepted:	control connections accepted
 * @ctl_refused:	of which closed without a port (bad request, ...)
 * @ctl_timeouts:	of which because the request did not arrive in time
 * @ports_opened:	of which became ports
 * @ctl_evicted:	of the refused, pending ones closed to make room for a
 *			newer one (VDE_CTL_PENDING_MAX reached)
 */
struct vde_stats {
	uint64_t ctl_accepted;
	uint64_t ctl_refused;
	uint64_t ctl_timeouts;
	uint64_t ports_opened;
	uint64_t ctl_evicted;
};

/**
 * struct vde_listener - DIR/ctl and what belongs to it
 * @base:	the listener (list, ops; its URL is vde:DIR as configured)
 * @d:		the daemon
 * @dir:	the switch directory, absolute
 * @ctl:	DIR/ctl
 * @url:	vde:DIR, DIR resolved, for the log and the start line
 * @fd:		listening socket
 * @io:		accept watcher
 * @backoff:	restarts @io after running out of descriptors
 * @mode:	permissions of the sockets
 * @group:	their group, or CONFIG_GID_UNSET
 * @dir_created: we made @dir (remove it at exit if empty)
 * @ctl_file:	@ctl, removed on close while still ours
 * @pending:	control connections waiting for their request
 * @npending:	how many (bounded by VDE_CTL_PENDING_MAX)
 * @rl_refuse:	rate limit of the refusal lines
 * @st:		counters
 */
struct vde_listener {
	struct listener base;
	struct swd *d;
	char dir[VDE_DIR_MAX + 1];
	char ctl[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char url[VDE_URL_LEN];
	int fd;
	ev_io io;
	ev_timer backoff;
	int mode;
	gid_t group;
	bool dir_created;
	struct sock_file ctl_file;
	struct vde_ctl *pending;
	unsigned npending;
	struct log_ratelimit rl_refuse;
	struct vde_stats st;
};

/**
 * struct vde_ctl - an accepted control connection before its request
 * @l:		its listener
 * @next:	next in @l->pending
 * @fd:		the connection, or -1 once handed to a port or closed
 * @io:		read watcher
 * @timer:	deadline for the request
 * @pid:	peer process (SO_PEERCRED), 0 if unknown
 * @uid:	peer user, (uid_t)-1 if unknown
 * @len:	bytes in @buf
 * @buf:	the request so far
 * @defer:	its place in the daemon's deferred list once done
 */
struct vde_ctl {
	struct vde_listener *l;
	struct vde_ctl *next;
	int fd;
	ev_io io;
	ev_timer timer;
	pid_t pid;
	uid_t uid;
	size_t len;
	uint8_t buf[VDE_REQ_BUF];
	struct swd_deferred defer;
};

/**
 * struct vde_req - a parsed request
 * @version:	3, or 1 for the old layout
 * @type:	VDE_REQ_NEW_CONTROL or VDE_REQ_NEW_PORT0
 * @want:	requested port number, 0 = any
 * @sun:	the client's data socket
 * @descr:	its description, printable, NUL-terminated
 */
struct vde_req {
	unsigned version;
	unsigned type;
	uint32_t want;
	struct sockaddr_un sun;
	char descr[VDE_DESCR_MAX + 1];
};

/**
 * struct vde_port - one VDE client
 * @port:	the switch port
 * @d:		the daemon
 * @owner:	listener it came from (compared only, never followed: the
 *		listener may be gone when the port closes)
 * @ctl_fd:	control connection; EOF closes the port
 * @data_fd:	datagram socket connected to the client's
 * @ctl_io:	read watcher on @ctl_fd
 * @rio:	read watcher on @data_fd
 * @wio:	write watcher on @data_fd, active only while output waits
 * @path:	our end's socket file
 * @file:	@path, removed at close while still ours
 * @dir:	the switch directory, removed at close if we made it and it
 *		is empty by then
 * @rmdir:	we made @dir
 * @rx_empty:	empty datagrams received and ignored
 */
struct vde_port {
	struct port port;
	struct swd *d;
	const struct vde_listener *owner;
	int ctl_fd;
	int data_fd;
	ev_io ctl_io;
	ev_io rio;
	ev_io wio;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sock_file file;
	char dir[VDE_DIR_MAX + 1];
	bool rmdir;
	uint64_t rx_empty;
};

static int vde_flush(struct port *p);
static void vde_close(struct port *p);
static void vde_rx_pause(struct port *p, bool pause);

static const struct port_ops vde_ops = {
	.name = "vde",
	.flush = vde_flush,
	.close = vde_close,
	.rx_pause = vde_rx_pause,
};

static uint32_t get32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v)); /* host byte order, like the clients */
	return v;
}

/* -------------------------------------------------------------------- */
/* Data path                                                            */

static void vde_port_stop(struct vde_port *vp)
{
	ev_io_stop(vp->d->loop, &vp->ctl_io);
	ev_io_stop(vp->d->loop, &vp->rio);
	ev_io_stop(vp->d->loop, &vp->wio);
}

static void vde_port_fail(struct vde_port *vp, const char *what, int err)
{
	vde_port_stop(vp);
	swd_port_close(vp->d, &vp->port, "%s: %s", what, strerror(err));
}

/* One datagram per slot; returns false when the socket is drained. */
static bool vde_read_round(struct vde_port *vp)
{
	struct mmsghdr msg[VDE_RX_BATCH];
	struct iovec iov[VDE_RX_BATCH];
	struct swd *d = vp->d;
	size_t slot = d->sw.prm.max_frame, used = 0;
	unsigned n, i;
	uint8_t *buf = swd_rx_slots(d, slot, VDE_RX_BATCH, &n);
	int r;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf + i * slot;
		iov[i].iov_len = slot;
		memset(&msg[i], 0, sizeof(msg[i]));
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	r = recvmmsg(vp->data_fd, msg, n, MSG_DONTWAIT, NULL);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			vde_port_fail(vp, "data socket", errno);
		return false;
	}
	for (i = 0; i < (unsigned)r; i++) {
		size_t len = msg[i].msg_len;

		if (msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			fwd_drop(&vp->port, len, PORT_DROP_RX_OVERSIZE);
			log_debug("port %u: datagram over %zu bytes dropped",
				  vp->port.id, slot);
			continue;
		}
		if (len == 0) {
			/* Old libvdeplug says goodbye this way. */
			vp->rx_empty++;
			log_debug("port %u: empty datagram ignored",
				  vp->port.id);
			continue;
		}
		if (iov[i].iov_base != buf + used)
			memmove(buf + used, iov[i].iov_base, len);
		fwd_input(&d->sw, &vp->port, buf + used, len, d->now_ms);
		used += len;
	}
	swd_rx_commit(d, used);
	return (unsigned)r == n;
}

static void vde_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vde_port *vp = container_of(w, struct vde_port, rio);
	int round;

	(void)loop;
	(void)revents;
	for (round = 0; round < VDE_RX_ROUNDS && !vp->port.closing &&
			!vp->port.throttle_on;
	     round++)
		if (!vde_read_round(vp))
			break;
}

/* Backpressure: datagrams wait in the socket until we read again. */
static void vde_rx_pause(struct port *p, bool pause)
{
	struct vde_port *vp = container_of(p, struct vde_port, port);

	if (vp->data_fd < 0)
		return;
	if (pause)
		ev_io_stop(vp->d->loop, &vp->rio);
	else
		ev_io_start(vp->d->loop, &vp->rio);
}

static int vde_flush(struct port *p)
{
	struct vde_port *vp = container_of(p, struct vde_port, port);
	struct mmsghdr msg[VDE_TX_BATCH];
	struct swd *d = vp->d;
	struct txq *q = &p->txq;

	if (p->closing)
		return -EPIPE;
	while (!txq_empty(q)) {
		size_t n = txq_iov(q, d->iov, VDE_TX_BATCH, NULL, false), k,
		       sent = 0;
		int r, i;

		/* Never an empty datagram: QEMU stops reading after one.
		 * The core queues no frame under 14 bytes; this only guards. */
		for (k = 0; k < n && d->iov[k].iov_len; k++) {
			memset(&msg[k], 0, sizeof(msg[k]));
			msg[k].msg_hdr.msg_iov = &d->iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
		}
		if (k == 0) {
			txq_advance(q, 0, false, &p->st.tx_bytes);
			continue;
		}
		r = sendmmsg(vp->data_fd, msg, (unsigned)k,
			     MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0) {
			int err = errno;

			vde_port_fail(vp, "data socket write", err);
			return -err;
		}
		for (i = 0; i < r; i++)
			sent += d->iov[i].iov_len;
		p->st.tx_frames += txq_advance(q, sent, false, &p->st.tx_bytes);
		if ((size_t)r < k)
			break;
	}
	swd_watch_output(d, &vp->wio, q);
	return 0;
}

static void vde_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vde_port *vp = container_of(w, struct vde_port, wio);

	(void)loop;
	(void)revents;
	vde_flush(&vp->port);
}

/* The control connection is silent after the reply; EOF ends the port. */
static void vde_port_ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vde_port *vp = container_of(w, struct vde_port, ctl_io);
	uint8_t junk[256];
	ssize_t r;

	(void)loop;
	(void)revents;
	r = recv(vp->ctl_fd, junk, sizeof(junk), MSG_DONTWAIT);
	if (r > 0) {
		log_debug(
			"port %u: %zd unexpected bytes on the control connection ignored",
			vp->port.id, r);
	} else if (r == 0) {
		vde_port_stop(vp);
		swd_port_close(vp->d, &vp->port,
			       "client closed its control connection");
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		vde_port_fail(vp, "control connection", errno);
	}
}

static void vde_close(struct port *p)
{
	struct vde_port *vp = container_of(p, struct vde_port, port);

	vde_port_stop(vp);
	if (vp->rx_empty)
		log_info("port %u: %" PRIu64 " empty datagrams were ignored",
			 p->id, vp->rx_empty);
	if (vp->data_fd >= 0)
		close(vp->data_fd);
	if (vp->ctl_fd >= 0)
		close(vp->ctl_fd);
	unix_unlink_ours(vp->path, &vp->file);
	if (vp->rmdir)
		rmdir(vp->dir); /* fails while anything is left in it */
	free(vp);
}

/* -------------------------------------------------------------------- */
/* Control protocol                                                     */

static void descr_copy(char *out, const uint8_t *in, size_t len)
{
	size_t i;

	for (i = 0; i < len && in[i]; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? (char)in[i] : '?';
	out[i] = '\0';
}

/**
 * vde_req_parse() - check and decode a request
 * @buf:	bytes received
 * @len:	how many
 * @r:		the request
 * @why:	on error, what was wrong
 * @whylen:	size of @why
 *
 * Return: 0 if @r is complete and valid, -EAGAIN if more bytes may make
 * it valid, -EINVAL if it can never be
 */
static int vde_req_parse(const uint8_t *buf, size_t len, struct vde_req *r,
			 char *why, size_t whylen)
{
	size_t fixed, addr, plen;
	uint32_t v;

	memset(r, 0, sizeof(*r));
	if (len >= 4 && get32(buf) != VDE_MAGIC) {
		snprintf(why, whylen,
			 "bad magic 0x%08" PRIx32 " (expected 0xfeedface)",
			 get32(buf));
		return -EINVAL;
	}
	if (len < 8)
		return -EAGAIN;
	v = get32(buf + 4);
	if (v == VDE_VERSION) {
		r->version = 3;
		fixed = VDE_V3_FIXED;
		addr = 12;
	} else if (v == VDE_REQ_NEW_CONTROL || v == VDE_REQ_NEW_PORT0) {
		/* Old v1 layout: no version, the type sits here, then a MAC. */
		r->version = 1;
		fixed = VDE_V1_FIXED;
		addr = 14;
	} else {
		snprintf(why, whylen,
			 "unsupported version %" PRIu32
			 " (only 3 and the old v1 layout)",
			 v);
		return -EINVAL;
	}
	if (len < fixed)
		return -EAGAIN;
	if (len > fixed + VDE_DESCR_MAX) {
		snprintf(why, whylen,
			 "oversize request: %zu bytes or more, at most %zu",
			 len, fixed + VDE_DESCR_MAX);
		return -EINVAL;
	}
	v = r->version == 3 ? get32(buf + 8) : v;
	r->type = v & 0xff;
	r->want = r->version == 3 ? v >> 8 : 0;
	if (r->type != VDE_REQ_NEW_CONTROL && r->type != VDE_REQ_NEW_PORT0) {
		snprintf(why, whylen, "unknown request type %u", r->type);
		return -EINVAL;
	}
	memcpy(&r->sun, buf + addr, VDE_SUN_LEN);
	plen = strnlen(r->sun.sun_path, sizeof(r->sun.sun_path));
	if (r->sun.sun_family != AF_UNIX) {
		snprintf(why, whylen,
			 "client socket address family %u, expected AF_UNIX",
			 (unsigned)r->sun.sun_family);
		return -EINVAL;
	}
	if (plen == sizeof(r->sun.sun_path) || r->sun.sun_path[0] != '/') {
		snprintf(why, whylen, "client socket path %s",
			 plen == sizeof(r->sun.sun_path)
				 ? "is not NUL-terminated"
				 : "is not an absolute path");
		return -EINVAL;
	}
	descr_copy(r->descr, buf + fixed, len - fixed);
	return 0;
}

static void vde_ctl_unlink(struct vde_ctl *c)
{
	struct vde_listener *l = c->l;
	struct vde_ctl **pp;

	for (pp = &l->pending; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			l->npending--;
			break;
		}
	}
}

static void vde_ctl_free(struct swd_deferred *x)
{
	free(container_of(x, struct vde_ctl, defer));
}

/* Finish with a control connection; it is freed in the deferred pass
 * after this dispatch (swd_defer()), never in its own callback. */
static void vde_ctl_done(struct vde_ctl *c)
{
	struct vde_listener *l = c->l;

	ev_io_stop(l->d->loop, &c->io);
	ev_timer_stop(l->d->loop, &c->timer);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	vde_ctl_unlink(c);
	swd_defer(l->d, &c->defer, vde_ctl_free);
}

/* Count a refused control connection and log it; a client that keeps
 * being refused cannot flood the log (log_ratelimit_ok()). */
static void vde_refuse_log(struct vde_listener *l, pid_t pid, uid_t uid,
			   const char *why)
{
	uint64_t held;

	l->st.ctl_refused++;
	if (!log_ratelimit_ok(&l->rl_refuse, l->d->now_ms, LOG_BURST, &held))
		return;
	if (held)
		log_warnx(
			"%s: control connection from pid=%d uid=%u closed: %s (%" PRIu64
			" more refused, not logged)",
			l->url, (int)pid, (unsigned)uid, why, held);
	else
		log_warnx(
			"%s: control connection from pid=%d uid=%u closed: %s",
			l->url, (int)pid, (unsigned)uid, why);
}

static void vde_ctl_refuse(struct vde_ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vde_ctl_refuse(struct vde_ctl *c, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vde_refuse_log(c->l, c->pid, c->uid, why);
	vde_ctl_done(c);
}

/* Our end: connected to the client first, then bound inside DIR. */
static int vde_data_socket(struct vde_listener *l, struct vde_port *vp,
			   const struct vde_req *r, uid_t uid, char *why,
			   size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	uid_t owner = 0;
	int rc;

	vp->data_fd =
		socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vp->data_fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Checked and connected as one inode: a client that swaps its path
	 * after vde_req_check() cannot point the switch elsewhere. */
	rc = unix_connect_owned(vp->data_fd, r->sun.sun_path, uid, uid == 0,
				&owner);
	if (rc == -EPERM) {
		snprintf(
			why, whylen,
			"client socket %s belongs to uid %u, not to the caller (uid %u)",
			r->sun.sun_path, (unsigned)owner, (unsigned)uid);
		return -1;
	}
	if (rc == -ENOTSOCK) {
		snprintf(why, whylen, "client socket %s is not a socket",
			 r->sun.sun_path);
		return -1;
	}
	if (rc < 0) {
		snprintf(why, whylen, "cannot connect to client socket %s: %s",
			 r->sun.sun_path, strerror(-rc));
		return -1;
	}
	rc = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%03u.%d", l->dir,
		      vp->port.id, vp->data_fd);
	if (rc < 0 || (size_t)rc >= sizeof(sa.sun_path)) {
		snprintf(why, whylen, "socket path in %.100s too long", l->dir);
		return -1;
	}
	if (lstat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(sa.sun_path); /* left by a switch that died */
	strcpy(vp->path, sa.sun_path);
	rc = unix_bind_path(vp->data_fd, vp->path, l->mode, l->group,
			    &vp->file);
	if (rc < 0) {
		snprintf(why, whylen, "cannot set up %s: %s", vp->path,
			 strerror(-rc));
		return -1;
	}
	return 0;
}

/* Checks that need the switch's state: room, and the port number. */
static int vde_req_check(struct vde_ctl *c, const struct vde_req *r, char *why,
			 size_t whylen)
{
	struct swd *d = c->l->d;

	if (d->sw.nports >= d->sw.prm.max_ports) {
		snprintf(why, whylen,
			 "%u ports attached, the maximum (--max-ports)",
			 d->sw.prm.max_ports);
		return -1;
	}
	if (r->want > SW_MAX_PORTS_LIMIT) {
		snprintf(why, whylen,
			 "requested port %" PRIu32 " is out of range 1-%u",
			 r->want, SW_MAX_PORTS_LIMIT);
		return -1;
	}
	if (r->want && sw_port_by_id(&d->sw, r->want)) {
		snprintf(
			why, whylen,
			"requested port %" PRIu32
			" is in use (sockswitch does not share a port between clients)",
			r->want);
		return -1;
	}
	/* The client's socket (a socket, owned by the caller) is checked
	 * where it is connected, as one file: vde_data_socket(). */
	return 0;
}

/* The client's description names the port, if it makes a name no other
 * port has ("QEMU user=alice pid=4925" -> QEMU_user=alice_pid=4925);
 * else it keeps its default, "p<id>". */
static void vde_port_name(struct swd *d, struct port *p)
{
	char name[PORT_NAME_LEN];

	if (port_name_from(name, p->description) &&
	    !port_name_check(name, p->id) && !sw_port_by_name(&d->sw, name))
		memcpy(p->name, name, sizeof(name));
}

static void vde_port_new(struct vde_ctl *c, const struct vde_req *r)
{
	struct vde_listener *l = c->l;
	struct swd *d = l->d;
	struct vde_port *vp;
	char why[256];
	ssize_t n;

	if (vde_req_check(c, r, why, sizeof(why)) < 0) {
		vde_ctl_refuse(c, "%s", why);
		return;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		vde_ctl_refuse(c, "out of memory");
		return;
	}
	vp->d = d;
	vp->owner = l;
	vp->data_fd = vp->ctl_fd = -1;
	ev_init(&vp->ctl_io, vde_port_ctl_cb);
	ev_init(&vp->rio, vde_read_cb);
	ev_init(&vp->wio, vde_write_cb);
	snprintf(vp->port.descr, sizeof(vp->port.descr), "vde: %.*s",
		 (int)sizeof(vp->port.descr) - 6, r->descr);
	snprintf(vp->port.description, sizeof(vp->port.description), "%.*s",
		 (int)sizeof(vp->port.description) - 1, r->descr);
	/* Down until the handshake is done: if it fails the port goes
	 * without ever having been announced. */
	vp->port.no_carrier = true;
	listener_port_prepare(&l->base, &vp->port);
	if (sw_port_add(&d->sw, &vp->port, &vde_ops, r->want) < 0) {
		free(vp);
		vde_ctl_refuse(c, "no free port");
		return;
	}
	vde_port_name(d, &vp->port);
	if (vde_data_socket(l, vp, r, c->uid, why, sizeof(why)) < 0) {
		sw_port_remove(&d->sw, &vp->port);
		vde_close(&vp->port);
		vde_ctl_refuse(c, "%s", why);
		return;
	}
	listener_port_added(d, &l->base, &vp->port);
	/* The reply: exactly one struct sockaddr_un naming our end. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, vp->path);
		n = send(c->fd, &sa, sizeof(sa), MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (n != VDE_SUN_LEN) {
		snprintf(why, sizeof(why), "cannot send the reply: %s",
			 n < 0 ? strerror(errno) : "short write");
		sw_port_remove(&d->sw, &vp->port);
		vde_close(&vp->port);
		vde_ctl_refuse(c, "%s", why);
		return;
	}
	vp->ctl_fd = c->fd;
	c->fd = -1;
	snprintf(vp->dir, sizeof(vp->dir), "%s", l->dir);
	vp->rmdir = l->dir_created;
	ev_io_set(&vp->ctl_io, vp->ctl_fd, EV_READ);
	ev_io_set(&vp->rio, vp->data_fd, EV_READ);
	ev_io_set(&vp->wio, vp->data_fd, EV_WRITE);
	ev_io_start(d->loop, &vp->ctl_io);
	ev_io_start(d->loop, &vp->rio);
	l->st.ports_opened++;
	log_info(
		"port %u (%s) connected on %s as %s: pid=%d uid=%u, request v%u%s, client socket %s, switch socket %s",
		vp->port.id, vp->port.descr, l->url, vp->port.name, (int)c->pid,
		(unsigned)c->uid, r->version,
		r->type == VDE_REQ_NEW_PORT0
			? " for port 0 (given an ordinary port)"
			: "",
		r->sun.sun_path, vp->path);
	sw_port_set_carrier(&d->sw, &vp->port, true, NULL);
	vde_ctl_done(c);
}

static void vde_ctl_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vde_ctl *c = container_of(w, struct vde_ctl, io);
	struct vde_req r;
	char why[200];
	ssize_t n;
	int rc;

	(void)loop;
	(void)revents;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		vde_ctl_refuse(c, "read error after %zu bytes: %s", c->len,
			       strerror(errno));
		return;
	}
	c->len += (size_t)n;
	rc = vde_req_parse(c->buf, c->len, &r, why, sizeof(why));
	if (n == 0 && c->len == 0) {
		/* A probe (another switch checking DIR/ctl): not an error. */
		log_debug("%s: control connection closed without a request",
			  c->l->url);
		c->l->st.ctl_refused++;
		vde_ctl_done(c);
	} else if (rc == -EINVAL) {
		vde_ctl_refuse(c, "%s", why);
	} else if (n == 0) {
		vde_ctl_refuse(
			c,
			rc == -EAGAIN
				? "truncated request: %zu bytes, then end of file"
				: "client closed after its %zu-byte request",
			c->len);
	} else if (rc == 0) {
		/* Wait for the rest of the description if it is still coming. */
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len,
			 MSG_DONTWAIT | MSG_PEEK);
		if (n > 0)
			return;
		vde_port_new(c, &r);
	}
}

static void vde_ctl_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vde_ctl *c = container_of(w, struct vde_ctl, timer);

	(void)loop;
	(void)revents;
	c->l->st.ctl_timeouts++;
	vde_ctl_refuse(c, "no complete request within %.0f s (%zu bytes)",
		       VDE_CTL_TIMEOUT_S, c->len);
}

static void vde_ctl_new(struct vde_listener *l, int fd)
{
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	struct vde_ctl *c;
	char why[320];

	l->st.ctl_accepted++;
	/* Unknown credentials must not read as root (uid 0 may name any
	 * client socket): nobody owns a socket as uid -1. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		cred.uid = (uid_t)-1;
	/* "allow_uids", "allow_gids": closed before it may say anything. */
	if (listener_peer_check(&l->base, fd, why, sizeof(why)) < 0) {
		vde_refuse_log(l, cred.pid, cred.uid, why);
		close(fd);
		return;
	}
	if (l->npending >= VDE_CTL_PENDING_MAX) {
		/* Make room: the oldest pending request goes, not the
		 * newest, so connections that say nothing cannot keep a
		 * real client (which asks at once) out. */
		struct vde_ctl *oldest = l->pending;

		while (oldest->next)
			oldest = oldest->next;
		l->st.ctl_evicted++;
		vde_ctl_refuse(oldest,
			       "%u requests pending; the oldest makes room",
			       l->npending);
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		vde_refuse_log(l, cred.pid, cred.uid, "out of memory");
		close(fd);
		return;
	}
	c->l = l;
	c->fd = fd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	ev_io_init(&c->io, vde_ctl_read_cb, fd, EV_READ);
	ev_timer_init(&c->timer, vde_ctl_timeout_cb, VDE_CTL_TIMEOUT_S, 0);
	ev_io_start(l->d->loop, &c->io);
	ev_timer_start(l->d->loop, &c->timer);
	c->next = l->pending;
	l->pending = c;
	l->npending++;
}

static void vde_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vde_listener *l = container_of(w, struct vde_listener, io);
	int i;

	(void)revents;
	for (i = 0; i < VDE_ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			vde_ctl_new(l, fd);
			continue;
		}
		accept_failed(loop, &l->io, &l->backoff, l->url);
		return;
	}
}

/* -------------------------------------------------------------------- */
/* Listener                                                             */

/* Like vde_switch -m: x wherever r or w is set, setgid with a group. */
static mode_t vde_dirmode(int mode, bool group)
{
	mode_t m = (mode_t)mode & 0777;

	if (m & 0600)
		m |= 0100;
	if (m & 0060)
		m |= 0010;
	if (m & 0006)
		m |= 0001;
	return group ? m | S_ISGID : m;
}

/**
 * vde_make_dir() - make (or take) the switch directory, as vde_switch -s
 * @l:		the listener: mode and group for a directory it makes; its
 *		dir, url and ctl are set from the real path
 * @path:	the directory as configured; missing directories above it
 *		are made mode 0700
 *
 * Return: 0 on success, negative error code (logged) on failure
 */
static int vde_make_dir(struct vde_listener *l, const char *path)
{
	mode_t dm = vde_dirmode(l->mode, l->group != CONFIG_GID_UNSET);
	char real[PATH_MAX];
	struct stat st;

	if (path_make_parents(path) < 0) {
		log_warn("cannot create the directory above %s", path);
		return -errno;
	}
	if (mkdir(path, 0700) == 0) {
		l->dir_created = true;
		if (chmod(path, dm) < 0 ||
		    (l->group != CONFIG_GID_UNSET &&
		     chown(path, (uid_t)-1, l->group) < 0)) {
			log_warn("cannot set mode %04o/group of %s", dm, path);
			return -errno;
		}
	} else if (errno != EEXIST) {
		log_warn("cannot create the vde switch directory %s", path);
		return -errno;
	} else if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("%s exists and is not a directory", path);
		return -ENOTDIR;
	}
	if (!realpath(path, real)) {
		log_warn("%s", path);
		return -errno;
	}
	if (strlen(real) > VDE_DIR_MAX) {
		log_error(
			"%s is %s: longer than %d bytes, too long for its sockets",
			path, real, VDE_DIR_MAX);
		return -ENAMETOOLONG;
	}
	strcpy(l->dir, real);
	snprintf(l->url, sizeof(l->url), "vde:%s", l->dir);
	snprintf(l->ctl, sizeof(l->ctl), "%s/ctl", l->dir);
	return 0;
}

/* Is @name one of our data sockets' names ("%03u.%d": port, fd)? */
static bool vde_data_name(const char *name)
{
	const char *p = name;

	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == '\0';
}

/*
 * Remove the data sockets a killed switch left in DIR. Called once DIR/ctl
 * is ours (a live switch would hold it), so sockets with our names are
 * stale; each is still probed (nobody may answer) and must be ours.
 */
static void vde_remove_stale(struct vde_listener *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned n = 0;
	struct dirent *de;
	struct stat st;
	DIR *dir = opendir(l->dir);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		int fd, rc;

		if (!vde_data_name(de->d_name) ||
		    (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s",
				     l->dir, de->d_name) >= sizeof(sa.sun_path))
			continue;
		if (lstat(sa.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (rc == 0 || errno != ECONNREFUSED)
			continue;
		if (unlink(sa.sun_path) == 0)
			n++;
	}
	closedir(dir);
	if (n)
		log_info(
			"%s: removed %u data socket(s) left by a switch that stopped without cleaning up",
			l->url, n);
}

static int vde_listen(struct vde_listener *l)
{
	int rc;

	rc = unix_path_check(l->ctl, SOCK_STREAM, &l->ctl_file);
	if (rc < 0)
		return rc;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	rc = unix_bind_path(l->fd, l->ctl, l->mode, l->group, &l->ctl_file);
	if (rc < 0)
		return rc;
	if (listen(l->fd, SOMAXCONN) < 0) {
		log_warn("cannot listen on %s", l->ctl);
		return -errno;
	}
	vde_remove_stale(l);
	return 0;
}

/**
 * vde_listener_log_stats() - one line of listener counters, then one per
 *			      VDE port with the transport's own counter
 * @l:		the listener
 * @prefix:	"stats" for SIGUSR1 dumps, "final" at close
 */
static void vde_listener_log_stats(const struct vde_listener *l,
				   const char *prefix)
{
	struct port *p;
	uint32_t i;

	log_info("%s vde=%s ctl_accepted=%" PRIu64 " ctl_refused=%" PRIu64
		 " ctl_timeouts=%" PRIu64 " ports_opened=%" PRIu64
		 " ctl_pending=%u ctl_evicted=%" PRIu64,
		 prefix, l->dir, l->st.ctl_accepted, l->st.ctl_refused,
		 l->st.ctl_timeouts, l->st.ports_opened, l->npending,
		 l->st.ctl_evicted);
	port_foreach(&l->d->sw, p, i) {
		const struct vde_port *vp;

		if (p->ops != &vde_ops)
			continue;
		vp = container_of(p, struct vde_port, port);
		if (vp->owner == l)
			log_info("%s vde_port=%u rx_empty=%" PRIu64, prefix,
				 p->id, vp->rx_empty);
	}
}

/**
 * vde_listener_free() - stop accepting, drop pending requests, remove
 *			 DIR/ctl (and DIR if we made it and it is empty)
 * @l:		the listener; its ports live on until they are closed
 */
static void vde_listener_free(struct vde_listener *l)
{
	ev_io_stop(l->d->loop, &l->io);
	ev_timer_stop(l->d->loop, &l->backoff);
	while (l->pending)
		vde_ctl_done(l->pending);
	if (l->fd >= 0) {
		close(l->fd);
		vde_listener_log_stats(l, "final");
	}
	unix_unlink_ours(l->ctl, &l->ctl_file); /* and its lock */
	if (l->dir_created)
		rmdir(l->dir); /* fails while ports' sockets are in it */
	free(l);
}

/**
 * vde_listener_open() - create DIR and DIR/ctl and start accepting
 * @d:		the daemon
 * @lc:		the listener's configuration (vde:DIR)
 * @s:		its settings: mode and group of DIR and the sockets
 * @out:	the new listener
 *
 * DIR is created if missing (mode @s->mode plus x where r/w is set,
 * setgid if a group is given). A stale DIR/ctl is replaced, a live one
 * refused.
 *
 * Return: 0 on success, negative error code (already logged) on failure
 */
static int vde_listener_open(struct swd *d, const struct listen_cfg *lc,
			     const struct listener_settings *s,
			     struct listener **out)
{
	struct vde_listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	l->base.want = lc->addr;
	listen_url_format(&lc->addr, l->base.url, sizeof(l->base.url));
	l->d = d;
	l->fd = -1;
	l->mode = s->mode;
	l->group = s->group;
	snprintf(l->url, sizeof(l->url), "vde:%.*s", VDE_DIR_MAX,
		 lc->addr.path);
	ev_io_init(&l->io, vde_accept_cb, -1, EV_READ);
	accept_backoff_init(&l->backoff, &l->io);
	rc = vde_make_dir(l, lc->addr.path);
	if (rc == 0)
		rc = vde_listen(l);
	if (rc < 0) {
		vde_listener_free(l);
		return rc;
	}
	ev_io_set(&l->io, l->fd, EV_READ);
	ev_io_start(d->loop, &l->io);
	*out = &l->base;
	return 0;
}

/**
 * vde_listener_close() - see vde_listener_free()
 * @base:	the listener
 */
static void vde_listener_close(struct listener *base)
{
	vde_listener_free(container_of(base, struct vde_listener, base));
}

/**
 * vde_listener_print() - the start line: where it listens, QEMU arguments
 * @base:	the listener
 * @out:	where to print
 * @n:		QEMU lines printed so far (listener_print_device())
 */
static void vde_listener_print(const struct listener *base, FILE *out,
			       unsigned *n)
{
	const struct vde_listener *l =
		const_container_of(base, struct vde_listener, base);
	char v[2 * VDE_DIR_MAX + 2];

	qemu_escape(l->dir, v, sizeof(v));
	fprintf(out, "listening on %s  qemu: -netdev vde,id=net%u,sock=%s",
		l->url, *n, v);
	listener_print_device(out, n, "give each guest its own mac=");
}

/**
 * vde_listener_stats() - the listener's counters for SIGUSR1
 * @base:	the listener
 */
static void vde_listener_stats(const struct listener *base)
{
	vde_listener_log_stats(
		const_container_of(base, struct vde_listener, base), "stats");
}

/* No reload op: a reload does not change DIR's or its sockets' mode and
 * group (they are set when DIR and each port's socket are made). */
const struct listener_ops vde_listener_ops = {
	.name = "vde",
	.open = vde_listener_open,
	.close = vde_listener_close,
	.print = vde_listener_print,
	.log_stats = vde_listener_stats,
};
