// SPDX-License-Identifier: MIT
/*
 * connect.c - outbound stream uplinks: --connect unix:/tcp: and passt
 *
 * The switch dials a listener that speaks QEMU's stream framing (a QEMU
 * guest with -netdev stream,server=on or -netdev socket,listen=, another
 * sockswitch, passt) with a nonblocking connect(), then runs the same
 * data path as accepted connections (stream.c). When the peer goes away
 * the port stays and the uplink framework redials with backoff.
 *
 * `passt' without a path starts passt as a child with one end of a
 * socketpair (passt -F FD: no socket file, nothing to clean up); when
 * passt exits the uplink fails and the retry starts a new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport/stream.h"
#include "transport/uplink.h"

#define CONNECT_TIMEOUT_S 10.0
#define PASST_BIN "passt"
#define PASST_BUSY_S 1.0

/**
 * struct conn_priv - an outbound connection's state
 * @u:		the uplink
 * @sc:		the established connection (sc.fd -1 when none)
 * @cfd:	socket of a connect() in progress, or -1
 * @cio:	waits for that connect() to finish
 * @ctimeout:	gives up on it
 * @pid:	passt child, 0 when none
 * @child:	waits for its exit
 */
struct conn_priv {
	struct uplink *u;
	struct stream_conn sc;
	int cfd;
	ev_io cio;
	ev_timer ctimeout;
	pid_t pid;
	ev_child child;
};

static struct conn_priv *conn_priv(struct uplink *u)
{
	struct conn_priv *c = u->priv;

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->u = u;
	c->sc.fd = -1;
	c->cfd = -1;
	u->priv = c;
	return c;
}

static void passt_log_exit(struct uplink *u, int st)
{
	if (WIFEXITED(st))
		log_warnx("%s: passt exited with status %d%s", u->what,
			  WEXITSTATUS(st),
			  WEXITSTATUS(st) == 127
				  ? " (not installed? Debian package passt)"
			  : WEXITSTATUS(st) ? " (its messages are above)"
					    : "");
	else
		log_warnx("%s: passt was killed by signal %d", u->what,
			  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void conn_stop(struct uplink *u)
{
	struct conn_priv *c = u->priv;

	if (!c)
		return;
	if (c->pid > 0) {
		int st = 0;

		/* passt: closing its socket would end it too, but then
		 * whether it is still there to be stopped is a race; stop
		 * it while its socket is open. */
		ev_child_stop(u->d->loop, &c->child);
		if (waitpid(c->pid, &st, WNOHANG) == c->pid)
			passt_log_exit(u, st);
		else if (kill(c->pid, SIGTERM) == 0)
			log_info("%s: stopped passt", u->what);
		c->pid = 0;
	}
	stream_conn_stop(&c->sc);
	ev_io_stop(u->d->loop, &c->cio);
	ev_timer_stop(u->d->loop, &c->ctimeout);
	if (c->cfd >= 0)
		close(c->cfd);
	c->cfd = -1;
}

static void conn_destroy(struct uplink *u)
{
	free(u->priv);
	u->priv = NULL;
}

static int conn_flush(struct uplink *u)
{
	struct conn_priv *c = u->priv;

	return stream_conn_flush(&c->sc);
}

static void conn_rx_pause(struct uplink *u, bool pause)
{
	struct conn_priv *c = u->priv;

	stream_conn_pause(&c->sc, pause);
}

static void conn_stream_fail(struct stream_conn *sc, const char *reason)
{
	struct conn_priv *c = container_of(sc, struct conn_priv, sc);
	struct uplink *u = c->u;

	/* passt takes one client: it accepts a second and hangs up at once. */
	if (u->cfg->kind == UPLINK_PASST && u->cfg->arg &&
	    ev_now(u->d->loop) - u->up_since < PASST_BUSY_S)
		uplink_fail(
			u, true,
			"%s at once (passt serves one client: is another guest or switch attached to it?)",
			reason);
	else
		uplink_fail(u, true, "%s", reason);
}

static void conn_established(struct uplink *u, int fd)
{
	struct conn_priv *c = u->priv;
	int one = 1;

	if (u->cfg->kind == UPLINK_CONNECT && u->cfg->addr.kind == LISTEN_TCP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	stream_conn_start(&c->sc, u->d, &u->port, fd, conn_stream_fail);
	uplink_up(u);
}

static const char *connect_hint(const struct uplink *u, int err)
{
	bool unx = u->cfg->kind != UPLINK_CONNECT ||
		   u->cfg->addr.kind == LISTEN_UNIX;

	if (err == ENOENT)
		return " (no socket there: is the peer running?)";
	if (err == ECONNREFUSED)
		return unx ? " (a stale socket file: nobody listens on it)"
			   : " (nobody listens there: is the peer running?)";
	if (err == EACCES)
		return " (no permission: check the socket's and its directory's mode and owner)";
	if (err == ETIMEDOUT || err == EHOSTUNREACH || err == ENETUNREACH)
		return " (check the address and any firewall)";
	return "";
}

static void conn_connect_done(struct uplink *u, int err)
{
	struct conn_priv *c = u->priv;
	int fd = c->cfd;

	ev_io_stop(u->d->loop, &c->cio);
	ev_timer_stop(u->d->loop, &c->ctimeout);
	if (err) {
		uplink_fail(u, true, "cannot connect: %s%s", strerror(err),
			    connect_hint(u, err));
		return;
	}
	c->cfd = -1;
	conn_established(u, fd);
}

static void conn_cio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn_priv *c = container_of(w, struct conn_priv, cio);
	socklen_t len = sizeof(int);
	int err = 0;

	(void)loop;
	(void)revents;
	if (getsockopt(c->cfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	conn_connect_done(c->u, err);
}

static void conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn_priv *c = container_of(w, struct conn_priv, ctimeout);

	(void)loop;
	(void)revents;
	conn_connect_done(c->u, ETIMEDOUT);
}

/* Start a nonblocking connect() to @sa; finish now or from a watcher. */
static void conn_dial(struct uplink *u, const struct sockaddr *sa,
		      socklen_t slen)
{
	struct conn_priv *c = u->priv;
	int rc;

	c->cfd = socket(sa->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->cfd < 0) {
		uplink_fail(u, true, "socket: %s", strerror(errno));
		return;
	}
	rc = connect(c->cfd, sa, slen);
	if (rc == 0) {
		conn_connect_done(u, 0);
		return;
	}
	if (errno != EINPROGRESS && errno != EAGAIN) {
		conn_connect_done(u, errno);
		return;
	}
	ev_io_init(&c->cio, conn_cio_cb, c->cfd, EV_WRITE);
	ev_io_start(u->d->loop, &c->cio);
	ev_timer_init(&c->ctimeout, conn_timeout_cb, CONNECT_TIMEOUT_S, 0);
	ev_timer_start(u->d->loop, &c->ctimeout);
}

static void conn_dial_unix(struct uplink *u, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path)) {
		uplink_fail(u, false, "socket path %s is too long", path);
		return;
	}
	strcpy(sa.sun_path, path);
	conn_dial(u, (const struct sockaddr *)&sa, sizeof(sa));
}

/*
 * TCP: numeric addresses need no lookup; a name goes through the system
 * resolver on each attempt (use numeric addresses or /etc/hosts names:
 * a slow DNS server would stall the switch for the lookup's duration).
 */
static void conn_dial_tcp(struct uplink *u)
{
	const struct listen_addr *a = &u->cfg->addr;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", a->port);
	hints.ai_flags |= AI_NUMERICHOST;
	rc = getaddrinfo(a->host, port, &hints, &ai);
	if (rc == EAI_NONAME) {
		hints.ai_flags &= ~AI_NUMERICHOST;
		rc = getaddrinfo(a->host, port, &hints, &ai);
	}
	if (rc != 0) {
		uplink_fail(u, true, "cannot resolve `%s': %s", a->host,
			    gai_strerror(rc));
		return;
	}
	conn_dial(u, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
}

static void connect_start(struct uplink *u)
{
	if (!conn_priv(u)) {
		uplink_fail(u, true, "out of memory");
		return;
	}
	if (u->cfg->addr.kind == LISTEN_UNIX)
		conn_dial_unix(u, u->cfg->addr.path);
	else
		conn_dial_tcp(u);
}

const struct uplink_ops uplink_connect_ops = {
	.name = "connect",
	.start = connect_start,
	.stop = conn_stop,
	.flush = conn_flush,
	.destroy = conn_destroy,
	.rx_pause = conn_rx_pause,
};

/* ---- passt ---------------------------------------------------------------- */

static void passt_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct conn_priv *c = container_of(w, struct conn_priv, child);

	(void)revents;
	ev_child_stop(loop, w);
	c->pid = 0;
	passt_log_exit(c->u, w->rstatus);
	uplink_fail(c->u, true, "passt is gone");
}

/* Run passt -f -F FD on one end of a socketpair; the other is our port. */
static void passt_spawn(struct uplink *u)
{
	struct conn_priv *c = u->priv;
	char fdarg[16];
	const char *argv[] = { PASST_BIN, "-f", "-q", "-F", fdarg, NULL };
	int fd = uplink_spawn_paired(u, argv, fdarg, sizeof(fdarg), "",
				     &c->child, passt_child_cb, &c->pid);

	if (fd < 0)
		return;
	snprintf(u->what, sizeof(u->what), "passt pid %d", (int)c->pid);
	log_info("%s: started passt -f -q -F %s", u->what, fdarg);
	conn_established(u, fd);
}

static void passt_start(struct uplink *u)
{
	if (!conn_priv(u)) {
		uplink_fail(u, true, "out of memory");
		return;
	}
	if (u->cfg->arg)
		conn_dial_unix(u, u->cfg->arg);
	else
		passt_spawn(u);
}

const struct uplink_ops uplink_passt_ops = {
	.name = "passt",
	.start = passt_start,
	.stop = conn_stop,
	.flush = conn_flush,
	.destroy = conn_destroy,
	.rx_pause = conn_rx_pause,
};
