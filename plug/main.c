// SPDX-License-Identifier: MIT
/*
 * main.c - sockswitch-plug: options, the poll loop, reconnect, signals
 *
 * One poll() loop over at most seven fds: each side's data fd (stdin and
 * stdout are two), each side's libvdeplug control fd, and a signalfd.
 * A side that goes away is reopened with capped, jittered exponential
 * backoff under --reconnect; otherwise the plug exits 1 with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "plug.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* A connection that lasted this long resets the backoff. */
#define BACKOFF_RESET_MS 10000
/* Retry interval for a VDE side whose send would block (its data fd
 * may be an epoll fd, which never reports POLLOUT). */
#define VDE_RETRY_MS 10

/* The logger is process-wide by nature, like stderr and syslog. */
static enum plug_level log_level = PLUG_INFO;
static bool log_syslog;

/**
 * plug_log() - log one line to stderr, or syslog under --daemon
 * @lvl:	level; lines above the verbosity are not printed
 * @fmt:	printf format
 */
void plug_log(enum plug_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio[lvl], fmt, ap);
	} else {
		fprintf(stderr, "sockswitch-plug: %s: ", names[lvl]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/**
 * struct side - an endpoint and its reconnect state
 * @ep:		the endpoint
 * @retry_at:	monotonic ms of the next open attempt, when closed
 * @backoff_ms:	current backoff
 * @opened_at:	when it last connected
 */
struct side {
	struct ep ep;
	int64_t retry_at;
	unsigned int backoff_ms;
	int64_t opened_at;
};

/**
 * struct plug - the whole program state
 * @side:	[0] the switch, [1] the peer
 * @reconnect:	--reconnect
 * @daemon:	--daemon
 * @pidfile:	--pidfile, or NULL
 * @descr:	--description
 * @max_frame:	--max-frame
 * @vde_stream:	--vde-stream
 * @sigfd:	signalfd for SIGINT, SIGTERM, SIGUSR1
 * @seed:	jitter random state
 * @status:	exit status once the loop stops
 * @stop:	leave the loop
 * @pid_written: the pidfile is ours to remove
 */
struct plug {
	struct side side[2];
	bool reconnect;
	bool daemon;
	const char *pidfile;
	const char *descr;
	size_t max_frame;
	bool vde_stream;
	int sigfd;
	unsigned int seed;
	int status;
	bool stop;
	bool pid_written;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fputs("Usage: sockswitch-plug [OPTIONS] SWITCH PEER\n"
	      "\n"
	      "Join one port of a switch to PEER: stdin/stdout (so dpipe, ssh and\n"
	      "pipes can carry a port between hosts) or any libvdeplug URL (so any\n"
	      "VDE plugin becomes a switch port). Every frame read on one side is\n"
	      "written to the other.\n"
	      "\n"
	      "SWITCH (a sockswitch listener, or anything speaking the same wire):\n"
	      "  unix:PATH         unix stream socket, 4-byte big-endian length per frame\n"
	      "  tcp:HOST:PORT     TCP, same framing; IPv6 as tcp:[ADDR]:PORT\n"
	      "  unixgram:PATH     unix datagram socket, one frame per datagram; the plug\n"
	      "                    binds its own socket next to PATH (else in\n"
	      "                    $XDG_RUNTIME_DIR or /tmp) and removes it on exit;\n"
	      "                    datagrams from other named sockets are ignored\n"
	      "  udp:HOST:PORT     UDP, one frame per datagram, from an ephemeral port\n"
	      "  vde:DIR           VDE control protocol (vde_switch, sockswitch vde:),\n"
	      "                    through libvdeplug; vde:///DIR[PORT] works too\n"
	      "\n"
	      "PEER:\n"
	      "  -                 stdin/stdout, each frame after its 4-byte big-endian\n"
	      "                    length (QEMU -netdev stream framing), or the 2-byte\n"
	      "                    length of vde_plug with --vde-stream\n"
	      "  SCHEME://...      any libvdeplug URL, opened with vde_open(): vde:///DIR,\n"
	      "                    tap://IFNAME, slirp://, vxvde://, udp://, switch://,\n"
	      "                    ptp://, ... (see vde_plug(1) and libvdeplug_*(1))\n"
	      "\n"
	      "Options:\n"
	      "  --vde-stream        PEER - uses vde_plug's 2-byte length framing, so the\n"
	      "                      other end can be vde_plug or a cmd:// URL\n"
	      "  --reconnect         when a side goes away (switch restart, refused\n"
	      "                      connection), retry with exponential backoff from\n"
	      "                      0.1 s to 5 s, jittered; frames for the missing side\n"
	      "                      are dropped and counted meanwhile. Without it the\n"
	      "                      plug exits 1 when either side goes away\n"
	      "  --max-frame BYTES   longest frame passed, 14-69632 (default 65550); VDE\n"
	      "                      sides and --vde-stream are sent at most 9234 bytes,\n"
	      "                      UDP at most 65507. Longer frames are dropped and\n"
	      "                      counted; a stream length beyond 69632 is garbage and\n"
	      "                      closes that stream\n"
	      "  --description TEXT  description given to vde_open() (shown in the\n"
	      "                      switch's port list); default \"sockswitch-plug\"\n"
	      "  --daemon            detach once both sides are open (so a wrong URL is\n"
	      "                      reported on the terminal) and log to syslog;\n"
	      "                      not with PEER -\n"
	      "  --pidfile FILE      write the pid to FILE, removed at exit\n"
	      "  -v, --verbose       also log every drop reason as it grows (at counts\n"
	      "                      1, 2, 4, 8, ...)\n"
	      "  -h, --help          this text\n"
	      "  --version           print the version\n"
	      "\n"
	      "Frames are never dropped silently: each side has a 1 MiB transmit queue;\n"
	      "frames that do not fit (slow side), are too short (< 14 bytes) or too long\n"
	      "are dropped and counted. SIGUSR1 logs the counters of both sides; they\n"
	      "are logged at exit too. SIGINT and SIGTERM exit cleanly.\n"
	      "\n"
	      "Examples:\n"
	      "  # one LAN from two switches on two hosts, over ssh\n"
	      "  dpipe sockswitch-plug unix:/run/a.sock - = ssh hostb sockswitch-plug unix:/run/b.sock -\n"
	      "  # bridge sockswitch to a vde_switch\n"
	      "  sockswitch-plug unix:/run/user/1000/sockswitch/switch.sock vde:///tmp/vde\n"
	      "  # the same through vde_plug's stream framing\n"
	      "  dpipe vde_plug vde:///tmp/vde = sockswitch-plug --vde-stream unix:sw.sock -\n"
	      "  # NAT uplink (libvdeplug-slirp), retrying while the switch restarts\n"
	      "  sockswitch-plug --reconnect unix:sw.sock slirp://\n"
	      "  # a tap interface (needs CAP_NET_ADMIN)\n"
	      "  sockswitch-plug unix:sw.sock tap://tap0\n"
	      "\n"
	      "Exit status: 0 after SIGINT/SIGTERM or end of input on stdin; 1 when a\n"
	      "side cannot be opened or goes away (without --reconnect), or stdin\n"
	      "carries garbage; 2 on a usage error.\n",
	      f);
}

static int parse_args(struct plug *p, int argc, char **argv)
{
	enum {
		OPT_VDE_STREAM = 256,
		OPT_RECONNECT,
		OPT_DAEMON,
		OPT_PIDFILE,
		OPT_DESCR,
		OPT_VERSION,
		OPT_MAX_FRAME
	};
	static const struct option opts[] = {
		{ "vde-stream", no_argument, NULL, OPT_VDE_STREAM },
		{ "reconnect", no_argument, NULL, OPT_RECONNECT },
		{ "daemon", no_argument, NULL, OPT_DAEMON },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "description", required_argument, NULL, OPT_DESCR },
		{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_VDE_STREAM:
			p->vde_stream = true;
			break;
		case OPT_RECONNECT:
			p->reconnect = true;
			break;
		case OPT_DAEMON:
			p->daemon = true;
			break;
		case OPT_PIDFILE:
			p->pidfile = optarg;
			break;
		case OPT_DESCR:
			p->descr = optarg;
			break;
		case OPT_MAX_FRAME:
			errno = 0;
			p->max_frame = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' ||
			    optarg[0] > '9' || p->max_frame < PLUG_ETH_HLEN ||
			    p->max_frame > PLUG_MAX_FRAME_LIMIT) {
				fprintf(stderr,
					"sockswitch-plug: --max-frame: `%s' is "
					"not a whole number in 14-69632\n",
					optarg);
				return 2;
			}
			break;
		case 'v':
			log_level = PLUG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("sockswitch-plug %s\n", SOCKSWITCH_VERSION);
			return 0;
		default:
			fputs("Try `sockswitch-plug --help'.\n", stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fputs("sockswitch-plug: expected SWITCH and PEER; try "
		      "`sockswitch-plug --help'.\n",
		      stderr);
		return 2;
	}
	return -1;
}

static int check_args(struct plug *p, char **argv)
{
	char err[256];
	struct ep *sw = &p->side[0].ep, *peer = &p->side[1].ep;

	if (ep_init(sw, "switch", argv[0], true, 4, p->max_frame, p->descr, err,
		    sizeof(err)) < 0 ||
	    ep_init(peer, "peer", argv[1], false, p->vde_stream ? 2 : 4,
		    p->max_frame, p->descr, err, sizeof(err)) < 0) {
		fprintf(stderr, "sockswitch-plug: %s\n", err);
		return 2;
	}
	if (p->vde_stream && peer->addr != EP_ADDR_STDIO) {
		fputs("sockswitch-plug: --vde-stream needs PEER -\n", stderr);
		return 2;
	}
	if (p->daemon && peer->addr == EP_ADDR_STDIO) {
		fputs("sockswitch-plug: --daemon needs a libvdeplug PEER, "
		      "not -\n",
		      stderr);
		return 2;
	}
	return -1;
}

static void schedule_retry(struct plug *p, struct side *s, int64_t now)
{
	unsigned int j = s->backoff_ms / 4, delay = s->backoff_ms;

	if (j)
		delay = delay - j + (unsigned int)rand_r(&p->seed) % (2 * j);
	s->retry_at = now + delay;
	plug_log(PLUG_INFO, "%s %s: retrying in %u ms", s->ep.role, s->ep.url,
		 delay);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							   : s->backoff_ms * 2;
}

static int side_open(struct plug *p, struct side *s, int64_t now)
{
	if (ep_open(&s->ep) == 0) {
		s->opened_at = now;
		return 0;
	}
	if (!p->reconnect) {
		plug_log(PLUG_ERR,
			 "%s %s: cannot connect; exiting "
			 "(--reconnect retries)",
			 s->ep.role, s->ep.url);
		return -1;
	}
	schedule_retry(p, s, now);
	return 0;
}

/*
 * side_down() - a side went away or broke: reconnect later, or stop.
 */
static void side_down(struct plug *p, struct side *s, int err)
{
	int64_t now = now_ms();
	const char *why = err == -EPIPE ? "end of stream" : strerror(-err);

	ep_close(&s->ep);
	if (!ep_can_reopen(&s->ep)) {
		plug_log(err == -EPIPE ? PLUG_INFO : PLUG_ERR,
			 "%s %s: %s; exiting", s->ep.role, s->ep.url, why);
		p->status = err == -EPIPE ? 0 : 1;
		p->stop = true;
		return;
	}
	if (!p->reconnect) {
		plug_log(PLUG_ERR,
			 "%s %s: connection lost (%s); exiting "
			 "(--reconnect retries)",
			 s->ep.role, s->ep.url, why);
		p->status = 1;
		p->stop = true;
		return;
	}
	plug_log(PLUG_WARN, "%s %s: connection lost (%s)", s->ep.role,
		 s->ep.url, why);
	if (now - s->opened_at >= BACKOFF_RESET_MS)
		s->backoff_ms = BACKOFF_MIN_MS;
	schedule_retry(p, s, now);
}

static int signals_init(struct plug *p)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	p->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return p->sigfd < 0 ? -errno : 0;
}

static void signal_input(struct plug *p)
{
	struct signalfd_siginfo si;

	while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			ep_log_stats(&p->side[0].ep, PLUG_INFO);
			ep_log_stats(&p->side[1].ep, PLUG_INFO);
			continue;
		}
		plug_log(PLUG_INFO, "signal %u, exiting", si.ssi_signo);
		p->status = 0;
		p->stop = true;
	}
}

/*
 * poll_setup() - fill @pfd: per side data-in, data-out (stdout), ctl;
 * then the signalfd. Return: the poll timeout in ms.
 */
static int poll_setup(struct plug *p, struct pollfd pfd[7], int64_t now)
{
	int timeout = -1;

	for (int i = 0; i < 2; i++) {
		struct side *s = &p->side[i];
		struct ep *e = &s->ep;
		bool out = e->open && ep_pending(e);
		struct pollfd *f = &pfd[3 * i];

		f[0] = (struct pollfd){ .fd = e->open ? e->rfd : -1,
					.events = POLLIN };
		f[1] = (struct pollfd){ .fd = -1, .events = POLLOUT };
		f[2] = (struct pollfd){ .fd = e->open ? e->ctlfd : -1,
					.events = POLLIN };
		if (out && e->wfd == e->rfd)
			f[0].events |= POLLOUT;
		else if (out)
			f[1].fd = e->wfd;
		if (out && e->kind == EP_VDE)
			timeout = VDE_RETRY_MS;
		if (!e->open && ep_can_reopen(e)) {
			int64_t left = s->retry_at - now;
			int t = left < 0 ? 0 : (int)left;

			if (timeout < 0 || t < timeout)
				timeout = t;
		}
	}
	pfd[6] = (struct pollfd){ .fd = p->sigfd, .events = POLLIN };
	return timeout;
}

static void side_io(struct plug *p, int i, const struct pollfd *f)
{
	struct side *s = &p->side[i];
	struct ep *other = &p->side[!i].ep;
	int rc = 0;

	if (!s->ep.open)
		return;
	if (f[2].fd >= 0 && f[2].revents)
		rc = ep_ctl_input(&s->ep);
	if (rc == 0 && f[0].revents & (POLLIN | POLLHUP | POLLERR))
		rc = ep_input(&s->ep, other);
	if (rc < 0)
		side_down(p, s, rc);
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		plug_log(PLUG_ERR, "pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * go_background() - after the first open, so a wrong URL is reported on
 * the terminal: detach (--daemon) and write the pidfile.
 */
static int go_background(struct plug *p)
{
	if (p->daemon) {
		/* Keep the working directory: relative socket paths are
		 * reopened on reconnect. */
		if (daemon(1, 0) < 0) {
			plug_log(PLUG_ERR, "daemon: %s", strerror(errno));
			return -1;
		}
		log_syslog = true;
		openlog("sockswitch-plug", LOG_PID, LOG_DAEMON);
	}
	if (p->pidfile) {
		if (write_pidfile(p->pidfile) < 0)
			return -1;
		p->pid_written = true;
	}
	return 0;
}

static int run(struct plug *p)
{
	struct pollfd pfd[7];
	int64_t now = now_ms();

	for (int i = 0; i < 2 && !p->stop; i++)
		if (side_open(p, &p->side[i], now) < 0)
			return 1;
	if (go_background(p) < 0)
		return 1;
	while (!p->stop) {
		int timeout;

		now = now_ms();
		for (int i = 0; i < 2; i++) {
			struct side *s = &p->side[i];

			if (!s->ep.open && ep_can_reopen(&s->ep) &&
			    now >= s->retry_at)
				side_open(p, s, now);
		}
		timeout = poll_setup(p, pfd, now);
		if (poll(pfd, 7, timeout) < 0 && errno != EINTR) {
			plug_log(PLUG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[6].revents)
			signal_input(p);
		for (int i = 0; i < 2 && !p->stop; i++)
			side_io(p, i, &pfd[3 * i]);
		for (int i = 0; i < 2 && !p->stop; i++) {
			struct side *s = &p->side[i];
			int rc = ep_flush(&s->ep);

			if (rc < 0)
				side_down(p, s, rc);
		}
	}
	/* Last chance for frames read just before the end. */
	for (int i = 0; i < 2; i++)
		ep_flush(&p->side[i].ep);
	return p->status;
}

int main(int argc, char **argv)
{
	struct plug p = { .max_frame = PLUG_MAX_FRAME_DEFAULT,
			  .descr = "sockswitch-plug",
			  .sigfd = -1 };
	int rc;

	rc = parse_args(&p, argc, argv);
	if (rc < 0)
		rc = check_args(&p, argv + optind);
	if (rc >= 0)
		goto out;
	for (int i = 0; i < 2; i++)
		p.side[i].backoff_ms = BACKOFF_MIN_MS;
	p.seed = (unsigned int)getpid() ^ (unsigned int)now_ms();
	if (signals_init(&p) < 0) {
		plug_log(PLUG_ERR, "signals: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	rc = run(&p);
	ep_log_stats(&p.side[0].ep, PLUG_INFO);
	ep_log_stats(&p.side[1].ep, PLUG_INFO);
	if (p.pidfile && p.pid_written)
		unlink(p.pidfile);
out:
	ep_fini(&p.side[0].ep);
	ep_fini(&p.side[1].ep);
	if (p.sigfd >= 0)
		close(p.sigfd);
	return rc;
}
