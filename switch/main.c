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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "control/control.h"
#include "sockswitchd.h"
#include "transport/uplink.h"

struct log_state log_state = { .level = LOG_LVL_INFO };

#define DEFAULT_TCP "tcp:127.0.0.1:1234"
#define ERRLEN 1024
#define EXIT_USAGE 2

/**
 * struct flags - what the command line said, applied over the config file
 * @listen:	--listen URLs (a temporary config holds them)
 * @nverbose:	number of -v less the number of -q
 * @verbose:	-v was given
 * @set:	which of the values below were given
 * @v:		the values
 */
struct flags {
	struct swd_config listen;
	int nverbose;
	bool verbose;
	struct {
		bool hub, mac_table_size, ageing, hold_down, max_ports;
		bool max_frame, txq_frames, txq_bytes, socket_mode, log_level;
		bool pidfile, daemon, control, metrics, queue_budget;
		bool capture_budget;
		bool dgram_idle;
		bool stp;
	} set;
	struct {
		bool hub, daemon;
		uint64_t mac_table_size, ageing, hold_down, max_ports;
		uint64_t max_frame, txq_frames, txq_bytes;
		uint64_t queue_budget, capture_budget;
		int socket_mode;
		enum log_level log_level;
		const char *pidfile;
		uint64_t dgram_idle;
		const char *control;
		const char *metrics;
	} v;
	const char *config;
	const char *check;
	int ready_fd;
	const char *capture;
};

/**
 * struct build_ctx - what building a config (at start and on reload) needs
 * @f:		the command line
 * @config:	absolute path of --config, or NULL
 * @cwd:	working directory at start (relative paths are from there)
 * @sockdir:	default socket directory, once looked up
 * @sockdir_err: why it is unusable, once looked up
 * @sockdir_done: looked up
 */
struct build_ctx {
	struct flags *f;
	char *config;
	char cwd[PATH_MAX];
	char sockdir[PATH_MAX];
	char sockdir_err[2 * PATH_MAX + 128];
	bool sockdir_done;
};

enum {
	OPT_HUB = 256,
	OPT_STP,
	OPT_MAC_TABLE_SIZE,
	OPT_AGEING,
	OPT_HOLD_DOWN,
	OPT_MAX_PORTS,
	OPT_MAX_FRAME,
	OPT_TXQ_FRAMES,
	OPT_TXQ_BYTES,
	OPT_QUEUE_BUDGET,
	OPT_CAPTURE_BUDGET,
	OPT_SOCKET_MODE,
	OPT_LOG_LEVEL,
	OPT_DGRAM_IDLE,
	OPT_CONTROL,
	OPT_READY_FD,
	OPT_METRICS,
	OPT_CAPTURE,
	OPT_UPLINK,
	OPT_CONNECT,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "uplink", required_argument, NULL, OPT_UPLINK },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", required_argument, NULL, 'n' },
	{ "hub", no_argument, NULL, OPT_HUB },
	{ "stp", no_argument, NULL, OPT_STP },
	{ "mac-table-size", required_argument, NULL, OPT_MAC_TABLE_SIZE },
	{ "ageing", required_argument, NULL, OPT_AGEING },
	{ "aging", required_argument, NULL, OPT_AGEING },
	{ "hold-down", required_argument, NULL, OPT_HOLD_DOWN },
	{ "max-ports", required_argument, NULL, OPT_MAX_PORTS },
	{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
	{ "tx-queue-frames", required_argument, NULL, OPT_TXQ_FRAMES },
	{ "tx-queue-bytes", required_argument, NULL, OPT_TXQ_BYTES },
	{ "queue-budget", required_argument, NULL, OPT_QUEUE_BUDGET },
	{ "capture-budget", required_argument, NULL, OPT_CAPTURE_BUDGET },
	{ "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
	{ "dgram-idle", required_argument, NULL, OPT_DGRAM_IDLE },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "foreground", no_argument, NULL, 'f' },
	{ "daemon", no_argument, NULL, 'd' },
	{ "pidfile", required_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
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
		"-netdev socket,connect=, -netdev dgram (unix or inet), -netdev socket,udp=,\n"
		"-netdev vde (a vde:DIR listener) and -netdev vhost-user (a vhost-user:PATH\n"
		"listener: guest memory shared, no system call per frame). With no options\n"
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
		"                              udp:HOST:PORT    UDP (udp:[ADDR]:PORT for IPv6):\n"
		"                                               each source address is a port\n"
		"                              unixgram:PATH    unix datagram socket: each\n"
		"                                               source path is a port\n"
		"                              vde:DIR          like vde_switch, for qemu\n"
		"                                               -netdev vde,sock=DIR and\n"
		"                                               vde_plug vde:///DIR\n"
		"                              vhost-user:PATH  vhost-user backend for QEMU\n"
		"                                               -netdev vhost-user and DPDK's\n"
		"                                               virtio-user; the guest's RAM\n"
		"                                               must be shared (memfd,share=on;\n"
		"                                               docs/vhost-user.md)\n"
		"                            PORT 0 picks a free port (printed at start).\n"
		"                            Give each QEMU guest its own mac=.\n"
		"  -c, --config FILE         read settings from a JSON file (docs/config.md);\n"
		"                            options given here override the file\n"
		"  -n, --check-config FILE   check FILE, print the first problem as\n"
		"                            FILE:LINE:COL: $.path: message; exit 0 or 1\n"
		"      --socket-mode MODE    permissions of unix sockets (octal, default 0600)\n"
		"      --dgram-idle SECONDS  close a udp:/unixgram: port after this long\n"
		"                            without a datagram from it (default %u)\n"
		"      --metrics URL         serve Prometheus metrics (GET /metrics) on\n"
		"                            tcp:HOST:PORT or unix:PATH (docs/metrics.md)\n"
		"      --capture SPEC        capture packets to a pcap file or FIFO from the\n"
		"                            start: port=all,file=PATH[,max-frames=N]\n"
		"                            [,max-bytes=N][,snaplen=N][,buffer=N]\n"
		"                            [,filter=BPF EXPR] (docs/capture.md)\n"
		"      --capture-budget BYTES\n"
		"                            bound on the buffers of all captures\n"
		"                            together (default 64 MiB)\n"
		"      --control PATH        control socket for sockswitchctl (docs/control.md);\n"
		"                            default: control.sock beside the default unix\n"
		"                            socket, mode 0600; `none' turns it off\n"
		"\n"
		"Uplinks (ports the switch opens itself; repeatable, added to the config's;\n"
		"a missing device or peer is retried with backoff, see docs/uplinks.md):\n"
		"      --uplink tap:NAME     attach to persistent tap NAME made for this user\n"
		"                            (ip tuntap add dev NAME mode tap user USER)\n"
		"      --uplink tap-fd:N     use tap descriptor N passed by the parent\n"
		"      --uplink bridge:BRIDGE[,helper=PATH]\n"
		"                            get a tap on BRIDGE from qemu-bridge-helper\n"
		"      --uplink slirp[,OPTION=VALUE...]  user-mode NAT (-netdev user options)\n"
		"                            with DHCP and DNS for every guest, e.g.\n"
		"                            slirp,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:2222-:22\n"
		"                            OPTION: net host dhcpstart dns hostname domainname\n"
		"                            dnssearch restrict hostfwd tftp bootfile ipv6\n"
		"                            ipv6-net ipv6-host ipv6-dns (hostfwd, dnssearch\n"
		"                            repeatable; at most 16 DHCP leases)\n"
		"      --uplink passt        start passt (NAT for one guest) as a child\n"
		"      --uplink passt:PATH   connect to a running passt's socket\n"
		"      --uplink mcast:GROUP:PORT[,localaddr=ADDR][,ttl=N][,loop=on|off]\n"
		"                            join a QEMU multicast hub (-netdev socket,mcast=\n"
		"                            GROUP:PORT): IPv4 group, one frame per datagram;\n"
		"                            without a multicast route use localaddr=127.0.0.1\n"
		"                            (as the guests do); ttl 0-255 (1), loop (on)\n"
		"      --uplink vxlan,vni=N,remote=ADDR[,remote=ADDR...][,local=ADDR][,port=P]\n"
		"                   [,ttl=N]  VXLAN to kernel vxlan devices, Open vSwitch or\n"
		"                            another sockswitch on other machines: one port\n"
		"                            per remote VTEP (IPv4 or IPv6); port 4789 (the\n"
		"                            kernel's own default is 8472); guests' MTU: the\n"
		"                            path's less 50 (IPv4) or 70 (IPv6)\n"
		"      --connect URL         dial unix:PATH or tcp:HOST:PORT (a QEMU guest with\n"
		"                            -netdev stream,server=on, another sockswitch) and\n"
		"                            redial whenever the peer goes away\n"
		"\n"
		"Switching:\n"
		"      --hub                 flood every frame to every other port, learn nothing\n"
		"      --stp                 802.1D spanning tree (as the Linux bridge's): loops\n"
		"                            between switches block instead of storming; guest\n"
		"                            ports still forward at once (config \"stp\": {...})\n"
		"      --mac-table-size N    bound on learned addresses (default %u); a port\n"
		"                            holds at most half; when full, a new address\n"
		"                            evicts the oldest of the port holding the most\n"
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
		"      --queue-budget BYTES  bound on the frames queued on all ports\n"
		"                            together (default: RAM / 16, within 64 MiB\n"
		"                            and 1 GiB); a port holding more than what is\n"
		"                            left of it drops first (tx_budget)\n"
		"\n"
		"Process:\n"
		"  -f, --foreground          stay in the foreground, log to stderr (default)\n"
		"  -d, --daemon              detach after the listeners are up, log to syslog\n"
		"  -p, --pidfile FILE        write the process id to FILE, removed at exit\n"
		"      --ready-fd N          write READY=1 and a newline to descriptor N, then\n"
		"                            close it, once the listeners are up (under\n"
		"                            systemd, Type=notify works without this)\n"
		"  -v, --verbose             more log output: debug messages too (one level\n"
		"                            up from --log-level or the config's level);\n"
		"                            on a terminal, lines get timestamps\n"
		"  -q, --quiet               less log output: warnings and errors only;\n"
		"                            -qq: errors only (-v and -q move the level\n"
		"                            one step each, both ways)\n"
		"      --log-level LEVEL     error, warning, info (default) or debug;\n"
		"                            sockswitchctl log-level LEVEL changes it at\n"
		"                            run time. Under systemd (stderr is the journal,\n"
		"                            $JOURNAL_STREAM), lines start with <N>, their\n"
		"                            syslog priority (3 error ... 7 debug)\n"
		"  -V, --version             print the version and exit\n"
		"  -h, --help                print this help and exit\n"
		"\n"
		"Signals: SIGINT/SIGTERM stop the switch (sockets removed, exit 0);\n"
		"SIGHUP re-reads the config file and applies the difference, keeping\n"
		"attached ports (a broken file changes nothing); SIGUSR1 logs one line\n"
		"of counters per port. sockswitchctl shows and steers a running switch.\n"
		"\n"
		"Example, two guests on one LAN:\n"
		"  sockswitch &\n"
		"  qemu-system-x86_64 ... -netdev stream,id=n0,server=off,addr.type=unix,\\\n"
		"      addr.path=$XDG_RUNTIME_DIR/sockswitch/switch.sock \\\n"
		"      -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01\n"
		"  qemu-system-x86_64 ... -netdev socket,id=n0,connect=127.0.0.1:1234 \\\n"
		"      -device e1000,netdev=n0,mac=52:54:00:00:00:02\n"
		"QEMU 7.2 stream/socket clients do not reconnect: restart the guests after\n"
		"restarting the switch.\n"
		"\n"
		"Exit status: 0 stopped by a signal (or --check-config: OK); 1 cannot\n"
		"start or run (a bad config, a socket or pidfile in use or not\n"
		"writable); 2 usage error.\n",
		DGRAM_IDLE_DEFAULT_S, SW_MAC_TABLE_DEFAULT, SW_AGEING_DEFAULT_S,
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
	exit(EXIT_USAGE);
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

static int check_capture_spec(const char *spec, char *err, size_t errlen)
{
	struct capture_spec cs;
	char *copy = strdup(spec);
	int rc;

	if (!copy)
		fatalx("out of memory");
	rc = capture_spec_parse(copy, &cs, err, errlen);
	free(copy);
	return rc;
}

static void parse_flags(int argc, char **argv, struct flags *f)
{
	struct listen_addr addr;
	char err[ERRLEN];
	int c;

	while ((c = getopt_long(argc, argv, "l:c:n:fdp:vqVh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'l':
			if (config_add_listen(
				    &f->listen, optarg, CONFIG_MODE_UNSET,
				    CONFIG_GID_UNSET, err, sizeof(err)) < 0)
				die_usage("%s: %s", "--listen", err);
			break;
		case OPT_UPLINK:
		case OPT_CONNECT:
			if (config_add_uplink(&f->listen, optarg,
					      c == OPT_CONNECT, err,
					      sizeof(err)) < 0)
				die_usage("%s: %s",
					  c == OPT_CONNECT ? "--connect"
							   : "--uplink",
					  err);
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
		case OPT_STP:
			f->set.stp = true;
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
		case OPT_QUEUE_BUDGET:
			f->set.queue_budget = true;
			f->v.queue_budget =
				parse_num("--queue-budget", optarg,
					  QUEUE_BUDGET_MIN, QUEUE_BUDGET_MAX);
			break;
		case OPT_CAPTURE_BUDGET:
			f->set.capture_budget = true;
			f->v.capture_budget = parse_num(
				"--capture-budget", optarg, CAPTURE_BUDGET_MIN,
				CAPTURE_BUDGET_MAX);
			break;
		case OPT_DGRAM_IDLE:
			f->set.dgram_idle = true;
			f->v.dgram_idle = parse_num("--dgram-idle", optarg, 1,
						    DGRAM_IDLE_MAX_S);
			break;
		case OPT_SOCKET_MODE:
			f->set.socket_mode = true;
			f->v.socket_mode = parse_mode("--socket-mode", optarg);
			break;
		case OPT_METRICS:
			f->set.metrics = true;
			f->v.metrics = optarg;
			if (endpoint_url_parse(optarg, &addr, err,
					       sizeof(err)) < 0)
				die_usage("%s: %s", "--metrics", err);
			break;
		case OPT_CAPTURE:
			f->capture = optarg;
			if (check_capture_spec(optarg, err, sizeof(err)) < 0)
				die_usage("%s: %s", "--capture", err);
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
			f->verbose = true;
			break;
		case 'q':
			f->nverbose--;
			break;
		case OPT_LOG_LEVEL:
			f->set.log_level = true;
			if (log_level_parse(optarg, &f->v.log_level) < 0)
				die_usage(
					"%s: `%s' is not error, warning, info or debug",
					"--log-level", optarg);
			break;
		case OPT_CONTROL:
			f->set.control = true;
			f->v.control = optarg;
			break;
		case OPT_READY_FD:
			f->ready_fd = (int)parse_num("--ready-fd", optarg, 0,
						     INT_MAX);
			if (fcntl(f->ready_fd, F_GETFD) < 0)
				die_usage(
					"--ready-fd: %d is not an open descriptor",
					f->ready_fd);
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
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die_usage("%s `%s'", "unexpected argument", argv[optind]);
}

/* @level moved @steps towards debug (-v) or error (-q), within bounds. */
static enum log_level verbosity(enum log_level level, int steps)
{
	int l = (int)level + steps;

	if (l < LOG_LVL_ERROR)
		l = LOG_LVL_ERROR;
	if (l > LOG_LVL_DEBUG)
		l = LOG_LVL_DEBUG;
	return (enum log_level)l;
}

static int apply_flags(struct swd_config *c, const struct flags *f, char *err,
		       size_t errlen)
{
	size_t i;
	int rc;

	if (f->listen.nlisten)
		config_clear_listen(c);
	for (i = 0; i < f->listen.nlisten; i++) {
		const struct listen_cfg *l = &f->listen.listen[i];

		if (config_add_listen(c, l->url, l->mode, l->group, err,
				      errlen) < 0)
			return -EINVAL;
	}
	if (f->set.control) {
		free(c->control.path);
		c->control.path = NULL;
		c->control.off = !strcmp(f->v.control, "none");
		if (!c->control.off &&
		    (rc = path_expand_dup(f->v.control, &c->control.path, err,
					  errlen)) < 0)
			return rc;
	}
	if (f->listen.nuplinks && config_copy_uplinks(c, &f->listen) < 0)
		fatalx("out of memory");
	if (f->set.hub)
		c->core.hub = f->v.hub;
	if (f->set.stp)
		c->stp_on = true; /* the config's "stp" settings, if any */
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
	if (f->set.queue_budget)
		c->core.queue_budget = (size_t)f->v.queue_budget;
	if (f->set.capture_budget)
		c->capture_budget = (size_t)f->v.capture_budget;
	if (f->set.socket_mode)
		c->socket_mode = f->v.socket_mode;
	if (f->set.dgram_idle)
		c->dgram_idle_s = (uint32_t)f->v.dgram_idle;
	if (f->set.log_level)
		c->log_level = f->v.log_level;
	if (f->nverbose)
		c->log_level = verbosity(c->log_level, f->nverbose);
	if (f->set.daemon)
		c->daemon = f->v.daemon;
	if (f->set.metrics) {
		free(c->metrics);
		if (!(c->metrics = strdup(f->v.metrics)))
			return -ENOMEM;
	}
	if (f->set.pidfile) {
		free(c->pidfile);
		c->pidfile = NULL;
		rc = path_expand_dup(f->v.pidfile, &c->pidfile, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * $XDG_RUNTIME_DIR/sockswitch, or /tmp/sockswitch-UID: ours, mode 0700.
 * Looked up once; Return: the directory, or NULL with the reason in @b.
 */
static const char *default_socket_dir(struct build_ctx *b)
{
	char *out = b->sockdir, *err = b->sockdir_err, rt[PATH_MAX];
	size_t len = sizeof(b->sockdir), elen = sizeof(b->sockdir_err);
	struct stat st;

	if (b->sockdir_done)
		return err[0] ? NULL : out;
	b->sockdir_done = true;
	/* the runtime dir that %t in a config names */
	if (path_runtime_dir(rt, sizeof(rt)) > 0)
		snprintf(out, len, "%.*s/sockswitch", (int)(len - 12), rt);
	else
		snprintf(out, len, "%.*s", (int)(len - 1), rt);
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		snprintf(err, elen, "cannot create %s: %s", out,
			 strerror(errno));
	else if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		snprintf(err, elen,
			 "%s is not a directory; remove it or use --listen",
			 out);
	else if (st.st_uid != getuid())
		snprintf(err, elen,
			 "%s belongs to uid %u, not to you; use --listen", out,
			 (unsigned)st.st_uid);
	else if (st.st_mode & 077)
		snprintf(
			err, elen,
			"%s is open to other users (mode %04o); run chmod 700 %s or use --listen",
			out, (unsigned)(st.st_mode & 07777), out);
	return err[0] ? NULL : out;
}

static int default_listeners(struct swd_config *c, struct build_ctx *b,
			     char *err, size_t errlen)
{
	const char *dir = default_socket_dir(b);
	char url[PATH_MAX + 32];

	if (!dir) {
		snprintf(err, errlen, "%s", b->sockdir_err);
		return -EINVAL;
	}
	snprintf(url, sizeof(url), "unix:%s/switch.sock", dir);
	if (config_add_listen(c, url, CONFIG_MODE_UNSET, CONFIG_GID_UNSET, err,
			      errlen) < 0 ||
	    config_add_listen(c, DEFAULT_TCP, CONFIG_MODE_UNSET,
			      CONFIG_GID_UNSET, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

/* The control socket: as configured, or beside the default data socket. */
static int default_control(struct swd_config *c, struct build_ctx *b)
{
	const char *dir;

	if (c->control.off || c->control.path)
		return 0;
	dir = default_socket_dir(b);
	if (!dir) {
		log_warnx("running without a control socket: %s",
			  b->sockdir_err);
		c->control.off = true;
		return 0;
	}
	if (asprintf(&c->control.path, "%s/control.sock", dir) < 0) {
		c->control.path = NULL;
		return -ENOMEM;
	}
	c->control.is_default = true;
	return 0;
}

/* Make a relative path absolute from @cwd (in place, @size bytes). */
static int absolutize(char *path, size_t size, const char *cwd, char *err,
		      size_t errlen)
{
	char abs[PATH_MAX * 2];

	if (path[0] == '/')
		return 0;
	snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	if (strlen(abs) >= size) {
		snprintf(err, errlen,
			 "%s: the absolute path %s is longer than %zu bytes",
			 path, abs, size - 1);
		return -ENAMETOOLONG;
	}
	strcpy(path, abs);
	return 0;
}

static int absolutize_dup(char **path, const char *cwd)
{
	char *abs;

	if (!*path || (*path)[0] == '/')
		return 0;
	if (asprintf(&abs, "%s/%s", cwd, *path) < 0)
		return -ENOMEM;
	free(*path);
	*path = abs;
	return 0;
}

/* A daemon changes directory to /: make relative socket paths absolute. */
static int absolutize_paths(struct swd_config *c, const char *cwd, char *err,
			    size_t errlen)
{
	struct listen_addr *a;
	size_t i;

	for (i = 0; i < c->nlisten; i++) {
		a = &c->listen[i].addr;
		if (listen_addr_is_file(a) &&
		    absolutize(a->path, sizeof(a->path), cwd, err, errlen) < 0)
			return -ENAMETOOLONG;
	}
	if (config_absolutize_uplinks(c, cwd, err, errlen) < 0)
		return -ENAMETOOLONG;
	if (absolutize_dup(&c->pidfile, cwd) < 0 ||
	    absolutize_dup(&c->control.path, cwd) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
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

/* A reload that raises max_ports raises the descriptor limit with it. */
static void fd_limit_commit(struct swd *d, const struct swd_config *oldc,
			    const struct swd_config *newc, void *opaque)
{
	(void)d;
	(void)opaque;
	if (newc->core.max_ports > oldc->core.max_ports)
		raise_fd_limit(newc->core.max_ports);
}

static const struct reload_hook fd_limit_hook = {
	.name = "open file limit",
	.commit = fd_limit_commit,
};

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
	log_init(log_state.level, true, false);
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
	struct swd *d = ev_userdata(loop);
	char err[ERRLEN], sum[ERRLEN];

	(void)w;
	(void)revents;
	notify_status("RELOADING=1");
	swd_reload(d, "SIGHUP", err, sizeof(err), sum, sizeof(sum));
	notify_status("READY=1");
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

/**
 * check_dir_warn() - --check-config: a directory the config needs is not
 *		      there (a warning: the switch makes what it can)
 * @opaque:	the config file's name
 * @dir:	the directory
 * @what:	what needs it
 * @rc:		1: missing; negative: not a directory or not reachable
 */
static void check_dir_warn(void *opaque, const char *dir, const char *what,
			   int rc)
{
	const char *file = opaque;

	if (rc > 0)
		fprintf(stderr,
			"%s: warning: directory %s for %s does not exist; sockswitch will create it (mode 0700) at start\n",
			file, dir, what);
	else
		fprintf(stderr,
			"%s: warning: directory %s for %s cannot be used: %s; sockswitch will fail to start\n",
			file, dir, what, strerror(-rc));
}

/**
 * check_config() - --check-config FILE: load it, report the first error,
 *		    warn about directories it needs that are missing
 * @path:	the config file
 *
 * Return: the exit status: 0 (valid, maybe with warnings) or 1
 */
static int check_config(const char *path)
{
	struct swd_config c;
	char err[ERRLEN];
	int rc;

	config_init(&c);
	rc = config_load(&c, path, err, sizeof(err));
	if (rc == 0)
		config_missing_dirs(&c, check_dir_warn,
				    (void *)(uintptr_t)path);
	config_fini(&c);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: configuration OK\n", path);
	return 0;
}

/* Bytes of physical memory, or 0 if the system does not say. */
static uint64_t physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/**
 * build_config() - the config file, then the flags, then the defaults
 * @out:	uninitialised; filled on success, empty on failure
 * @err:	on failure, the first problem
 * @errlen:	size of @err
 * @opaque:	struct build_ctx
 *
 * Used at start and by every reload (reload_build_fn).
 *
 * Return: 0 on success, negative error code on failure
 */
static int build_config(struct swd_config *out, char *err, size_t errlen,
			void *opaque)
{
	struct build_ctx *b = opaque;
	int rc = 0;

	config_init(out);
	if (b->config)
		rc = config_load(out, b->config, err, errlen);
	if (rc == 0)
		rc = apply_flags(out, b->f, err, errlen);
	if (rc == 0 && !out->nlisten)
		rc = default_listeners(out, b, err, errlen);
	if (rc == 0)
		rc = default_control(out, b);
	if (rc == 0)
		rc = absolutize_paths(out, b->cwd, err, errlen);
	if (rc == 0 && !out->core.queue_budget)
		out->core.queue_budget =
			config_default_queue_budget(physical_memory());
	if (rc == 0 && out->core.txq_bytes < out->core.max_frame) {
		snprintf(err, errlen,
			 "tx queue bytes %zu is below the maximum frame %u",
			 out->core.txq_bytes, out->core.max_frame);
		rc = -EINVAL;
	}
	if (rc < 0)
		config_fini(out);
	return rc;
}

static void load_config(struct swd *d, struct build_ctx *b)
{
	char err[ERRLEN];

	if (!getcwd(b->cwd, sizeof(b->cwd)))
		fatalx("getcwd: %s", strerror(errno));
	if (b->f->config) {
		b->config = strdup(b->f->config);
		if (!b->config || absolutize_dup(&b->config, b->cwd) < 0)
			fatalx("out of memory");
	}
	if (build_config(&d->cfg, err, sizeof(err), b) < 0)
		fatalx("%s", err);
	if (getrandom(&d->cfg.core.hash_secret, sizeof(d->cfg.core.hash_secret),
		      0) < 0)
		d->cfg.core.hash_secret =
			(uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^
			swd_clock_ms();
}

/* --capture: a whole-switch capture from the start. */
static void start_capture(struct swd *d, const char *spec)
{
	struct capture_spec cs;
	char err[ERRLEN], *copy;

	if (!spec)
		return;
	copy = strdup(spec);
	if (!copy || capture_spec_parse(copy, &cs, err, sizeof(err)) < 0 ||
	    capture_start(d, &cs, err, sizeof(err)) < 0) {
		listener_close_all(d);
		ctl_close(d);
		metrics_stop(d);
		fatalx("--capture: %s", copy ? err : "out of memory");
	}
	free(copy);
}

/* A listener or the control socket failed: why, with the fix. */
static void __attribute__((noreturn))
start_failed(struct swd *d, const char *what, const char *path, int rc,
	     const char *fix)
{
	char hint[PATH_MAX + 256] = "";

	listener_close_all(d);
	ctl_close(d);
	if (path)
		path_hint(path, -rc, hint, sizeof(hint));
	fatalx("cannot %s: %s%s; not starting%s", what, strerror(-rc), hint,
	       fix);
}

static bool is_unix_kind(const struct listen_addr *a)
{
	return listen_addr_is_file(a);
}

static void start_listeners(struct swd *d)
{
	char what[PATH_MAX + 64];
	size_t i;
	int rc;

	for (i = 0; i < d->cfg.nlisten; i++) {
		const struct listen_cfg *lc = &d->cfg.listen[i];

		rc = listener_open(d, &d->cfg, lc);
		if (rc < 0) {
			snprintf(what, sizeof(what), "listen on %s", lc->url);
			start_failed(d, what,
				     is_unix_kind(&lc->addr) ? lc->addr.path
							     : NULL,
				     rc, "");
		}
	}
	rc = ctl_open(d, &d->cfg);
	if (rc < 0) {
		snprintf(what, sizeof(what), "open the control socket %s",
			 d->cfg.control.path);
		start_failed(
			d, what, d->cfg.control.path, rc,
			" (--control PATH puts it elsewhere, --control none runs without one)");
	}
}

static void start(struct swd *d, struct ev_loop *loop, struct build_ctx *b,
		  int pidfd)
{
	int notify_fd = -1, rc;
	char status[256];

	rc = swd_init(d, loop);
	if (rc < 0 || (rc = swd_log_hook_register(d)) < 0 ||
	    (rc = capture_init(d)) < 0)
		fatalx("cannot start the switch: %s", strerror(-rc));
	if (ctl_cmds_register(d) < 0 || capture_ctl_register(d) < 0 ||
	    reload_set_builder(d, build_config, b) < 0 ||
	    listeners_register(d) < 0 || ctl_reload_register(d) < 0 ||
	    reload_hook_add(d, &fd_limit_hook) < 0 ||
	    uplinks_reload_register(d) < 0 || uplink_cmds_register(d) < 0)
		fatalx("out of memory");
	start_listeners(d);
	if (metrics_init(d) < 0) {
		listener_close_all(d);
		ctl_close(d);
		fatalx("cannot serve metrics on %s; not starting",
		       d->cfg.metrics ? d->cfg.metrics : "(out of memory)");
	}
	start_capture(d, b->f->capture);
	listener_print_all(d, stdout);
	metrics_print(d, stdout);
	if (ctl_path(d))
		printf("control socket %s  sockswitchctl -s %s status\n",
		       ctl_path(d), ctl_path(d));
	if (d->cfg.daemon)
		notify_fd = daemonize();
	if (pidfd >= 0 && pidfile_write(pidfd, d->cfg.pidfile) < 0) {
		listener_close_all(d);
		ctl_close(d);
		exit(1);
	}
	if (notify_fd >= 0)
		ev_loop_fork(loop);
	swd_stp_apply(d, &d->cfg);
	uplinks_add(d, d->cfg.uplinks, d->cfg.nuplinks);
	printf("ready pid=%ld: %zu listener%s, mac table %u, max ports %u%s%s\n",
	       (long)getpid(), d->cfg.nlisten, d->cfg.nlisten == 1 ? "" : "s",
	       d->cfg.core.mac_table_size, d->cfg.core.max_ports,
	       d->cfg.core.hub ? ", hub mode" : "",
	       d->cfg.stp_on ? ", spanning tree" : "");
	fflush(stdout);
	snprintf(status, sizeof(status), "%zu listeners, control %s",
		 d->cfg.nlisten, ctl_path(d) ? ctl_path(d) : "off");
	notify_ready(b->f->ready_fd, status);
	if (notify_fd >= 0)
		daemon_ready(loop, notify_fd);
}

int main(int argc, char **argv)
{
	struct flags f = { .ready_fd = -1 };
	struct build_ctx b = { .f = &f };
	struct signals sigs = { 0 };
	struct swd d = { 0 };
	struct ev_loop *loop;
	int pidfd = -1;

	config_init(&f.listen);
	parse_flags(argc, argv, &f);
	/* Start-up errors reach the journal with their priority too. */
	log_init(LOG_LVL_INFO, false, false);
	if (f.check) {
		config_fini(&f.listen);
		return check_config(f.check);
	}
	load_config(&d, &b);
	log_init(d.cfg.log_level, false, f.verbose);
	/* Before any listener: a pidfile in use or not writable stops us
	 * before anything is printed or bound. */
	if (d.cfg.pidfile && (pidfd = pidfile_open(d.cfg.pidfile)) < 0)
		exit(1);
	raise_fd_limit(d.cfg.core.max_ports);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop)
		fatalx("cannot initialise libev");
	start(&d, loop, &b, pidfd);
	signals_start(loop, &sigs);
	ev_run(loop, 0);

	notify_status("STOPPING=1");
	listener_close_all(&d);
	ctl_close(&d);
	metrics_stop(&d);
	swd_close_all_ports(&d, "switch stopping");
	capture_fini(&d);
	signals_stop(loop, &sigs);
	ctl_fini(&d);
	reload_fini(&d);
	swd_fini(&d);
	pidfile_close(pidfd, d.cfg.pidfile);
	config_fini(&d.cfg);
	config_fini(&f.listen);
	free(b.config);
	ev_loop_destroy(loop);
	log_info("stopped");
	return 0;
}
