// SPDX-License-Identifier: MIT
/*
 * main.c - sockswitch: a learning Ethernet switch for QEMU guests
 *
 * Options, configuration, start-up and shutdown. The one home of the
 * daemon's mutable globals (the logger's settings).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "sockswitchd.h"

struct log_state log_state = { LOG_LVL_INFO, false };

#define DEFAULT_TCP "tcp:127.0.0.1:1234"
#define ERRLEN 1024

/**
 * struct flags - what the command line said, applied over the config file
 * @listen:	--listen URLs (a temporary config holds them)
 * @nverbose:	number of -v
 * @set:	which of the values below were given
 * @v:		the values
 */
struct flags {
	struct sw_config listen;
	int nverbose;
	struct {
		bool hub, mac_table_size, ageing, hold_down, max_ports;
		bool max_frame, txq_frames, txq_bytes, socket_mode, log_level;
		bool pidfile, daemon;
	} set;
	struct {
		bool hub, daemon;
		uint64_t mac_table_size, ageing, hold_down, max_ports;
		uint64_t max_frame, txq_frames, txq_bytes;
		int socket_mode;
		enum log_level log_level;
		const char *pidfile;
	} v;
	const char *config;
	const char *check;
};

enum {
	OPT_HUB = 256,
	OPT_MAC_TABLE_SIZE,
	OPT_AGEING,
	OPT_HOLD_DOWN,
	OPT_MAX_PORTS,
	OPT_MAX_FRAME,
	OPT_TXQ_FRAMES,
	OPT_TXQ_BYTES,
	OPT_SOCKET_MODE,
	OPT_LOG_LEVEL,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", required_argument, NULL, 'n' },
	{ "hub", no_argument, NULL, OPT_HUB },
	{ "mac-table-size", required_argument, NULL, OPT_MAC_TABLE_SIZE },
	{ "ageing", required_argument, NULL, OPT_AGEING },
	{ "aging", required_argument, NULL, OPT_AGEING },
	{ "hold-down", required_argument, NULL, OPT_HOLD_DOWN },
	{ "max-ports", required_argument, NULL, OPT_MAX_PORTS },
	{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
	{ "tx-queue-frames", required_argument, NULL, OPT_TXQ_FRAMES },
	{ "tx-queue-bytes", required_argument, NULL, OPT_TXQ_BYTES },
	{ "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
	{ "foreground", no_argument, NULL, 'f' },
	{ "daemon", no_argument, NULL, 'd' },
	{ "pidfile", required_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sockswitch [OPTION]...\n"
		"A learning Ethernet switch for QEMU guests, run without root.\n"
		"\n"
		"Guests attach with QEMU's own backends: -netdev stream (unix or inet),\n"
		"-netdev socket,connect=, -netdev vde (a vde:DIR listener). With no options\n"
		"it listens on\n"
		"  unix:$XDG_RUNTIME_DIR/sockswitch/switch.sock (or /tmp/sockswitch-UID/)\n"
		"  " DEFAULT_TCP "\n"
		"and prints, for each listener, the QEMU arguments that attach a guest.\n"
		"\n"
		"Listeners and configuration:\n"
		"  -l, --listen URL          listen on URL; repeatable; replaces the default\n"
		"                            and the config file's listeners. URL is one of\n"
		"                              unix:PATH        unix stream socket\n"
		"                              tcp:HOST:PORT    TCP, e.g. tcp:127.0.0.1:1234\n"
		"                              tcp:[ADDR]:PORT  TCP over IPv6, e.g. tcp:[::1]:1234\n"
		"                              vde:DIR          like vde_switch, for qemu\n"
		"                                               -netdev vde,sock=DIR and\n"
		"                                               vde_plug vde:///DIR\n"
		"                            PORT 0 picks a free port (printed at start).\n"
		"                            Give each QEMU guest its own mac=.\n"
		"  -c, --config FILE         read settings from a JSON file (docs/config.md);\n"
		"                            options given here override the file\n"
		"  -n, --check-config FILE   check FILE, print the first problem as\n"
		"                            FILE:LINE:COL: $.path: message; exit 0 or 1\n"
		"      --socket-mode MODE    permissions of unix sockets (octal, default 0600)\n"
		"\n"
		"Switching:\n"
		"      --hub                 flood every frame to every other port, learn nothing\n"
		"      --mac-table-size N    bound on learned addresses (default %u); when\n"
		"                            full, new addresses are not learned and frames\n"
		"                            to them are flooded\n"
		"      --ageing SECONDS      forget an address after this long without\n"
		"                            traffic from it (default %u)\n"
		"      --hold-down MS        an address seen on its port within MS does not\n"
		"                            move to another port (anti-flap; default %u)\n"
		"      --max-ports N         bound on attached ports (default %u)\n"
		"      --max-frame BYTES     largest frame, %u..%u (default %u; QEMU drops\n"
		"                            the connection above %u)\n"
		"      --tx-queue-frames N   per-port transmit queue bound in frames\n"
		"                            (default %u); a full queue drops and counts\n"
		"      --tx-queue-bytes N    per-port transmit queue bound in bytes\n"
		"                            (default %u)\n"
		"\n"
		"Process:\n"
		"  -f, --foreground          stay in the foreground, log to stderr (default)\n"
		"  -d, --daemon              detach after the listeners are up, log to syslog\n"
		"  -p, --pidfile FILE        write the process id to FILE, removed at exit\n"
		"  -v, --verbose             more log output (repeat for debug)\n"
		"      --log-level LEVEL     error, warning, info (default) or debug\n"
		"  -V, --version             print the version and exit\n"
		"  -h, --help                print this help and exit\n"
		"\n"
		"Signals: SIGINT/SIGTERM stop the switch (sockets removed, exit 0);\n"
		"SIGUSR1 logs one line of counters per port.\n"
		"\n"
		"Example, two guests on one LAN:\n"
		"  sockswitch &\n"
		"  qemu-system-x86_64 ... -netdev stream,id=n0,server=off,addr.type=unix,\\\n"
		"      addr.path=$XDG_RUNTIME_DIR/sockswitch/switch.sock \\\n"
		"      -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01\n"
		"  qemu-system-x86_64 ... -netdev socket,id=n0,connect=127.0.0.1:1234 \\\n"
		"      -device e1000,netdev=n0,mac=52:54:00:00:00:02\n"
		"QEMU 7.2 stream/socket clients do not reconnect: restart the guests after\n"
		"restarting the switch.\n",
		SW_MAC_TABLE_DEFAULT, SW_AGEING_DEFAULT_S,
		SW_HOLD_DOWN_DEFAULT_MS, SW_MAX_PORTS_DEFAULT, FRAME_MIN_LEN,
		FRAME_MAX_LEN_LIMIT, FRAME_MAX_LEN_DEFAULT, FRAME_MAX_LEN_LIMIT,
		TXQ_FRAMES_DEFAULT, TXQ_BYTES_DEFAULT);
}

static void __attribute__((format(printf, 1, 2), noreturn))
die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sockswitch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'sockswitch --help' for more information.\n");
	exit(1);
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t min,
			  uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < min || v > max)
		die_usage("%s: `%s' is not a whole number in %llu-%llu", opt, s,
			  (unsigned long long)min, (unsigned long long)max);
	return v;
}

static int parse_mode(const char *opt, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 8);
	if (*s < '0' || *s > '7' || errno || *end || v < 0 || v > 0777)
		die_usage("%s: `%s' is not an octal mode 0-0777", opt, s);
	return (int)v;
}

static void parse_flags(int argc, char **argv, struct flags *f)
{
	char err[ERRLEN];
	int c;

	while ((c = getopt_long(argc, argv, "l:c:n:fdp:vVh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'l':
			if (config_add_listen(
				    &f->listen, optarg, CONFIG_MODE_UNSET,
				    CONFIG_GID_UNSET, err, sizeof(err)) < 0)
				die_usage("%s: %s", "--listen", err);
			break;
		case 'c':
			f->config = optarg;
			break;
		case 'n':
			f->check = optarg;
			break;
		case OPT_HUB:
			f->set.hub = f->v.hub = true;
			break;
		case OPT_MAC_TABLE_SIZE:
			f->set.mac_table_size = true;
			f->v.mac_table_size =
				parse_num("--mac-table-size", optarg, 1,
					  SW_MAC_TABLE_LIMIT);
			break;
		case OPT_AGEING:
			f->set.ageing = true;
			f->v.ageing = parse_num("--ageing", optarg, 1, 1000000);
			break;
		case OPT_HOLD_DOWN:
			f->set.hold_down = true;
			f->v.hold_down =
				parse_num("--hold-down", optarg, 0, 60000);
			break;
		case OPT_MAX_PORTS:
			f->set.max_ports = true;
			f->v.max_ports = parse_num("--max-ports", optarg, 1,
						   SW_MAX_PORTS_LIMIT);
			break;
		case OPT_MAX_FRAME:
			f->set.max_frame = true;
			f->v.max_frame =
				parse_num("--max-frame", optarg, FRAME_MIN_LEN,
					  FRAME_MAX_LEN_LIMIT);
			break;
		case OPT_TXQ_FRAMES:
			f->set.txq_frames = true;
			f->v.txq_frames = parse_num("--tx-queue-frames", optarg,
						    1, 65536);
			break;
		case OPT_TXQ_BYTES:
			f->set.txq_bytes = true;
			f->v.txq_bytes = parse_num("--tx-queue-bytes", optarg,
						   FRAME_MIN_LEN, 1u << 30);
			break;
		case OPT_SOCKET_MODE:
			f->set.socket_mode = true;
			f->v.socket_mode = parse_mode("--socket-mode", optarg);
			break;
		case 'f':
			f->set.daemon = true;
			f->v.daemon = false;
			break;
		case 'd':
			f->set.daemon = f->v.daemon = true;
			break;
		case 'p':
			f->set.pidfile = true;
			f->v.pidfile = optarg;
			break;
		case 'v':
			f->nverbose++;
			break;
		case OPT_LOG_LEVEL:
			f->set.log_level = true;
			if (log_level_parse(optarg, &f->v.log_level) < 0)
				die_usage(
					"%s: `%s' is not error, warning, info or debug",
					"--log-level", optarg);
			break;
		case 'V':
			printf("sockswitch %s\n", SOCKSWITCH_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr,
				"Try 'sockswitch --help' for more information.\n");
			exit(1);
		}
	}
	if (optind < argc)
		die_usage("%s `%s'", "unexpected argument", argv[optind]);
}

static void apply_flags(struct sw_config *c, struct flags *f)
{
	if (f->listen.nlisten) {
		config_clear_listen(c);
		c->listen = f->listen.listen;
		c->nlisten = f->listen.nlisten;
		c->listen_set = true;
		f->listen.listen = NULL;
		f->listen.nlisten = 0;
	}
	if (f->set.hub)
		c->core.hub = f->v.hub;
	if (f->set.mac_table_size)
		c->core.mac_table_size = (uint32_t)f->v.mac_table_size;
	if (f->set.ageing)
		c->core.ageing_ms = f->v.ageing * 1000;
	if (f->set.hold_down)
		c->core.hold_down_ms = f->v.hold_down;
	if (f->set.max_ports)
		c->core.max_ports = (uint32_t)f->v.max_ports;
	if (f->set.max_frame)
		c->core.max_frame = (uint32_t)f->v.max_frame;
	if (f->set.txq_frames)
		c->core.txq_frames = (uint32_t)f->v.txq_frames;
	if (f->set.txq_bytes)
		c->core.txq_bytes = (size_t)f->v.txq_bytes;
	if (f->set.socket_mode)
		c->socket_mode = f->v.socket_mode;
	if (f->set.log_level)
		c->log_level = f->v.log_level;
	if (f->nverbose)
		c->log_level = f->nverbose > 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	if (f->set.daemon)
		c->daemon = f->v.daemon;
	if (f->set.pidfile) {
		free(c->pidfile);
		c->pidfile = strdup(f->v.pidfile);
	}
}

/* $XDG_RUNTIME_DIR/sockswitch, or /tmp/sockswitch-UID: ours, mode 0700. */
static void default_socket_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(out, len, "%s/sockswitch", xdg);
	else
		snprintf(out, len, "/tmp/sockswitch-%u", (unsigned)getuid());
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		fatalx("cannot create %s: %s", out, strerror(errno));
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		fatalx("%s is not a directory; remove it or use --listen", out);
	if (st.st_uid != getuid())
		fatalx("%s belongs to uid %u, not to you; use --listen", out,
		       (unsigned)st.st_uid);
	if (st.st_mode & 077)
		fatalx("%s is open to other users (mode %04o); run chmod 700 %s or use --listen",
		       out, (unsigned)(st.st_mode & 07777), out);
}

static void default_listeners(struct sw_config *c)
{
	char dir[PATH_MAX], url[PATH_MAX + 32], err[ERRLEN];

	default_socket_dir(dir, sizeof(dir));
	snprintf(url, sizeof(url), "unix:%s/switch.sock", dir);
	if (config_add_listen(c, url, CONFIG_MODE_UNSET, CONFIG_GID_UNSET, err,
			      sizeof(err)) < 0 ||
	    config_add_listen(c, DEFAULT_TCP, CONFIG_MODE_UNSET,
			      CONFIG_GID_UNSET, err, sizeof(err)) < 0)
		fatalx("default listener: %s", err);
}

/* A daemon changes directory to /: make relative socket paths absolute. */
static void absolutize_paths(struct sw_config *c)
{
	char cwd[PATH_MAX], abs[PATH_MAX * 2];
	size_t i;

	if (!getcwd(cwd, sizeof(cwd)))
		fatalx("getcwd: %s", strerror(errno));
	for (i = 0; i < c->nlisten; i++) {
		struct listen_addr *a = &c->listen[i].addr;

		if (a->kind != LISTEN_UNIX || a->path[0] == '/')
			continue;
		snprintf(abs, sizeof(abs), "%s/%s", cwd, a->path);
		if (strlen(abs) >= sizeof(a->path))
			fatalx("unix:%s: the absolute path %s is longer than %zu bytes",
			       a->path, abs, sizeof(a->path) - 1);
		strcpy(a->path, abs);
	}
	if (c->pidfile && c->pidfile[0] != '/') {
		snprintf(abs, sizeof(abs), "%s/%s", cwd, c->pidfile);
		free(c->pidfile);
		c->pidfile = strdup(abs);
		if (!c->pidfile)
			fatalx("out of memory");
	}
}

static void raise_fd_limit(uint32_t max_ports)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < (rlim_t)max_ports + 64)
		log_warnx(
			"open file limit %llu is below --max-ports %u plus headroom; connections beyond it are refused",
			(unsigned long long)rl.rlim_cur, max_ports);
}

static int pidfile_write(const char *path)
{
	char buf[32];
	FILE *f;
	long pid;
	int fd, n;

	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &pid) == 1 && pid > 0 &&
		    pid != (long)getpid() && kill((pid_t)pid, 0) == 0) {
			fclose(f);
			log_error(
				"pidfile %s names process %ld, which is running; is another sockswitch using it?",
				path, pid);
			return -EEXIST;
		}
		fclose(f);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("cannot write pidfile %s", path);
		return -errno;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_warn("cannot write pidfile %s", path);
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/*
 * Fork into the background. The parent waits until the child has written
 * its pidfile and printed "ready" (or failed), so when `sockswitch -d`
 * returns 0 the switch is up; its exit status is the child's verdict.
 * Return: in the child, the descriptor to notify the parent through.
 */
static int daemonize(void)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		fatalx("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fatalx("fork: %s", strerror(errno));
	if (pid > 0) {
		ssize_t r;

		close(pfd[1]);
		do
			r = read(pfd[0], &c, 1);
		while (r < 0 && errno == EINTR);
		_exit(r == 1 ? 0 : 1);
	}
	close(pfd[0]);
	setsid();
	if (chdir("/") < 0)
		fatalx("chdir /: %s", strerror(errno));
	return pfd[1];
}

/* The child is up: release the parent, detach stdio, log to syslog. */
static void daemon_ready(struct ev_loop *loop, int notify_fd)
{
	int fd = open("/dev/null", O_RDWR);

	if (write(notify_fd, "1", 1) != 1)
		log_warn("cannot notify the parent process");
	close(notify_fd);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_init(log_state.level, true);
	ev_loop_fork(loop);
}

/**
 * struct signals - the signal watchers (signals reach us only through libev)
 */
struct signals {
	ev_signal intr, term, hup, usr1;
	int stop_signal;
};

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct swd *d = ev_userdata(loop);

	(void)revents;
	d->stopping = true;
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	log_warnx(
		"SIGHUP: live reload is not supported yet; restart to apply a new config");
}

static void usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct swd *d = ev_userdata(loop);
	struct port *p;
	uint32_t i;

	(void)w;
	(void)revents;
	log_info("stats: %u ports, %u of %u mac entries, up %llu s",
		 d->sw.nports, d->sw.mt.count, d->sw.mt.max,
		 (unsigned long long)((swd_clock_ms() - d->start_ms) / 1000));
	port_foreach(&d->sw, p, i)
		swd_log_port_stats(p, "stats");
	listener_log_stats(d);
}

static void signals_start(struct ev_loop *loop, struct signals *s)
{
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&s->intr, stop_cb, SIGINT);
	ev_signal_init(&s->term, stop_cb, SIGTERM);
	ev_signal_init(&s->hup, hup_cb, SIGHUP);
	ev_signal_init(&s->usr1, usr1_cb, SIGUSR1);
	ev_signal_start(loop, &s->intr);
	ev_signal_start(loop, &s->term);
	ev_signal_start(loop, &s->hup);
	ev_signal_start(loop, &s->usr1);
}

static void signals_stop(struct ev_loop *loop, struct signals *s)
{
	ev_signal_stop(loop, &s->intr);
	ev_signal_stop(loop, &s->term);
	ev_signal_stop(loop, &s->hup);
	ev_signal_stop(loop, &s->usr1);
}

static int check_config(const char *path)
{
	struct sw_config c;
	char err[ERRLEN];
	int rc;

	config_init(&c);
	rc = config_load(&c, path, err, sizeof(err));
	config_fini(&c);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: configuration OK\n", path);
	return 0;
}

static void load_config(struct swd *d, struct flags *f)
{
	char err[ERRLEN];

	config_init(&d->cfg);
	if (f->config && config_load(&d->cfg, f->config, err, sizeof(err)) < 0)
		fatalx("%s", err);
	apply_flags(&d->cfg, f);
	if (!d->cfg.nlisten)
		default_listeners(&d->cfg);
	absolutize_paths(&d->cfg);
	if (d->cfg.core.txq_bytes < d->cfg.core.max_frame)
		fatalx("tx queue bytes %zu is below the maximum frame %u",
		       d->cfg.core.txq_bytes, d->cfg.core.max_frame);
	if (getrandom(&d->cfg.core.hash_secret, sizeof(d->cfg.core.hash_secret),
		      0) < 0)
		d->cfg.core.hash_secret =
			(uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^
			swd_clock_ms();
}

static void start(struct swd *d, struct ev_loop *loop)
{
	int notify_fd = -1, rc;
	size_t i;

	rc = swd_init(d, loop);
	if (rc < 0)
		fatalx("cannot start the switch: %s", strerror(-rc));
	for (i = 0; i < d->cfg.nlisten; i++) {
		if (listener_open(d, &d->cfg.listen[i]) < 0) {
			listener_close_all(d);
			fatalx("cannot listen on %s; not starting",
			       d->cfg.listen[i].url);
		}
	}
	listener_print_all(d, stdout);
	if (d->cfg.daemon)
		notify_fd = daemonize();
	if (d->cfg.pidfile && pidfile_write(d->cfg.pidfile) < 0) {
		listener_close_all(d);
		exit(1);
	}
	printf("ready pid=%ld: %zu listener%s, mac table %u, max ports %u%s\n",
	       (long)getpid(), d->cfg.nlisten, d->cfg.nlisten == 1 ? "" : "s",
	       d->cfg.core.mac_table_size, d->cfg.core.max_ports,
	       d->cfg.core.hub ? ", hub mode" : "");
	fflush(stdout);
	if (notify_fd >= 0)
		daemon_ready(loop, notify_fd);
}

int main(int argc, char **argv)
{
	struct flags f = { 0 };
	struct signals sigs = { 0 };
	struct swd d = { 0 };
	struct ev_loop *loop;

	config_init(&f.listen);
	parse_flags(argc, argv, &f);
	if (f.check) {
		config_fini(&f.listen);
		return check_config(f.check);
	}
	load_config(&d, &f);
	config_fini(&f.listen);
	log_init(d.cfg.log_level, false);
	raise_fd_limit(d.cfg.core.max_ports);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop)
		fatalx("cannot initialise libev");
	start(&d, loop);
	signals_start(loop, &sigs);
	ev_run(loop, 0);

	listener_close_all(&d);
	swd_close_all_ports(&d, "switch stopping");
	signals_stop(loop, &sigs);
	swd_fini(&d);
	if (d.cfg.pidfile)
		unlink(d.cfg.pidfile);
	config_fini(&d.cfg);
	ev_loop_destroy(loop);
	log_info("stopped");
	return 0;
}
