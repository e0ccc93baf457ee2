// SPDX-License-Identifier: MIT
/*
 * tap.c - tap uplinks: a persistent tap by name, an inherited descriptor,
 * or a tap made by qemu-bridge-helper
 *
 * None of them needs root at run time. A tap carries one Ethernet frame
 * per read() and per write() (IFF_TAP|IFF_NO_PI, no vnet header). Reads
 * go into the shared receive arena, up to TAP_BATCH per wakeup; queued
 * frames are written one per write() until the kernel says EAGAIN, then
 * the write watcher waits for room. The queue is the port's bounded txq.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport/uplink.h"

#define TUN_DEV "/dev/net/tun"
#define TAP_BATCH 64
#define BRIDGE_TIMEOUT_S 10.0

static void tap_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void tap_write_cb(struct ev_loop *loop, ev_io *w, int revents);

/* Inherited descriptors cannot be opened again: those stay down. */
static bool tap_can_retry(const struct uplink *u)
{
	return u->cfg->kind != UPLINK_TAP_FD;
}

static void tap_stop(struct uplink *u)
{
	if (u->fd < 0)
		return;
	ev_io_stop(u->d->loop, &u->rio);
	ev_io_stop(u->d->loop, &u->wio);
	close(u->fd);
	u->fd = -1;
}

static void tap_io_fail(struct uplink *u, int err, const char *op)
{
	if (err == EBADFD || err == ENXIO || err == ENODEV)
		uplink_fail(u, tap_can_retry(u),
			    "the tap device went away (%s: %s); recreate it",
			    op, strerror(err));
	else
		uplink_fail(u, tap_can_retry(u), "tap %s error: %s", op,
			    strerror(err));
}

/* The tap is attached: run its data path. @fd is ours from now on. */
static void tap_attach(struct uplink *u, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	u->fd = fd;
	ev_io_init(&u->rio, tap_read_cb, fd, EV_READ);
	ev_io_init(&u->wio, tap_write_cb, fd, EV_WRITE);
	ev_io_start(u->d->loop, &u->rio);
	uplink_up(u);
}

static void tap_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct uplink *u = container_of(w, struct uplink, rio);
	struct swd *d = u->d;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < TAP_BATCH; i++) {
		size_t space;
		uint8_t *buf = swd_rx_buf(d, &space);
		ssize_t r = read(u->fd, buf, space);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			tap_io_fail(u, r < 0 ? errno : EBADFD, "read");
			return;
		}
		fwd_input(&d->sw, &u->port, buf, (size_t)r, d->now_ms);
		swd_rx_commit(d, (size_t)r);
	}
}

static int tap_flush(struct uplink *u)
{
	struct port *p = &u->port;
	struct swd *d = u->d;
	struct txq *q = &p->txq;
	unsigned down = 0;

	while (!txq_empty(q)) {
		size_t len;
		ssize_t r;

		txq_iov(q, d->iov, 1, d->hdr, false);
		len = d->iov[0].iov_len;
		r = write(u->fd, d->iov[0].iov_base, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0 && errno == EIO) {
			/* Interface down: the kernel discards; so do we. */
			uint64_t ignored = 0;

			down += txq_advance(q, len, false, &ignored);
			continue;
		}
		if (r < 0) {
			int err = errno;

			tap_io_fail(u, err, "write");
			return -err;
		}
		/* A tap takes the whole frame or nothing. */
		p->st.tx_frames += txq_advance(q, len, false, &p->st.tx_bytes);
	}
	if (down) {
		p->st.drops[PORT_DROP_TX_CLOSED] += down;
		log_debug(
			"port %u (%s): %u frames discarded, the interface is down (ip link set dev IF up)",
			p->id, u->what, down);
	}
	swd_watch_output(d, &u->wio, q);
	return 0;
}

static void tap_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct uplink *u = container_of(w, struct uplink, wio);

	(void)loop;
	(void)revents;
	tap_flush(u);
}

/* ---- by name ------------------------------------------------------------- */

/* Read /sys/class/net/NAME/FILE as a number; -1 if absent. */
static long sysfs_num(const char *ifname, const char *file)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%li", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* In our network namespace (sysfs may show another one). */
static bool iface_exists(const char *ifname)
{
	return if_nametoindex(ifname) != 0;
}

/* EPERM from TUNSETIFF: the device is missing, or not ours. */
static void tap_eperm(struct uplink *u, const char *name)
{
	long owner = sysfs_num(name, "owner"), group = sysfs_num(name, "group");
	char who[64] = "no owner";
	int n = 0;

	if (!iface_exists(name)) {
		uplink_fail(
			u, true,
			"no tap device `%s' (attaching needs a persistent tap); ask an admin to run `sockswitch-admin tap add %s --user %u' (or `ip tuntap add dev %s mode tap user %u && ip link set %s up')",
			name, name, (unsigned)getuid(), name,
			(unsigned)getuid(), name);
		return;
	}
	if (sysfs_num(name, "tun_flags") < 0) {
		uplink_fail(
			u, true,
			"`%s' is not a tap device; pick another name or delete it",
			name);
		return;
	}
	if (owner >= 0)
		n = snprintf(who, sizeof(who), "user %ld", owner);
	if (group >= 0)
		snprintf(who + n, sizeof(who) - (size_t)n, "%sgroup %ld",
			 n ? " and " : "", group);
	uplink_fail(
		u, true,
		"not your tap: `%s' belongs to %s and we run as uid %u gid %u; recreate it with `ip tuntap del dev %s mode tap && ip tuntap add dev %s mode tap user %u'",
		name, who, (unsigned)getuid(), (unsigned)getgid(), name, name,
		(unsigned)getuid());
}

static void tap_name_start(struct uplink *u)
{
	const char *name = u->cfg->arg;
	struct ifreq ifr;
	int fd, err;

	/* As root TUNSETIFF would create a transient tap: attach only. */
	if (!iface_exists(name)) {
		tap_eperm(u, name);
		return;
	}
	fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		uplink_fail(
			u, true, "cannot open %s: %s%s", TUN_DEV, strerror(err),
			err == ENOENT ? " (load the tun module: modprobe tun)"
				      : "");
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) == 0) {
		tap_attach(u, fd);
		return;
	}
	err = errno;
	close(fd);
	if (err == EPERM)
		tap_eperm(u, name);
	else if (err == EBUSY)
		uplink_fail(
			u, true,
			"tap `%s' is already attached to another program (a QEMU guest or another switch); stop that one or use another tap",
			name);
	else if (err == EINVAL && sysfs_num(name, "tun_flags") < 0)
		uplink_fail(
			u, true,
			"`%s' is another kind of interface, not a tap; pick another name",
			name);
	else if (err == EINVAL)
		uplink_fail(
			u, true,
			"`%s' is not a single-queue tap (a tun or multi-queue device?); create it with `ip tuntap add dev %s mode tap user %u'",
			name, name, (unsigned)getuid());
	else
		uplink_fail(u, true, "cannot attach tap `%s': %s", name,
			    strerror(err));
}

const struct uplink_ops uplink_tap_ops = {
	.name = "tap",
	.start = tap_name_start,
	.stop = tap_stop,
	.flush = tap_flush,
};

/* ---- inherited descriptor ------------------------------------------------ */

/**
 * struct tap_fd_priv - an inherited tap
 * @used:	the descriptor was taken (it cannot be taken twice)
 */
struct tap_fd_priv {
	bool used;
};

static void tap_fd_start(struct uplink *u)
{
	int fd = u->cfg->fd;
	struct ifreq ifr;

	if (u->priv) {
		uplink_fail(
			u, false,
			"the inherited tap descriptor is closed; restart the switch with a new one");
		return;
	}
	u->priv = u;
	if (fcntl(fd, F_GETFD) < 0) {
		uplink_fail(
			u, false,
			"descriptor %d is not open; the program starting sockswitch must pass the tap as fd %d",
			fd, fd);
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		uplink_fail(
			u, false,
			"descriptor %d is not an attached tap (TUNGETIFF: %s); pass an fd of /dev/net/tun after TUNSETIFF",
			fd, strerror(errno));
		close(fd);
		return;
	}
	if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI) ||
	    (ifr.ifr_flags & IFF_VNET_HDR)) {
		uplink_fail(
			u, false,
			"descriptor %d (%s) has flags 0x%x; a tap with IFF_TAP|IFF_NO_PI and without IFF_VNET_HDR is needed",
			fd, ifr.ifr_name, (unsigned)ifr.ifr_flags);
		close(fd);
		return;
	}
	snprintf(u->what, sizeof(u->what), "tap-fd %d %s", fd, ifr.ifr_name);
	tap_attach(u, fd);
}

static void tap_fd_destroy(struct uplink *u)
{
	u->priv = NULL;
}

const struct uplink_ops uplink_tap_fd_ops = {
	.name = "tap",
	.start = tap_fd_start,
	.stop = tap_stop,
	.flush = tap_flush,
	.destroy = tap_fd_destroy,
};

/* ---- qemu-bridge-helper ----------------------------------------------- */

/**
 * struct bridge_priv - one run of qemu-bridge-helper
 * @u:		the uplink
 * @sock:	our end of the socketpair, -1 when no run is going on
 * @pid:	the helper, 0 when none
 * @sio:	waits for the tap descriptor on @sock
 * @child:	waits for the helper's exit
 * @timeout:	gives up on a helper that hangs
 */
struct bridge_priv {
	struct uplink *u;
	int sock;
	pid_t pid;
	ev_io sio;
	ev_child child;
	ev_timer timeout;
};

static void bridge_end_run(struct uplink *u)
{
	struct bridge_priv *b = u->priv;

	if (!b)
		return;
	ev_io_stop(u->d->loop, &b->sio);
	ev_timer_stop(u->d->loop, &b->timeout);
	if (b->sock >= 0)
		close(b->sock);
	b->sock = -1;
	if (b->pid > 0) {
		/* Still running: stop it; libev reaps it. */
		ev_child_stop(u->d->loop, &b->child);
		kill(b->pid, SIGTERM);
		b->pid = 0;
	}
}

static void bridge_stop(struct uplink *u)
{
	bridge_end_run(u);
	tap_stop(u);
}

static void bridge_destroy(struct uplink *u)
{
	free(u->priv);
	u->priv = NULL;
}

static void bridge_denied(struct uplink *u, const char *what)
{
	const char *br = u->cfg->arg, *helper = u->cfg->helper;

	uplink_fail(
		u, true,
		"%s without a tap; the admin must make it setuid root (`chmod u+s %s') and allow the bridge in /etc/qemu/bridge.conf (`allow %s'), and bridge %s must exist",
		what, helper, br, br);
}

static int recv_fd(int sock, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t r;

	*fd = -1;
	r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (r < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return (int)r;
}

static void bridge_sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct bridge_priv *b = container_of(w, struct bridge_priv, sio);
	struct uplink *u = b->u;
	struct ifreq ifr;
	int fd, r;

	(void)revents;
	r = recv_fd(b->sock, &fd);
	if (r == -EAGAIN || r == -EINTR)
		return;
	if (fd < 0) {
		if (b->pid > 0) {
			/* EOF: let the exit status tell why. */
			ev_io_stop(loop, &b->sio);
			return;
		}
		bridge_denied(u, "qemu-bridge-helper finished");
		return;
	}
	/* The helper has done its part; it exits on its own. */
	ev_io_stop(u->d->loop, &b->sio);
	close(b->sock);
	b->sock = -1;
	ev_timer_stop(u->d->loop, &b->timeout);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) == 0)
		snprintf(u->what, sizeof(u->what), "bridge %s tap %s",
			 u->cfg->arg, ifr.ifr_name);
	tap_attach(u, fd);
}

static void bridge_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct bridge_priv *b = container_of(w, struct bridge_priv, child);
	struct uplink *u = b->u;
	int st = w->rstatus;
	char why[96];

	(void)revents;
	ev_child_stop(loop, w);
	b->pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (u->state == UPLINK_UP)
		return;
	if (WIFEXITED(st))
		snprintf(why, sizeof(why),
			 "qemu-bridge-helper exited with status %d",
			 WEXITSTATUS(st));
	else
		snprintf(why, sizeof(why),
			 "qemu-bridge-helper was killed by signal %d",
			 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		uplink_fail(
			u, true,
			"cannot run %s (see the message above); install qemu-system-common or give helper=PATH",
			u->cfg->helper);
	else
		bridge_denied(u, why);
}

static void bridge_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bridge_priv *b = container_of(w, struct bridge_priv, timeout);

	(void)loop;
	(void)revents;
	uplink_fail(b->u, true,
		    "qemu-bridge-helper sent no tap within %.0f s; killed it",
		    BRIDGE_TIMEOUT_S);
}

static void bridge_start(struct uplink *u)
{
	struct bridge_priv *b = u->priv;
	char fdarg[32], brarg[64];
	const char *argv[4];

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b) {
			uplink_fail(u, true, "out of memory");
			return;
		}
		b->u = u;
		b->sock = -1;
		u->priv = b;
	}
	snprintf(brarg, sizeof(brarg), "--br=%s", u->cfg->arg);
	argv[0] = u->cfg->helper;
	argv[1] = brarg;
	argv[2] = fdarg;
	argv[3] = NULL;
	b->sock = uplink_spawn_paired(u, argv, fdarg, sizeof(fdarg),
				      "--fd=", &b->child, bridge_child_cb,
				      &b->pid);
	if (b->sock < 0)
		return;
	ev_io_init(&b->sio, bridge_sock_cb, b->sock, EV_READ);
	ev_io_start(u->d->loop, &b->sio);
	ev_timer_init(&b->timeout, bridge_timeout_cb, BRIDGE_TIMEOUT_S, 0);
	ev_timer_start(u->d->loop, &b->timeout);
	log_debug("%s: started %s %s %s (pid %d)", u->what, argv[0], brarg,
		  fdarg, (int)b->pid);
}

const struct uplink_ops uplink_bridge_ops = {
	.name = "tap",
	.start = bridge_start,
	.stop = bridge_stop,
	.flush = tap_flush,
	.destroy = bridge_destroy,
};
