// SPDX-License-Identifier: MIT
/*
 * sockswitchctl.c - show and steer a running sockswitch
 *
 * Connects to the daemon's control socket (the default one, found the way
 * the daemon computes it, or -s PATH), sends one QMP-style request per
 * subcommand and prints the answer as a table, or as JSON with --json.
 * `events' subscribes and prints the event stream; `top' polls the port
 * counters and shows rates. docs/control.md describes the protocol.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "sockswitchctl.h"

#define REPLY_TIMEOUT_S 10

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sockswitchctl [-s PATH] [--json] COMMAND [ARGS]\n"
		"Show and steer a running sockswitch through its control socket.\n"
		"\n"
		"Commands:\n"
		"  status                 version, uptime, config, counts, limits, listeners\n"
		"  ports                  every port: state, counters, drops by reason\n"
		"  macs [PORT]            learned addresses: VLAN, MAC, port, age\n"
		"  events [-n COUNT]      follow the event stream (ports up/down, MACs\n"
		"                         learned/moved/aged, table full, reloads);\n"
		"                         -n: stop after COUNT events\n"
		"  top [-i SECONDS] [-n COUNT]\n"
		"                         live per-port rates, refreshed every SECONDS\n"
		"                         (default 1); q or Ctrl-C quits; when stdout is\n"
		"                         not a terminal, prints one table per interval\n"
		"  disable PORT           stop forwarding to and from PORT\n"
		"  enable PORT            forward to and from PORT again\n"
		"  close PORT             disconnect PORT\n"
		"  flush [PORT]           forget learned addresses (all, or PORT's)\n"
		"  reload                 re-read the config file, apply the difference\n"
		"  capture start|stop [KEY=VALUE]...\n"
		"                         packet capture (capture-start / capture-stop;\n"
		"                         KEY=VALUE pairs become its arguments)\n"
		"  raw JSON               send one request as is, print the reply line,\n"
		"                         e.g. raw '{\"execute\": \"query-commands\"}'\n"
		"PORT is a port number or name (as `ports' shows them).\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH      the control socket (default: $SOCKSWITCH_CONTROL,\n"
		"                         else $XDG_RUNTIME_DIR/sockswitch/control.sock,\n"
		"                         else /tmp/sockswitch-UID/control.sock, as the\n"
		"                         daemon chooses it)\n"
		"  -j, --json             print replies as JSON (events: one per line)\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"Exit status: 0 done, 1 the switch refused the command, 2 usage error,\n"
		"3 the switch is not reachable.\n");
}

static void __attribute__((format(printf, 1, 2), noreturn))
die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sockswitchctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'sockswitchctl --help' for more information.\n");
	exit(EXIT_USAGE);
}

/* The daemon's default: $XDG_RUNTIME_DIR/sockswitch or /tmp/sockswitch-UID. */
static const char *default_socket(char *buf, size_t len)
{
	const char *env = getenv("SOCKSWITCH_CONTROL"),
		   *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (env && *env)
		return env;
	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(buf, len, "%s/sockswitch/control.sock", xdg);
	else
		snprintf(buf, len, "/tmp/sockswitch-%u/control.sock",
			 (unsigned)getuid());
	return buf;
}

/**
 * ctl_die_conn() - the connection failed: say so plainly and exit
 * @c:		connection
 * @what:	what was being done
 */
void ctl_die_conn(const struct ctl_conn *c, const char *what)
{
	fprintf(stderr, "sockswitchctl: %s %s: %s\n", what, c->path,
		errno ? strerror(errno) : "connection closed by the switch");
	exit(EXIT_NO_DAEMON);
}

static void ctl_connect(struct ctl_conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	json_t *hello;

	if (strlen(c->path) >= sizeof(sa.sun_path))
		die_usage("%s: socket path too long", c->path);
	strcpy(sa.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		fprintf(stderr, "sockswitchctl: cannot connect to %s: %s\n",
			c->path, strerror(err));
		if (err == ENOENT || err == ECONNREFUSED)
			fprintf(stderr,
				"Is sockswitch running? Start it, or give its control socket with -s PATH\n"
				"(sockswitch prints it at start: `control socket PATH').\n");
		else if (err == EACCES)
			fprintf(stderr,
				"The control socket belongs to another user (mode 0600 by default).\n");
		exit(EXIT_NO_DAEMON);
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->in = fdopen(c->fd, "r");
	if (!c->in)
		ctl_die_conn(c, "cannot read from");
	hello = ctl_read_line(c);
	if (!json_object_get(hello, "sockswitch")) {
		fprintf(stderr,
			"sockswitchctl: %s is not a sockswitch control socket\n",
			c->path);
		exit(EXIT_NO_DAEMON);
	}
	json_decref(hello);
}

/**
 * ctl_read_line() - the next JSON line from the switch
 * @c:		connection
 *
 * Exits on end of file, timeout or a line that is not JSON.
 *
 * Return: the value (new reference)
 */
json_t *ctl_read_line(struct ctl_conn *c)
{
	char *line = NULL;
	size_t cap = 0;
	json_error_t jerr;
	json_t *v;
	ssize_t n;

	errno = 0;
	n = getline(&line, &cap, c->in);
	if (n <= 0) {
		free(line);
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			fprintf(stderr,
				"sockswitchctl: no answer from %s within %d s\n",
				c->path, REPLY_TIMEOUT_S);
			exit(EXIT_NO_DAEMON);
		}
		ctl_die_conn(c, "lost the connection to");
	}
	v = json_loadb(line, (size_t)n, 0, &jerr);
	if (!v) {
		fprintf(stderr, "sockswitchctl: bad reply from %s: %s\n",
			c->path, jerr.text);
		exit(EXIT_NO_DAEMON);
	}
	free(line);
	return v;
}

static void ctl_send(struct ctl_conn *c, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t r = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			ctl_die_conn(c, "cannot send to");
		off += (size_t)r;
	}
}

/* Send a request line; return the reply, skipping events. */
static json_t *ctl_request(struct ctl_conn *c, const char *line)
{
	json_t *v;

	ctl_send(c, line);
	for (;;) {
		v = ctl_read_line(c);
		if (json_object_get(v, "return") || json_object_get(v, "error"))
			return v;
		json_decref(v);
	}
}

/**
 * ctl_call() - run one command
 * @c:		connection
 * @cmd:	command name
 * @args:	arguments object (stolen), or NULL
 *
 * Return: the reply object, with "return" or "error" (new reference)
 */
json_t *ctl_call(struct ctl_conn *c, const char *cmd, json_t *args)
{
	json_t *req = json_pack("{s:s}", "execute", cmd), *reply;
	char *line;

	if (args)
		json_object_set_new(req, "arguments", args);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line) {
		fprintf(stderr, "sockswitchctl: out of memory\n");
		exit(EXIT_CMD_ERROR);
	}
	line = realloc(line, strlen(line) + 2);
	strcat(line, "\n");
	reply = ctl_request(c, line);
	free(line);
	return reply;
}

/* Print the error of a reply; Return: the exit code for it. */
static int report_error(const json_t *reply, const char *cmd)
{
	const json_t *e = json_object_get(reply, "error");
	const char *cls = json_string_value(json_object_get(e, "class")),
		   *desc = json_string_value(json_object_get(e, "desc"));

	if (cls && !strcmp(cls, "CommandNotFound"))
		fprintf(stderr,
			"sockswitchctl: this sockswitch has no `%s' command (%s)\n",
			cmd, desc ? desc : cls);
	else
		fprintf(stderr, "sockswitchctl: %s: %s\n", cmd,
			desc ? desc : "error");
	return EXIT_CMD_ERROR;
}

static json_t *port_value(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !*end && !errno && v > 0 && v < INT_MAX)
		return json_integer(v);
	return json_string(s);
}

/* KEY=VALUE words: numbers, true/false, else strings. */
static json_t *kv_args(int argc, char **argv)
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '='), *end;
		long long n;
		json_t *v;

		if (!eq || eq == argv[i])
			die_usage("`%s': expected KEY=VALUE", argv[i]);
		*eq = '\0';
		errno = 0;
		n = strtoll(eq + 1, &end, 10);
		if (eq[1] && !*end && !errno)
			v = json_integer(n);
		else if (!strcmp(eq + 1, "true") || !strcmp(eq + 1, "false"))
			v = json_boolean(!strcmp(eq + 1, "true"));
		else
			v = json_string(eq + 1);
		json_object_set_new(o, argv[i], v);
	}
	return o;
}

static long parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < 1)
		die_usage("`%s' is not a count of 1 or more", s);
	return v;
}

static int cmd_events(struct ctl_conn *c, int argc, char **argv)
{
	long count = 0, seen = 0;
	struct timeval tv = { 0 };
	json_t *reply, *ev;
	int o;

	optind = 1;
	while ((o = getopt(argc, argv, "+n:")) != -1) {
		if (o != 'n')
			die_usage("events: unknown option");
		count = parse_count(optarg);
	}
	reply = ctl_call(c, "subscribe", NULL);
	if (!json_object_get(reply, "return"))
		return report_error(reply, "subscribe");
	json_decref(reply);
	/* Events come when they come: no reply timeout from here on. */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!c->json)
		fprintf(stderr, "following events from %s (Ctrl-C stops)\n",
			c->path);
	while (!count || seen < count) {
		ev = ctl_read_line(c);
		if (!json_object_get(ev, "event")) {
			json_decref(ev);
			continue;
		}
		if (c->json) {
			char *s = json_dumps(ev, JSON_COMPACT);

			printf("%s\n", s ? s : "");
			free(s);
		} else {
			show_event(ev);
		}
		fflush(stdout);
		json_decref(ev);
		seen++;
	}
	return 0;
}

static int cmd_raw(struct ctl_conn *c, int argc, char **argv)
{
	json_error_t jerr;
	json_t *req, *reply;
	char *line, *out;
	int rc;

	if (argc != 2)
		die_usage("raw: expected one JSON request");
	req = json_loads(argv[1], 0, &jerr);
	if (!json_is_object(req))
		die_usage("raw: `%s' is not a JSON object (%s)", argv[1],
			  req ? "not an object" : jerr.text);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line || asprintf(&out, "%s\n", line) < 0)
		return EXIT_CMD_ERROR;
	free(line);
	reply = ctl_request(c, out);
	free(out);
	line = json_dumps(reply, JSON_COMPACT);
	printf("%s\n", line ? line : "");
	free(line);
	rc = json_object_get(reply, "return") ? 0 : EXIT_CMD_ERROR;
	json_decref(reply);
	return rc;
}

static int cmd_top(struct ctl_conn *c, int argc, char **argv)
{
	double interval = 1.0;
	long count = 0;
	char *end;
	int o;

	optind = 1;
	while ((o = getopt(argc, argv, "+i:n:")) != -1) {
		if (o == 'i') {
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.05 && interval <= 3600))
				die_usage(
					"top: -i `%s' is not 0.05-3600 seconds",
					optarg);
		} else if (o == 'n') {
			count = parse_count(optarg);
		} else {
			die_usage("top: unknown option");
		}
	}
	return run_top(c, interval, count);
}

/**
 * struct simple_cmd - a subcommand that is one request
 * @name:	subcommand
 * @cmd:	control command
 * @port:	0 no argument, 1 PORT required, 2 PORT optional
 * @show:	table printer, or NULL to print a one-line summary
 * @done:	what happened to the port ("disabled"), or "" for a summary
 */
struct simple_cmd {
	const char *name;
	const char *cmd;
	int port;
	void (*show)(const json_t *r);
	const char *done;
};

static const struct simple_cmd simple_cmds[] = {
	{ "status", "query-status", 0, show_status, NULL },
	{ "ports", "query-ports", 0, show_ports, NULL },
	{ "macs", "query-macs", 2, show_macs, NULL },
	{ "disable", "port-disable", 1, NULL, "disabled" },
	{ "enable", "port-enable", 1, NULL, "enabled" },
	{ "close", "port-close", 1, NULL, "closed" },
	{ "flush", "mac-flush", 2, NULL, "" },
	{ "reload", "reload", 0, NULL, "" },
};

static int print_result(const struct ctl_conn *c, const struct simple_cmd *sc,
			const json_t *ret)
{
	char what[160];

	if (c->json || (!sc->show && !sc->done)) {
		show_json(ret);
		return 0;
	}
	if (sc->show) {
		sc->show(ret);
		return 0;
	}
	if (!strcmp(sc->name, "flush"))
		snprintf(what, sizeof(what), "flushed %lld learned address%s",
			 (long long)json_integer_value(
				 json_object_get(ret, "flushed")),
			 json_integer_value(json_object_get(ret, "flushed")) ==
					 1
				 ? ""
				 : "es");
	else if (!strcmp(sc->name, "reload"))
		snprintf(what, sizeof(what), "reloaded: %s",
			 json_string_value(json_object_get(ret, "changes")));
	else
		snprintf(what, sizeof(what), "%lld (%s)",
			 (long long)json_integer_value(
				 json_object_get(ret, "port")),
			 json_string_value(json_object_get(ret, "name")));
	if (sc->port == 1)
		printf("port %s %s\n", what, sc->done);
	else
		printf("%s\n", what);
	return 0;
}

static int run_simple(struct ctl_conn *c, const struct simple_cmd *sc, int argc,
		      char **argv)
{
	json_t *args = NULL, *reply, *ret;
	int rc;

	if (argc > 2 || (sc->port == 1 && argc != 2) ||
	    (sc->port == 0 && argc != 1))
		die_usage("%s: %s", sc->name,
			  sc->port == 1	  ? "expected one PORT"
			  : sc->port == 2 ? "expected at most one PORT"
					  : "takes no arguments");
	if (argc == 2)
		args = json_pack("{s:o}", "port", port_value(argv[1]));
	ctl_connect(c);
	reply = ctl_call(c, sc->cmd, args);
	ret = json_object_get(reply, "return");
	rc = ret ? print_result(c, sc, ret) : report_error(reply, sc->cmd);
	json_decref(reply);
	return rc;
}

static int cmd_capture(struct ctl_conn *c, int argc, char **argv)
{
	const char *cmd;
	json_t *reply, *ret;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "start") && strcmp(argv[1], "stop")))
		die_usage("capture: expected start or stop");
	cmd = !strcmp(argv[1], "start") ? "capture-start" : "capture-stop";
	reply = ctl_call(c, cmd, kv_args(argc - 2, argv + 2));
	ret = json_object_get(reply, "return");
	if (ret) {
		show_json(ret);
		rc = 0;
	} else {
		rc = report_error(reply, cmd);
	}
	json_decref(reply);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_conn c = { .fd = -1 };
	char def[PATH_MAX];
	const char *sub;
	size_t i;
	int o;

	while ((o = getopt_long(argc, argv, "+s:jVh", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			c.path = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'V':
			printf("sockswitchctl %s\n", SOCKSWITCH_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"Try 'sockswitchctl --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		die_usage("no command (status, ports, macs, events, top, ...)");
	sub = argv[optind];
	argc -= optind;
	argv += optind;
	if (!c.path)
		c.path = default_socket(def, sizeof(def));
	for (i = 0; i < sizeof(simple_cmds) / sizeof(simple_cmds[0]); i++) {
		if (!strcmp(sub, simple_cmds[i].name))
			return run_simple(&c, &simple_cmds[i], argc, argv);
	}
	if (strcmp(sub, "events") && strcmp(sub, "top") &&
	    strcmp(sub, "capture") && strcmp(sub, "raw"))
		die_usage("unknown command `%s'", sub);
	ctl_connect(&c);
	if (!strcmp(sub, "events"))
		return cmd_events(&c, argc, argv);
	if (!strcmp(sub, "top"))
		return cmd_top(&c, argc, argv);
	if (!strcmp(sub, "capture"))
		return cmd_capture(&c, argc, argv);
	return cmd_raw(&c, argc, argv);
}
