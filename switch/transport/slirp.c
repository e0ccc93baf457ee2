// SPDX-License-Identifier: MIT
/*
 * slirp.c - slirp uplink: user-mode NAT, DHCP and DNS with libslirp
 *
 * A libslirp instance (the stack behind QEMU's -netdev user) lives in the
 * switch process as one uplink port. Guests on the switch get DHCP leases
 * from it, reach the host at its gateway address and the outside through
 * NAT, all without privileges; hostfwd rules forward host ports in.
 *
 * DOC: Theory of Operation
 * Frames to slirp: the port's flush feeds every queued frame to
 * slirp_input(), which always takes the whole frame.
 *
 * Frames from slirp: libslirp calls send_packet() from inside
 * slirp_input() (that is, inside sw_flush(), while the core is writing
 * queues out), from slirp_pollfds_poll() and from its timers. Calling
 * fwd_input() there would re-enter the core in the middle of a flush, and
 * whatever the switch did next could call back into libslirp while it is
 * still running. So send_packet() only copies the frame into a bounded
 * backlog (the switch's transmit queue bounds, in frames and bytes; a
 * full backlog drops the frame and counts it as rx_backlog on this port).
 * The backlog is injected, by copying each frame into the daemon's receive
 * arena and calling fwd_input(), only at points where no libslirp call is
 * on the stack: at the end of the check watcher (after the descriptors
 * were polled), after a libslirp timer ran, and at most a budget of frames
 * at a time. While frames are waiting, an idle watcher keeps the loop from
 * sleeping, so frames produced during a flush go out in the next
 * iteration. Injection may itself end a batch (a full arena), which
 * flushes the slirp port again; that is safe because libslirp is not
 * running then, and new frames simply join the backlog.
 *
 * Descriptors and time: libslirp's sockets are polled the way libev's
 * documentation suggests for foreign event loops. A prepare watcher (the
 * lowest priority, so it runs after the daemon's own prepare has flushed
 * every queue) asks slirp_pollfds_fill() which descriptors to watch and
 * for how long, and starts one ev_io per descriptor plus a timer; those
 * only wake the loop. The check watcher then poll()s the same set with a
 * zero timeout and hands the result to slirp_pollfds_poll(). libslirp's
 * own timers are ev_timers. Nothing blocks.
 *
 * Host sockets are bounded (slirp_limit.c): before a guest's frame goes
 * to slirp_input() the flush asks whether it may open one more, and drops
 * it (counted, logged rate-limited, a TCP SYN answered with a reset) when
 * the uplink, the guest or the guest's connects in progress are at their
 * bound. The uplink's bound is conn-max, lowered at start to what the
 * open-file limit leaves after the switch's own ports and the control
 * socket, so libslirp never takes the daemon's last descriptors.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <libslirp.h>

#include "config/slirp_opts.h"
#include "transport/slirp_limit.h"
#include "transport/uplink.h"

#define SLIRP_INJECT_BUDGET 1024 /* frames per injection */
#define SLIRP_GUEST_ERR_GAP_MS 1000 /* rate limit of guest_error logs */
/* Descriptors kept from libslirp beyond two per port (a VDE port has two):
 * control clients (64), listeners, metrics, captures, pending handshakes. */
#define SLIRP_FD_RESERVE 128

/**
 * struct slirp_io - one descriptor libslirp asked us to watch
 * @w:		wakes the loop when the descriptor is ready
 * @ss:		owner
 */
struct slirp_io {
	ev_io w;
	struct slirp_state *ss;
};

/**
 * struct slirp_timer - a libslirp timer
 * @w:		the libev timer
 * @cb:		libslirp's callback
 * @cb_opaque:	its argument
 * @ss:		owner
 */
struct slirp_timer {
	ev_timer w;
	SlirpTimerCb cb;
	void *cb_opaque;
	struct slirp_state *ss;
};

/**
 * struct slirp_frame - a frame from libslirp waiting to enter the switch
 * @data:	owned copy
 * @len:	its length
 */
struct slirp_frame {
	uint8_t *data;
	uint32_t len;
};

/**
 * struct slirp_state - the slirp uplink's private state (uplink->priv)
 * @u:		the uplink
 * @opts:	the uplink's parsed options (a copy); runtime hostfwd changes
 *		are kept here too
 * @slirp:	the libslirp instance while up, else NULL
 * @in_slirp:	a libslirp call is on the stack (send_packet must not
 *		re-enter the switch)
 * @prepare:	fills the poll set before the loop sleeps
 * @check:	polls it and runs libslirp after the loop woke
 * @idle:	keeps the loop awake while @ring holds frames
 * @wake:	libslirp's poll timeout
 * @pfd:	poll set filled by slirp_pollfds_fill()
 * @io:		watchers, one per @pfd entry (individually allocated)
 * @npfd:	entries filled this iteration
 * @nio:	watchers allocated
 * @cap:	size of @pfd and @io
 * @filled:	@pfd was filled in this iteration's prepare
 * @ring:	backlog of frames from libslirp
 * @ring_cap:	its size (a power of two)
 * @ring_head:	oldest frame
 * @ring_count:	frames waiting
 * @ring_bytes:	bytes waiting
 * @guest_errors: guest_error() calls (logged at most once a second)
 * @guest_err_ms: when the last one was logged
 * @lim:	bounds on host sockets, and their counts
 * @rl_refuse:	rate limit of the refusal lines
 */
struct slirp_state {
	struct uplink *u;
	struct slirp_opts opts;
	Slirp *slirp;
	bool in_slirp;
	ev_prepare prepare;
	ev_check check;
	ev_idle idle;
	ev_timer wake;
	struct pollfd *pfd;
	struct slirp_io **io;
	size_t npfd, nio, cap;
	bool filled;
	struct slirp_frame *ring;
	uint32_t ring_cap, ring_head, ring_count;
	size_t ring_bytes;
	uint64_t guest_errors;
	uint64_t guest_err_ms;
	struct slirp_limit lim;
	struct log_ratelimit rl_refuse;
};

static struct ev_loop *ss_loop(const struct slirp_state *ss)
{
	return ss->u->d->loop;
}

/* ---- frames out of libslirp ------------------------------------------ */

static ssize_t slirp_cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_state *ss = opaque;
	struct port *p = &ss->u->port;
	const struct sw_params *prm = &ss->u->d->sw.prm;
	struct slirp_frame *f;
	uint32_t max = prm->txq_frames;

	slirp_limit_output(&ss->lim, buf, len);
	if (ss->ring_count >= max || ss->ring_bytes + len > prm->txq_bytes ||
	    len > UINT32_MAX) {
		fwd_drop(p, len, PORT_DROP_RX_BACKLOG);
		return (ssize_t)len; /* TCP retransmits; not an I/O error */
	}
	if (ss->ring_count == ss->ring_cap) {
		uint32_t ncap = ss->ring_cap ? ss->ring_cap * 2 : 64, i;
		struct slirp_frame *nr = malloc(ncap * sizeof(*nr));

		if (!nr) {
			fwd_drop(p, len, PORT_DROP_RX_BACKLOG);
			return (ssize_t)len;
		}
		for (i = 0; i < ss->ring_count; i++)
			nr[i] = ss->ring[(ss->ring_head + i) &
					 (ss->ring_cap - 1)];
		free(ss->ring);
		ss->ring = nr;
		ss->ring_cap = ncap;
		ss->ring_head = 0;
	}
	f = &ss->ring[(ss->ring_head + ss->ring_count) & (ss->ring_cap - 1)];
	f->data = malloc(len ? len : 1);
	if (!f->data) {
		fwd_drop(p, len, PORT_DROP_RX_BACKLOG);
		return (ssize_t)len;
	}
	memcpy(f->data, buf, len);
	f->len = (uint32_t)len;
	ss->ring_count++;
	ss->ring_bytes += len;
	ev_idle_start(ss_loop(ss), &ss->idle);
	return (ssize_t)len;
}

static void ring_clear(struct slirp_state *ss, bool count)
{
	while (ss->ring_count) {
		struct slirp_frame *f = &ss->ring[ss->ring_head];

		if (count)
			fwd_drop(&ss->u->port, f->len, PORT_DROP_RX_BACKLOG);
		free(f->data);
		ss->ring_head = (ss->ring_head + 1) & (ss->ring_cap - 1);
		ss->ring_count--;
	}
	ss->ring_bytes = 0;
	ev_idle_stop(ss_loop(ss), &ss->idle);
}

/*
 * Feed the backlog into the switch. Never called with libslirp on the
 * stack; swd_rx_buf() may end the batch and so flush this port (into
 * slirp_input(), which may add to the backlog): the frame is taken off the
 * ring before that, and the loop reads the ring afresh each time.
 */
static void slirp_inject(struct slirp_state *ss)
{
	struct swd *d = ss->u->d;
	struct port *p = &ss->u->port;
	unsigned budget = SLIRP_INJECT_BUDGET;

	while (ss->ring_count && budget--) {
		struct slirp_frame f = ss->ring[ss->ring_head];
		size_t space;
		uint8_t *buf;

		ss->ring_head = (ss->ring_head + 1) & (ss->ring_cap - 1);
		ss->ring_count--;
		ss->ring_bytes -= f.len;
		buf = swd_rx_buf(d, &space);
		if (f.len > space) {
			fwd_drop(p, f.len, PORT_DROP_RX_OVERSIZE);
		} else {
			memcpy(buf, f.data, f.len);
			swd_rx_commit(d, f.len);
			fwd_input(&d->sw, p, buf, f.len, d->now_ms);
		}
		free(f.data);
	}
	if (!ss->ring_count)
		ev_idle_stop(ss_loop(ss), &ss->idle);
}

static void slirp_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct slirp_state *ss = container_of(w, struct slirp_state, idle);

	(void)loop;
	(void)revents;
	if (!ss->in_slirp)
		slirp_inject(ss);
}

/* ---- libslirp's other callbacks --------------------------------------- */

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
	struct slirp_state *ss = opaque;
	uint64_t now = ss->u->d->now_ms;

	ss->guest_errors++;
	if (ss->guest_err_ms && now - ss->guest_err_ms < SLIRP_GUEST_ERR_GAP_MS)
		return;
	ss->guest_err_ms = now ? now : 1;
	log_warnx("port %u (%s): guest error: %s (%llu so far)", ss->u->port.id,
		  ss->u->what, msg, (unsigned long long)ss->guest_errors);
}

static int64_t slirp_cb_clock_get_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void slirp_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slirp_timer *t = container_of(w, struct slirp_timer, w);
	struct slirp_state *ss = t->ss;

	(void)loop;
	(void)revents;
	ss->in_slirp = true;
	t->cb(t->cb_opaque);
	ss->in_slirp = false;
	slirp_inject(ss);
}

static void *slirp_cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->ss = opaque;
	ev_init(&t->w, slirp_timer_cb);
	return t;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
	struct slirp_timer *t = timer;
	struct slirp_state *ss = opaque;

	if (!t)
		return;
	ev_timer_stop(ss_loop(ss), &t->w);
	free(t);
}

/* @expire_ms is in the clock_get_ns() time base, in milliseconds. */
static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;
	struct slirp_state *ss = opaque;
	int64_t now_ms = slirp_cb_clock_get_ns(NULL) / 1000000;
	double delay =
		expire_ms > now_ms ? (double)(expire_ms - now_ms) / 1e3 : 0.0;

	if (!t)
		return;
	ev_timer_stop(ss_loop(ss), &t->w);
	ev_timer_set(&t->w, delay, 0);
	ev_timer_start(ss_loop(ss), &t->w);
}

/* libslirp is about to close @fd: stop watching it before the number can
 * be reused, so libev does not keep a stale registration. */
static void slirp_cb_unregister_poll_fd(int fd, void *opaque)
{
	struct slirp_state *ss = opaque;
	size_t i;

	for (i = 0; i < ss->nio; i++)
		if (ss->io[i]->w.fd == fd)
			ev_io_stop(ss_loop(ss), &ss->io[i]->w);
	slirp_limit_unregister(&ss->lim, fd);
}

/* libslirp opened a host socket: count it (the poll set itself is rebuilt
 * from slirp_pollfds_fill() every time). */
static void slirp_cb_register_poll_fd(int fd, void *opaque)
{
	struct slirp_state *ss = opaque;

	slirp_limit_register(&ss->lim, fd);
}

static void slirp_cb_notify(void *opaque)
{
	/* Only for guestfwd to a callback, which is not used; and the poll
	 * set is rebuilt before every sleep anyway. */
	(void)opaque;
}

static const SlirpCb slirp_callbacks = {
	.send_packet = slirp_cb_send_packet,
	.guest_error = slirp_cb_guest_error,
	.clock_get_ns = slirp_cb_clock_get_ns,
	.timer_new = slirp_cb_timer_new,
	.timer_free = slirp_cb_timer_free,
	.timer_mod = slirp_cb_timer_mod,
	.register_poll_fd = slirp_cb_register_poll_fd,
	.unregister_poll_fd = slirp_cb_unregister_poll_fd,
	.notify = slirp_cb_notify,
};

/* ---- descriptors: prepare fills, check polls -------------------------- */

static void slirp_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	/* Wake-up only: the check watcher polls and runs libslirp. */
	(void)loop;
	(void)w;
	(void)revents;
}

static void slirp_wake_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static int slirp_add_poll(int fd, int events, void *opaque)
{
	struct slirp_state *ss = opaque;
	short ev = 0;

	if (ss->npfd == ss->cap) {
		size_t ncap = ss->cap ? ss->cap * 2 : 16;
		struct pollfd *np = realloc(ss->pfd, ncap * sizeof(*np));
		struct slirp_io **ni;

		if (!np)
			return -1;
		ss->pfd = np;
		ni = realloc(ss->io, ncap * sizeof(*ni));
		if (!ni)
			return -1;
		ss->io = ni;
		ss->cap = ncap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	ss->pfd[ss->npfd].fd = fd;
	ss->pfd[ss->npfd].events = ev;
	ss->pfd[ss->npfd].revents = 0;
	return (int)ss->npfd++;
}

static int slirp_get_revents(int idx, void *opaque)
{
	struct slirp_state *ss = opaque;
	short r;
	int ev = 0;

	if (idx < 0 || (size_t)idx >= ss->npfd)
		return 0;
	r = ss->pfd[idx].revents;
	if (r & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (r & (POLLERR | POLLNVAL))
		ev |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* Make watcher @i watch pfd[i]; watchers beyond npfd stop. */
static int slirp_sync_io(struct slirp_state *ss)
{
	struct ev_loop *loop = ss_loop(ss);
	size_t i;

	for (i = 0; i < ss->npfd; i++) {
		int fd = ss->pfd[i].fd, want = 0;
		struct slirp_io *io;

		if (ss->pfd[i].events & (POLLIN | POLLPRI))
			want |= EV_READ;
		if (ss->pfd[i].events & POLLOUT)
			want |= EV_WRITE;
		if (i == ss->nio) {
			io = calloc(1, sizeof(*io));
			if (!io)
				return -ENOMEM;
			io->ss = ss;
			ev_init(&io->w, slirp_io_cb);
			ss->io[ss->nio++] = io;
		}
		io = ss->io[i];
		if (ev_is_active(&io->w) && io->w.fd == fd &&
		    (io->w.events & (EV_READ | EV_WRITE)) == want)
			continue;
		ev_io_stop(loop, &io->w);
		if (!want)
			continue;
		ev_io_set(&io->w, fd, want);
		ev_io_start(loop, &io->w);
	}
	for (; i < ss->nio; i++)
		ev_io_stop(loop, &ss->io[i]->w);
	return 0;
}

static void slirp_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct slirp_state *ss = container_of(w, struct slirp_state, prepare);
	uint32_t timeout = UINT32_MAX;

	(void)revents;
	if (!ss->slirp)
		return;
	ss->npfd = 0;
	ss->in_slirp = true;
	slirp_pollfds_fill(ss->slirp, &timeout, slirp_add_poll, ss);
	ss->in_slirp = false;
	ss->filled = true;
	if (slirp_sync_io(ss) < 0)
		timeout = 10; /* out of memory: poll again soon */
	ev_timer_stop(loop, &ss->wake);
	if (timeout != UINT32_MAX) {
		ev_timer_set(&ss->wake, (double)timeout / 1e3, 0);
		ev_timer_start(loop, &ss->wake);
	}
}

static void slirp_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct slirp_state *ss = container_of(w, struct slirp_state, check);
	int r;

	(void)loop;
	(void)revents;
	if (!ss->slirp || !ss->filled)
		return;
	ss->filled = false;
	r = poll(ss->pfd, (nfds_t)ss->npfd, 0);
	ss->in_slirp = true;
	slirp_pollfds_poll(ss->slirp, r < 0, slirp_get_revents, ss);
	ss->in_slirp = false;
	slirp_inject(ss);
}

/* ---- the uplink ------------------------------------------------------- */

static int slirp_fwd_apply(struct slirp_state *ss,
			   const struct slirp_hostfwd *f, char *err,
			   size_t errlen)
{
	char h[INET_ADDRSTRLEN];

	if (slirp_add_hostfwd(ss->slirp, f->udp, f->haddr, f->hport, f->gaddr,
			      f->gport) == 0)
		return 0;
	inet_ntop(AF_INET, &f->haddr, h, sizeof(h));
	snprintf(
		err, errlen,
		"hostfwd `%s': cannot bind host %s %s:%u (in use, or a privileged port?)",
		f->text, f->udp ? "UDP" : "TCP", h, f->hport);
	return -EADDRINUSE;
}

static void slirp_config(const struct slirp_opts *o, SlirpConfig *c)
{
	/* libslirp takes const char **; a union avoids a qualifier cast */
	union {
		char **m;
		const char **c;
	} strv = { .m = o->dnssearch };

	memset(c, 0, sizeof(*c));
	c->version = 4;
	c->restricted = o->restricted;
	c->in_enabled = true;
	c->vnetwork = o->net;
	c->vnetmask = o->mask;
	c->vhost = o->host;
	c->in6_enabled = o->ipv6;
	c->vprefix_addr6 = o->net6;
	c->vprefix_len = (uint8_t)o->prefix6;
	c->vhost6 = o->host6;
	c->vhostname = o->hostname;
	c->tftp_path = o->tftp;
	c->bootfile = o->bootfile;
	c->vdhcp_start = o->dhcpstart;
	c->vnameserver = o->dns;
	c->vnameserver6 = o->dns6;
	c->vdnssearch = strv.c;
	c->vdomainname = o->domainname;
}

/*
 * The bounds for this start: conn-max, lowered to what the open-file limit
 * leaves after two descriptors per port (max_ports) and SLIRP_FD_RESERVE.
 */
static void slirp_limits_set(struct slirp_state *ss)
{
	uint64_t reserve = 2ULL * ss->u->d->sw.prm.max_ports + SLIRP_FD_RESERVE;
	struct slirp_limit *l = &ss->lim;
	uint64_t avail = UINT32_MAX;
	struct rlimit rl;
	bool short_of_fds = false;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		short_of_fds = rl.rlim_cur <= reserve + 16;
		avail = short_of_fds ? rl.rlim_cur / 4 + 1
				     : rl.rlim_cur - reserve;
	}
	l->conn_max = ss->opts.conn_max;
	if (avail < l->conn_max) {
		l->conn_max = (uint32_t)avail;
		log_msg(short_of_fds ? LOG_LVL_WARNING : LOG_LVL_INFO,
			"%s: at most %u host sockets, not conn-max=%u: the open file limit is %llu and %llu stay for ports and the control socket%s",
			ss->u->what, l->conn_max, ss->opts.conn_max,
			(unsigned long long)rl.rlim_cur,
			(unsigned long long)reserve,
			short_of_fds
				? " (raise ulimit -n, or lower --max-ports)"
				: "");
	}
	l->guest_max = ss->opts.conn_max_guest;
	l->half_open_max = ss->opts.half_open_max_guest;
	l->host = ss->opts.host;
	l->dns = ss->opts.dns;
	l->host6 = ss->opts.host6;
}

static const char *refusal_text(const struct slirp_limit *l, int r, char *buf,
				size_t len)
{
	if (r == SLIRP_REFUSED_CONN_MAX)
		snprintf(buf, len,
			 "the uplink holds %u host sockets (conn-max)",
			 l->st.socks);
	else if (r == SLIRP_REFUSED_CONN_MAX_GUEST)
		snprintf(buf, len,
			 "the guest holds %u host sockets (conn-max-guest)",
			 l->guest_max);
	else
		snprintf(
			buf, len,
			"the guest has %u TCP connects in progress (half-open-max-guest)",
			l->half_open_max);
	return buf;
}

/*
 * May this frame from a guest go into libslirp? A refused one is counted
 * and logged (rate-limited); a refused SYN gets a reset, through the
 * backlog, so the guest's connect() fails at once.
 */
static bool slirp_admit(struct slirp_state *ss, const uint8_t *f, size_t len)
{
	uint8_t rst[SLIRP_RST_LEN];
	const char *what;
	uint64_t held;
	char why[96];
	size_t n;
	int r = slirp_limit_admit(&ss->lim, f, len, &what);

	if (r == SLIRP_ADMIT)
		return true;
	n = slirp_limit_rst(f, len, rst, sizeof(rst));
	if (n) {
		ss->lim.st.rst++;
		slirp_cb_send_packet(rst, n, ss);
	}
	if (log_ratelimit_ok(&ss->rl_refuse, ss->u->d->now_ms, LOG_BURST,
			     &held))
		log_warnx(
			"port %u (%s): guest %02x:%02x:%02x:%02x:%02x:%02x: refused %s: %s (%" PRIu64
			" more not logged)",
			ss->u->port.id, ss->u->what, f[6], f[7], f[8], f[9],
			f[10], f[11], what,
			refusal_text(&ss->lim, r, why, sizeof(why)), held);
	return false;
}

static void slirp_stop(struct uplink *u)
{
	struct slirp_state *ss = u->priv;
	struct ev_loop *loop = u->d->loop;
	size_t i;

	if (!ss)
		return;
	ev_prepare_stop(loop, &ss->prepare);
	ev_check_stop(loop, &ss->check);
	ev_timer_stop(loop, &ss->wake);
	for (i = 0; i < ss->nio; i++)
		ev_io_stop(loop, &ss->io[i]->w);
	if (ss->slirp) {
		/* Not from inside libslirp: uplink_fail() is never called
		 * from its callbacks. Cleanup frees its timers through
		 * timer_free and unregisters its descriptors. */
		slirp_cleanup(ss->slirp);
		ss->slirp = NULL;
	}
	slirp_limit_forget(&ss->lim);
	ss->npfd = 0;
	ss->filled = false;
	ring_clear(ss, true);
}

static struct slirp_state *slirp_state_new(struct uplink *u)
{
	struct slirp_state *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->u = u;
	/* Parsed and checked when the configuration was read: a copy, as
	 * forwards added at run time change it. */
	if (slirp_opts_copy(&ss->opts, &u->cfg->slirp) < 0) {
		log_error("%s: out of memory", u->what);
		free(ss);
		return NULL;
	}
	ev_prepare_init(&ss->prepare, slirp_prepare_cb);
	ev_set_priority(&ss->prepare, EV_MINPRI);
	ev_check_init(&ss->check, slirp_check_cb);
	ev_set_priority(&ss->check, EV_MINPRI);
	ev_idle_init(&ss->idle, slirp_idle_cb);
	ev_init(&ss->wake, slirp_wake_cb);
	slirp_limit_init(&ss->lim,
			 u->d->sw.prm.hash_secret ^ (uint64_t)u->port.id << 32);
	return ss;
}

static void slirp_start(struct uplink *u)
{
	struct slirp_state *ss = u->priv;
	SlirpConfig cfg;
	char err[512];
	size_t i;

	if (!ss) {
		ss = u->priv = slirp_state_new(u);
		if (!ss) {
			uplink_fail(u, true, "cannot set up slirp");
			return;
		}
		slirp_opts_describe(&ss->opts, u->what, sizeof(u->what));
		if (ss->opts.tftp && access(ss->opts.tftp, R_OK | X_OK) < 0)
			log_warnx(
				"%s: tftp directory %s: %s; TFTP requests will fail",
				u->what, ss->opts.tftp, strerror(errno));
		snprintf(u->port.name, sizeof(u->port.name), "slirp");
	}
	slirp_config(&ss->opts, &cfg);
	slirp_limits_set(ss);
	ss->slirp = slirp_new(&cfg, &slirp_callbacks, ss);
	if (!ss->slirp) {
		uplink_fail(u, true, "libslirp could not start");
		return;
	}
	for (i = 0; i < ss->opts.nfwd; i++) {
		if (slirp_fwd_apply(ss, &ss->opts.fwd[i], err, sizeof(err)) <
		    0) {
			uplink_fail(u, true, "%s", err);
			return;
		}
	}
	ev_prepare_start(u->d->loop, &ss->prepare);
	ev_check_start(u->d->loop, &ss->check);
	uplink_up(u);
}

static int slirp_flush(struct uplink *u)
{
	struct slirp_state *ss = u->priv;
	struct port *p = &u->port;
	struct txq *q = &p->txq;
	struct iovec iov;

	while (!txq_empty(q)) {
		if (txq_iov(q, &iov, 1, NULL, false) != 1)
			break;
		/* a refused frame still left the queue: it counts as sent */
		if (slirp_admit(ss, iov.iov_base, iov.iov_len)) {
			ss->in_slirp = true;
			slirp_input(ss->slirp, iov.iov_base, (int)iov.iov_len);
			ss->in_slirp = false;
			slirp_limit_input_done(&ss->lim);
		}
		p->st.tx_frames +=
			txq_advance(q, iov.iov_len, false, &p->st.tx_bytes);
	}
	return 0;
}

static void slirp_destroy(struct uplink *u)
{
	struct slirp_state *ss = u->priv;
	size_t i;

	if (!ss)
		return;
	for (i = 0; i < ss->nio; i++)
		free(ss->io[i]);
	free(ss->io);
	free(ss->pfd);
	free(ss->ring);
	slirp_limit_fini(&ss->lim);
	slirp_opts_fini(&ss->opts);
	free(ss);
	u->priv = NULL;
}

const struct uplink_ops uplink_slirp_ops = {
	.name = "slirp",
	.start = slirp_start,
	.stop = slirp_stop,
	.flush = slirp_flush,
	.destroy = slirp_destroy,
};

/* ---- runtime port forwards (for the control socket) ------------------- */

static struct slirp_state *slirp_of(struct port *p, char *err, size_t errlen)
{
	struct uplink *u;

	if (!p || p->ops->name != uplink_slirp_ops.name) {
		snprintf(err, errlen, "port %u is not a slirp uplink",
			 p ? p->id : 0);
		return NULL;
	}
	u = container_of(p, struct uplink, port);
	if (!u->priv || !((struct slirp_state *)u->priv)->slirp) {
		snprintf(err, errlen, "port %u (%s) is not up", p->id, u->what);
		return NULL;
	}
	return u->priv;
}

/**
 * slirp_uplink_is() - is @p a slirp uplink?
 * @p:		a port
 *
 * Return: true if hostfwd changes apply to it
 */
bool slirp_uplink_is(const struct port *p)
{
	return p && p->ops->name == uplink_slirp_ops.name;
}

/**
 * slirp_uplink_hostfwd_add() - add a port forward to a running slirp uplink
 * @p:		the slirp uplink's port
 * @rule:	[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 * @err:	message on failure
 * @errlen:	its size
 *
 * The forward is kept if the uplink restarts.
 *
 * Return: 0, -EINVAL (bad rule or not a slirp uplink), -EADDRINUSE (the
 * host port cannot be bound) or -ENOMEM; @err says which
 */
int slirp_uplink_hostfwd_add(struct port *p, const char *rule, char *err,
			     size_t errlen)
{
	struct slirp_state *ss = slirp_of(p, err, errlen);
	struct slirp_hostfwd f, *nf;
	int rc;

	if (!ss)
		return -EINVAL;
	if (slirp_hostfwd_parse(rule, true, &f, err, errlen) < 0 ||
	    slirp_hostfwd_resolve(&ss->opts, &f, err, errlen) < 0)
		return -EINVAL;
	nf = realloc(ss->opts.fwd, (ss->opts.nfwd + 1) * sizeof(*nf));
	if (!nf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ss->opts.fwd = nf;
	rc = slirp_fwd_apply(ss, &f, err, errlen);
	if (rc < 0)
		return rc;
	ss->opts.fwd[ss->opts.nfwd++] = f;
	log_info("port %u (%s): hostfwd %s added", p->id, ss->u->what, rule);
	return 0;
}

/**
 * slirp_uplink_hostfwd_remove() - remove a port forward
 * @p:		the slirp uplink's port
 * @rule:	[tcp|udp]:[HOSTADDR]:HOSTPORT, as QEMU's hostfwd_remove
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, -EINVAL (bad rule or not a slirp uplink) or -ENOENT (no such
 * forward); @err says which
 */
int slirp_uplink_hostfwd_remove(struct port *p, const char *rule, char *err,
				size_t errlen)
{
	struct slirp_state *ss = slirp_of(p, err, errlen);
	struct slirp_hostfwd f;
	size_t i;

	if (!ss)
		return -EINVAL;
	if (slirp_hostfwd_parse(rule, false, &f, err, errlen) < 0)
		return -EINVAL;
	if (slirp_remove_hostfwd(ss->slirp, f.udp, f.haddr, f.hport) < 0) {
		snprintf(err, errlen, "hostfwd `%s': no such forward", rule);
		return -ENOENT;
	}
	for (i = 0; i < ss->opts.nfwd; i++) {
		struct slirp_hostfwd *e = &ss->opts.fwd[i];

		if (e->udp == f.udp && e->hport == f.hport &&
		    e->haddr.s_addr == f.haddr.s_addr) {
			ss->opts.fwd[i] = ss->opts.fwd[--ss->opts.nfwd];
			break;
		}
	}
	log_info("port %u (%s): hostfwd %s removed", p->id, ss->u->what, rule);
	return 0;
}

/* The state of slirp uplink @p (read-only), or NULL if it never ran or @p
 * is no slirp uplink. */
static const struct slirp_state *slirp_state_peek(const struct port *p)
{
	const struct uplink *u;

	if (!slirp_uplink_is(p))
		return NULL;
	u = (const void *)((const char *)p - offsetof(struct uplink, port));
	return u->priv;
}

/**
 * slirp_uplink_hostfwd_at() - one of a slirp uplink's port forwards
 * @p:		the slirp uplink's port
 * @i:		index from 0
 *
 * Return: the rule as written (configured or added at run time), or NULL
 * past the end or if @p is not a slirp uplink that has run
 */
const char *slirp_uplink_hostfwd_at(const struct port *p, size_t i)
{
	const struct slirp_state *ss = slirp_state_peek(p);

	return ss && i < ss->opts.nfwd ? ss->opts.fwd[i].text : NULL;
}

/**
 * slirp_uplink_stats() - a slirp uplink's bounds on host sockets, and counts
 * @p:		the slirp uplink's port
 * @out:	filled in
 *
 * Return: false if @p is not a slirp uplink that has run
 */
bool slirp_uplink_stats(const struct port *p, struct slirp_uplink_stats *out)
{
	const struct slirp_state *ss = slirp_state_peek(p);

	if (!ss)
		return false;
	out->conn_max = ss->lim.conn_max;
	out->conn_max_guest = ss->lim.guest_max;
	out->half_open_max_guest = ss->lim.half_open_max;
	out->st = ss->lim.st;
	return true;
}
