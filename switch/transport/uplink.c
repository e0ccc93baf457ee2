// SPDX-License-Identifier: MIT
/*
 * uplink.c - the uplink framework: registration, state and retry
 *
 * DOC: Theory of Operation
 * Every configured uplink becomes one switch port at start and keeps it
 * (and its port number and counters) until the switch stops. The kind's
 * start() makes an attempt and reports it with uplink_up() or
 * uplink_fail(), at once or later from a watcher (a nonblocking connect,
 * a helper process). A failure stops the attempt, discards the queue
 * (counted as tx_closed), marks the port down and arms a one-shot timer:
 * 1 s, doubling to at most 30 s, each delay jittered by +-25% so that
 * many switches restarted together do not retry in lockstep. A connection
 * that lasted UPLINK_STABLE_S resets the delay (a peer that accepts and
 * hangs up at once, like a busy passt, is retried at the backoff pace).
 * Only an inherited descriptor, which cannot be opened again, gives up
 * and stays down.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport/uplink.h"

static const struct uplink_ops *const uplink_kinds[] = {
	[UPLINK_TAP] = &uplink_tap_ops,
	[UPLINK_TAP_FD] = &uplink_tap_fd_ops,
	[UPLINK_BRIDGE] = &uplink_bridge_ops,
	[UPLINK_SLIRP] = &uplink_slirp_ops,
	[UPLINK_PASST] = &uplink_passt_ops,
	[UPLINK_CONNECT] = &uplink_connect_ops,
	[UPLINK_MCAST] = &uplink_mcast_ops,
	[UPLINK_VXLAN] = &uplink_vxlan_ops,
};

/* xorshift64: jitter only, seeded per uplink from the switch's secret. */
static double uplink_jitter(struct uplink *u, double s)
{
	uint64_t x = u->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	u->rng = x;
	return s * (0.75 + 0.5 * (double)(x >> 11) / (double)(1ULL << 53));
}

static void uplink_descr(struct uplink *u, double retry_s)
{
	struct port *p = &u->port;

	if (u->state == UPLINK_UP)
		snprintf(p->descr, sizeof(p->descr), "%s", u->what);
	else if (u->state == UPLINK_DOWN)
		snprintf(p->descr, sizeof(p->descr), "%s (down)", u->what);
	else if (retry_s > 0)
		snprintf(p->descr, sizeof(p->descr), "%s (retrying in %.0fs)",
			 u->what, retry_s < 1 ? 1 : retry_s);
	else
		snprintf(p->descr, sizeof(p->descr), "%s (connecting)",
			 u->what);
}

/**
 * uplink_state_name() - port_ops.state for uplinks
 * @p:		an uplink's port
 *
 * Return: "up", "down" or "retrying"
 */
const char *uplink_state_name(const struct port *p)
{
	const struct uplink *u =
		(const void *)((const char *)p - offsetof(struct uplink, port));

	if (!p->enabled || u->state == UPLINK_DOWN)
		return "down";
	return u->state == UPLINK_UP ? "up" : "retrying";
}

/**
 * uplink_up() - the current attempt succeeded: frames flow
 * @u:		the uplink
 */
void uplink_up(struct uplink *u)
{
	u->state = UPLINK_UP;
	u->up_since = ev_now(u->d->loop);
	uplink_descr(u, 0);
	log_info("port %u (%s) up", u->port.id, u->what);
	sw_port_set_carrier(&u->d->sw, &u->port, true, NULL);
}

/**
 * uplink_fail() - the device or peer is gone or could not be reached
 * @u:		the uplink
 * @retry:	try again after a backoff (false: stay down for good)
 * @fmt:	cause and fix, for the log
 *
 * Stops the kind's current attempt, discards the queue and arms the retry
 * timer. Context: safe from the kind's own callbacks and flush.
 */
void uplink_fail(struct uplink *u, bool retry, const char *fmt, ...)
{
	struct port *p = &u->port;
	char reason[512];
	double delay;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (u->state == UPLINK_UP &&
	    ev_now(u->d->loop) - u->up_since >= UPLINK_STABLE_S)
		u->delay = UPLINK_RETRY_FIRST_S;
	u->ops->stop(u);
	if (!retry || u->d->stopping) {
		u->state = UPLINK_DOWN;
		uplink_descr(u, 0);
		log_error("port %u (%s): %s; not retrying", p->id, u->what,
			  reason);
		sw_port_set_carrier(&u->d->sw, p, false, reason);
		p->st.drops[PORT_DROP_TX_CLOSED] += txq_clear(&p->txq);
		return;
	}
	delay = uplink_jitter(u, u->delay);
	u->delay *= 2;
	if (u->delay > UPLINK_RETRY_MAX_S)
		u->delay = UPLINK_RETRY_MAX_S;
	u->state = UPLINK_RETRYING;
	ev_timer_stop(u->d->loop, &u->retry);
	ev_timer_set(&u->retry, delay, 0);
	ev_timer_start(u->d->loop, &u->retry);
	uplink_descr(u, delay);
	log_warnx("port %u (%s): %s; retrying in %.1f s", p->id, u->what,
		  reason, delay);
	sw_port_set_carrier(&u->d->sw, p, false, reason);
	p->st.drops[PORT_DROP_TX_CLOSED] += txq_clear(&p->txq);
}

static void uplink_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct uplink *u = container_of(w, struct uplink, retry);

	(void)loop;
	(void)revents;
	uplink_descr(u, 0);
	u->ops->start(u);
}

static int uplink_port_flush(struct port *p)
{
	struct uplink *u = container_of(p, struct uplink, port);

	if (u->state != UPLINK_UP) {
		p->st.drops[PORT_DROP_TX_CLOSED] += txq_clear(&p->txq);
		return 0;
	}
	return u->ops->flush(u);
}

static void uplink_port_rx_pause(struct port *p, bool pause)
{
	struct uplink *u = container_of(p, struct uplink, port);

	if (u->state == UPLINK_UP)
		u->ops->rx_pause(u, pause);
}

static void uplink_port_close(struct port *p);

/**
 * uplink_port_counters() - the counters of a port's uplink kind
 * @p:		any port
 * @c:		filled in
 * @max:	room in @c
 *
 * Return: how many; 0 if @p is not an uplink or its kind has none
 */
size_t uplink_port_counters(const struct port *p, struct uplink_counter *c,
			    size_t max)
{
	const struct uplink *u;

	if (!p || p->ops->close != uplink_port_close)
		return 0;
	u = (const void *)((const char *)p - offsetof(struct uplink, port));
	return u->ops->counters ? u->ops->counters(u, c, max) : 0;
}

static void uplink_port_close(struct port *p)
{
	struct uplink *u = container_of(p, struct uplink, port);

	ev_timer_stop(u->d->loop, &u->retry);
	u->ops->stop(u);
	if (u->ops->destroy)
		u->ops->destroy(u);
	uplink_cfg_fini(&u->own);
	free(u);
}

/**
 * uplink_of() - the uplink behind a port
 * @p:		any port
 *
 * Return: the uplink, or NULL if @p is not one
 */
struct uplink *uplink_of(struct port *p)
{
	if (!p || p->ops->close != uplink_port_close)
		return NULL;
	return container_of(p, struct uplink, port);
}

/**
 * uplink_of_const() - uplink_of() for a read-only port
 * @p:		any port
 *
 * Return: the uplink, or NULL if @p is not one
 */
const struct uplink *uplink_of_const(const struct port *p)
{
	if (!p || p->ops->close != uplink_port_close)
		return NULL;
	return (const void *)((const char *)p - offsetof(struct uplink, port));
}

/**
 * uplink_remove() - stop an uplink for good and close its port
 * @u:		the uplink
 * @why:	close reason, for the log and the PORT_DOWN event
 *
 * The device or connection is dropped and the retry timer stopped at
 * once; the port itself is freed after this dispatch (swd_port_close).
 */
void uplink_remove(struct uplink *u, const char *why)
{
	ev_timer_stop(u->d->loop, &u->retry);
	u->ops->stop(u);
	/* Stopped: what is queued, and what this dispatch still queues
	 * before the port is freed, is discarded (tx_closed), never handed
	 * to the kind's flush without its device or socket. */
	u->state = UPLINK_DOWN;
	u->port.st.drops[PORT_DROP_TX_CLOSED] += txq_clear(&u->port.txq);
	/* Closing first: the PORT_DOWN subscribers see is the close. */
	swd_port_close(u->d, &u->port, "%s", why);
	sw_port_set_carrier(&u->d->sw, &u->port, false, NULL);
}

/* "tap:tap0" -> "tap tap0"; connections -> "connect unix:/path";
 * "vxlan,vni=42,remote=192.0.2.2" -> "vxlan vni=42 remote=192.0.2.2". */
static void uplink_what(struct uplink *u)
{
	char *colon;

	if (u->cfg->kind == UPLINK_CONNECT) {
		snprintf(u->what, sizeof(u->what), "connect %s", u->cfg->spec);
		return;
	}
	snprintf(u->what, sizeof(u->what), "%s", u->cfg->spec);
	if (u->cfg->kind == UPLINK_VXLAN) {
		for (colon = u->what; *colon; colon++)
			if (*colon == ',')
				*colon = ' ';
		return;
	}
	if (u->cfg->kind == UPLINK_SLIRP)
		return; /* options may hold colons; slirp.c describes it */
	colon = strchr(u->what, ':');
	if (colon)
		*colon = ' ';
}

/**
 * uplink_add() - register one uplink and make a first try
 * @d:		the daemon
 * @uc:		what to open, parsed (deep-copied: the uplink keeps its own,
 *		so a reload may free the config it came from)
 *
 * Return: 0, or a negative error code (logged) if it cannot be registered
 */
int uplink_add(struct swd *d, const struct uplink_cfg *uc)
{
	const struct uplink_ops *ops = uplink_kinds[uc->kind];
	struct uplink *u;

	if (!ops) {
		log_error("%s: this kind of uplink is not built in", uc->spec);
		return -ENOTSUP;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	if (uplink_cfg_copy(&u->own, uc) < 0) {
		log_error("%s: out of memory", uc->spec);
		free(u);
		return -ENOMEM;
	}
	u->d = d;
	u->cfg = &u->own;
	u->ops = ops;
	u->fd = -1;
	u->delay = UPLINK_RETRY_FIRST_S;
	u->pops.name = ops->name;
	u->pops.flush = uplink_port_flush;
	u->pops.close = uplink_port_close;
	u->pops.state = uplink_state_name;
	if (ops->rx_pause)
		u->pops.rx_pause = uplink_port_rx_pause;
	uplink_what(u);
	u->state = UPLINK_RETRYING;
	uplink_descr(u, 0);
	ev_init(&u->retry, uplink_retry_cb);
	u->port.no_carrier = true; /* up once the first attempt succeeds */
	u->port.stp_nonedge = true; /* a link to other bridges, maybe */
	if (sw_port_add(&d->sw, &u->port, &u->pops, 0) < 0) {
		log_error(
			"%s: cannot add the uplink: %u ports attached, the maximum (--max-ports)",
			u->what, d->sw.prm.max_ports);
		uplink_cfg_fini(&u->own);
		free(u);
		return -ENOSPC;
	}
	u->rng = (d->sw.prm.hash_secret ^
		  (0x9e3779b97f4a7c15ULL * (u->port.id + 1))) |
		 1;
	log_info("port %u (%s) is an uplink", u->port.id, u->what);
	if (uc->vlan.mode != VLAN_MODE_NONE)
		swd_port_vlan(d, &u->port, &uc->vlan);
	ops->start(u);
	return 0;
}

/**
 * uplinks_add() - register uplinks and make a first try with each
 * @d:		the daemon
 * @ucs:	the uplinks to open (each is copied by uplink_add())
 * @n:		how many
 *
 * A first attempt that fails is logged and retried; it does not stop the
 * switch.
 *
 * Return: number of uplinks that could not even be registered
 */
int uplinks_add(struct swd *d, const struct uplink_cfg *ucs, size_t n)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++)
		if (uplink_add(d, &ucs[i]) < 0)
			bad++;
	return bad;
}

/* Run @argv as a child; it keeps @keep_fd, signals are reset. */
static pid_t uplink_spawn(const char *const *argv, int keep_fd)
{
	char *const *av;
	sigset_t none;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	fcntl(keep_fd, F_SETFD, 0);
	memcpy(&av, &argv, sizeof(av)); /* execvp's prototype lacks const */
	execvp(argv[0], av);
	dprintf(STDERR_FILENO, "sockswitch: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/**
 * uplink_spawn_paired() - run a helper program with one end of a socketpair
 * @u:		the uplink; a failure is reported with uplink_fail()
 * @argv:	program (searched in PATH) and arguments, NULL-terminated;
 *		one of them points at @fdarg
 * @fdarg:	filled in with @prefix and the child's descriptor number
 * @fdarglen:	size of @fdarg
 * @prefix:	text before the number ("--fd=", or "")
 * @child:	child watcher, started for the new pid with @cb
 * @cb:		its callback
 * @pid:	set to the child's pid, 0 on failure
 *
 * No shell is involved. The child gets default signal handling and an
 * empty signal mask (libev may block signals in the parent); its stdout
 * and stderr are ours, so what it prints shows up in the switch's output.
 *
 * Return: our end of the socketpair (nonblocking, close-on-exec), or -1
 */
int uplink_spawn_paired(struct uplink *u, const char *const *argv, char *fdarg,
			size_t fdarglen, const char *prefix, ev_child *child,
			void (*cb)(struct ev_loop *, ev_child *, int),
			pid_t *pid)
{
	int sv[2], err;

	*pid = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		uplink_fail(u, true, "socketpair: %s", strerror(errno));
		return -1;
	}
	snprintf(fdarg, fdarglen, "%s%d", prefix, sv[1]);
	*pid = uplink_spawn(argv, sv[1]);
	err = errno;
	close(sv[1]);
	if (*pid < 0) {
		*pid = 0;
		close(sv[0]);
		uplink_fail(u, true, "cannot start %s: %s", argv[0],
			    strerror(err));
		return -1;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	ev_child_init(child, cb, *pid, 0);
	ev_child_start(u->d->loop, child);
	return sv[0];
}
