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

/**
 * struct cmd_help - one subcommand's usage, for `help' and usage errors
 * @name:	subcommand
 * @synopsis:	its arguments ("" for none)
 * @text:	what it does, lines ending in a newline
 */
struct cmd_help {
	const char *name;
	const char *synopsis;
	const char *text;
};

static const struct cmd_help cmd_help[] = {
	{ "status", "",
	  "version, uptime, config, counts, limits, memory, listeners\n" },
	{ "ports", "", "every port: state, counters, drops by reason\n" },
	{ "macs", "[PORT]", "learned addresses: VLAN, MAC, port, age\n" },
	{ "events", "[-n COUNT]",
	  "follow the event stream (ports up/down, MACs\n"
	  "learned/moved/aged, table full, one MAC on two\n"
	  "ports, reloads);\n"
	  "-n: stop after COUNT events\n" },
	{ "top", "[-i SECONDS] [-n COUNT]",
	  "live per-port rates, refreshed every SECONDS\n"
	  "(default 1); q or Ctrl-C quits; when stdout is\n"
	  "not a terminal, prints one table per interval;\n"
	  "-n: stop after COUNT tables\n" },
	{ "disable", "PORT", "stop forwarding to and from PORT\n" },
	{ "enable", "PORT", "forward to and from PORT again\n" },
	{ "close", "PORT", "disconnect PORT\n" },
	{ "name", "PORT NAME",
	  "call PORT NAME in listings, events and metric\n"
	  "labels: letters, digits and - _ . : @ + =, up to\n"
	  "31 bytes, not a number nor another port's name\n" },
	{ "flush", "[PORT]", "forget learned addresses (all, or PORT's)\n" },
	{ "reload", "", "re-read the config file, apply the difference\n" },
	{ "log-level", "LEVEL",
	  "log error, warning, info or debug messages and\n"
	  "above from now on (until a restart, or a reload\n"
	  "that changes log_level); prints the old and the\n"
	  "new level\n" },
	{ "impair", "PORT SETTING... | PORT off",
	  "impair frames leaving PORT, like netem: loss=P%\n"
	  "(or loss=ge:P%:R%[:B%[:G%]], Gilbert-Elliott),\n"
	  "delay=Tms, jitter=Tms[:normal], reorder=P%\n"
	  "(needs delay), duplicate=P%, corrupt=P%,\n"
	  "rate=R(kbit|mbit|gbit), mtu=N, seed=N; replaces\n"
	  "PORT's settings; off stops (docs/control.md)\n" },
	{ "vlan", "PORT access N | PORT trunk LIST [native N] | PORT none",
	  "PORT's VLAN mode: an access port of VLAN N\n"
	  "(untagged), a trunk of LIST (VLANs N and ranges\n"
	  "A-B joined by commas; tagged, but the native VLAN\n"
	  "untagged), or none (every VLAN as it is)\n" },
	{ "mirror", "add SOURCE DEST [rx|tx|both] | remove SOURCE DEST | list",
	  "copy the frames port SOURCE receives (rx), sends\n"
	  "(tx) or both (default) to port DEST, a monitor;\n"
	  "copies DEST cannot take at once are dropped\n"
	  "(tx_mirror), SOURCE never waits; list shows the\n"
	  "sessions\n" },
	{ "capture", "start|stop [KEY=VALUE]...",
	  "packet capture (capture-start / capture-stop;\n"
	  "KEY=VALUE pairs become its arguments)\n" },
	{ "hostfwd", "add|remove RULE [PORT], hostfwd list [PORT]",
	  "port forwards of the slirp uplink (PORT: which\n"
	  "one, if several); RULE in QEMU's hostfwd syntax,\n"
	  "e.g. tcp:127.0.0.1:2222-:22 (remove: the same,\n"
	  "or tcp:127.0.0.1:2222)\n" },
	{ "raw", "JSON",
	  "send one request as is, print the reply line,\n"
	  "e.g. raw '{\"execute\": \"query-commands\"}'\n" },
	{ "help", "[COMMAND]", "this help, or COMMAND's\n" },
};

#define NCMDS (sizeof(cmd_help) / sizeof(cmd_help[0]))

static const struct cmd_help *cmd_help_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmd_help[i].name, name))
			return &cmd_help[i];
	return NULL;
}

/* @text with every line indented by @indent columns. */
static void print_indented(FILE *out, const char *text, int indent)
{
	const char *nl;

	for (; *text; text = nl + 1) {
		nl = strchr(text, '\n');
		if (!nl)
			nl = text + strlen(text) - 1;
		fprintf(out, "%*s%.*s\n", indent, "", (int)(nl - text), text);
	}
}

static const char options_help[] =
	"Options (before or after the command):\n"
	"  -s, --socket PATH      the control socket (default: $SOCKSWITCH_CONTROL,\n"
	"                         else $XDG_RUNTIME_DIR/sockswitch/control.sock,\n"
	"                         else /tmp/sockswitch-UID/control.sock, as the\n"
	"                         daemon chooses it)\n"
	"  -j, --json             print replies as JSON (events: one per line)\n"
	"  -V, --version          print the version and exit\n"
	"  -h, --help             print this help (after a command: its help)\n"
	"  --                     end of options: a PORT named like an option\n"
	"                         follows\n"
	"\n"
	"Exit status: 0 done, 1 the switch refused the command, 2 usage error,\n"
	"3 the switch is not reachable.\n";

static void usage(FILE *out)
{
	char head[80];
	size_t i;

	fprintf(out,
		"Usage: sockswitchctl [-s PATH] [--json] COMMAND [ARGS]\n"
		"Show and steer a running sockswitch through its control socket.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NCMDS; i++) {
		const struct cmd_help *h = &cmd_help[i];
		const char *nl = strchr(h->text, '\n');

		snprintf(head, sizeof(head), "%s%s%s", h->name,
			 *h->synopsis ? " " : "", h->synopsis);
		if (strlen(head) > 22) {
			fprintf(out, "  %s\n", head);
			print_indented(out, h->text, 25);
			continue;
		}
		fprintf(out, "  %-22s %.*s\n", head, (int)(nl - h->text),
			h->text);
		print_indented(out, nl + 1, 25);
	}
	fprintf(out,
		"PORT is a port number or name (as `ports' shows them).\n"
		"\n%s",
		options_help);
}

/* `help COMMAND', `COMMAND --help': its synopsis, text and the options. */
static void usage_cmd(FILE *out, const struct cmd_help *h)
{
	fprintf(out, "Usage: sockswitchctl [-s PATH] [--json] %s%s%s\n",
		h->name, *h->synopsis ? " " : "", h->synopsis);
	print_indented(out, h->text, 0);
	if (!strcmp(h->name, "help"))
		fprintf(out, "Commands:");
	for (size_t i = 0; !strcmp(h->name, "help") && i < NCMDS; i++)
		fprintf(out, " %s", cmd_help[i].name);
	fprintf(out, "%s\n%s", !strcmp(h->name, "help") ? "\n" : "",
		options_help);
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

/* A usage error in subcommand @cmd: the message, then its synopsis. */
static void __attribute__((format(printf, 2, 3), noreturn))
die_cmd(const char *cmd, const char *fmt, ...)
{
	const struct cmd_help *h = cmd_help_find(cmd);
	va_list ap;

	fprintf(stderr, "sockswitchctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (h)
		fprintf(stderr,
			"\nUsage: sockswitchctl [-s PATH] [--json] %s%s%s\n"
			"Try 'sockswitchctl help %s' for more information.\n",
			h->name, *h->synopsis ? " " : "", h->synopsis, h->name);
	else
		fprintf(stderr, "\n");
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
			die_cmd("capture", "`%s': expected KEY=VALUE", argv[i]);
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

/**
 * struct sub_opts - the options of `events' and `top', wherever they were
 * @count:	-n COUNT, or 0
 * @interval:	-i SECONDS, or 0
 * @opt:	the first of them seen ('n', 'i'), or 0
 */
struct sub_opts {
	long count;
	double interval;
	int opt;
};

static int cmd_events(struct ctl_conn *c, int argc, char **argv,
		      const struct sub_opts *so)
{
	long count = so->count, seen = 0;
	struct timeval tv = { 0 };
	json_t *reply, *ev;

	(void)argv;
	if (so->interval)
		die_cmd("events", "no option -i");
	if (argc != 1)
		die_cmd("events", "takes no arguments");
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
		die_cmd("raw", "expected one JSON request");
	req = json_loads(argv[1], 0, &jerr);
	if (!json_is_object(req))
		die_cmd("raw", "`%s' is not a JSON object (%s)", argv[1],
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

static int cmd_top(struct ctl_conn *c, int argc, const struct sub_opts *so)
{
	if (argc != 1)
		die_cmd("top", "takes no arguments");
	return run_top(c, so->interval ? so->interval : 1.0, so->count);
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
		die_cmd(sc->name, "%s",
			sc->port == 1	? "expected one PORT"
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
		die_cmd("capture", "expected start or stop");
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

/* Call @cmd with @args; print its reply with @show (or as JSON). */
static int call_show(struct ctl_conn *c, const char *cmd, json_t *args,
		     const char *verb, void (*show)(const json_t *r))
{
	json_t *reply = ctl_call(c, cmd, args);
	json_t *ret = json_object_get(reply, "return");
	int rc = ret ? 0 : report_error(reply, verb);

	if (ret && c->json)
		show_json(ret);
	else if (ret)
		show(ret);
	json_decref(reply);
	return rc;
}

static int cmd_impair(struct ctl_conn *c, int argc, char **argv)
{
	json_t *set = json_array();
	int i;

	if (argc < 3)
		die_cmd("impair", "expected PORT SETTING... or PORT off");
	for (i = 2; i < argc; i++)
		json_array_append_new(set, json_string(argv[i]));
	return call_show(c, "impair",
			 json_pack("{s:o,s:o}", "port", port_value(argv[1]),
				   "settings", set),
			 "impair", show_impair);
}

static int cmd_vlan(struct ctl_conn *c, int argc, char **argv)
{
	char mode[512];
	size_t n = 0;
	int i;

	if (argc < 3)
		die_cmd("vlan",
			"expected PORT access N, PORT trunk LIST [native N] or PORT none");
	mode[0] = '\0';
	for (i = 2; i < argc && n < sizeof(mode); i++)
		n += (size_t)snprintf(mode + n, sizeof(mode) - n, "%s%s",
				      i > 2 ? " " : "", argv[i]);
	return call_show(c, "port-vlan",
			 json_pack("{s:o,s:s}", "port", port_value(argv[1]),
				   "mode", mode),
			 "vlan", show_vlan);
}

/* One mirror session of a mirror-* reply, as text. */
static void print_mirror(const json_t *m, const char *what)
{
	const json_t *s = json_object_get(m, "source");
	const json_t *d = json_object_get(m, "destination");

	printf("mirror %lld (%s) -> %lld (%s) %s%s\n",
	       (long long)json_integer_value(json_object_get(s, "port")),
	       json_string_value(json_object_get(s, "name")),
	       (long long)json_integer_value(json_object_get(d, "port")),
	       json_string_value(json_object_get(d, "name")),
	       json_string_value(json_object_get(m, "direction")), what);
}

static int cmd_mirror(struct ctl_conn *c, int argc, char **argv)
{
	const char *verb = argc >= 2 ? argv[1] : "";
	json_t *args = NULL, *reply, *ret, *v;
	const char *cmd;
	size_t i;
	int rc;

	if (!strcmp(verb, "list")) {
		if (argc != 2)
			die_cmd("mirror", "list: takes no arguments");
		cmd = "query-mirrors";
	} else if (!strcmp(verb, "add")) {
		if (argc != 4 && argc != 5)
			die_cmd("mirror",
				"add: expected SOURCE DEST [rx|tx|both]");
		if (argc == 5 && strcmp(argv[4], "rx") &&
		    strcmp(argv[4], "tx") && strcmp(argv[4], "both"))
			die_cmd("mirror", "`%s' is not rx, tx or both",
				argv[4]);
		cmd = "mirror-add";
		args = json_pack("{s:o,s:o,s:s}", "source", port_value(argv[2]),
				 "destination", port_value(argv[3]),
				 "direction", argc == 5 ? argv[4] : "both");
	} else if (!strcmp(verb, "remove")) {
		if (argc != 4)
			die_cmd("mirror", "remove: expected SOURCE DEST");
		cmd = "mirror-remove";
		args = json_pack("{s:o,s:o}", "source", port_value(argv[2]),
				 "destination", port_value(argv[3]));
	} else {
		die_cmd("mirror", "expected add, remove or list");
	}
	reply = ctl_call(c, cmd, args);
	ret = json_object_get(reply, "return");
	rc = ret ? 0 : report_error(reply, cmd);
	if (ret && c->json)
		show_json(ret);
	else if (ret && argv[1][0] == 'l' && !json_array_size(ret))
		printf("no mirror sessions\n");
	else if (ret && argv[1][0] == 'l')
		json_array_foreach(ret, i, v)
			print_mirror(v, "");
	else if (ret)
		print_mirror(ret, argv[1][0] == 'a' ? " added" : " removed");
	json_decref(reply);
	return rc;
}

static int cmd_hostfwd(struct ctl_conn *c, int argc, char **argv)
{
	bool list = argc >= 2 && !strcmp(argv[1], "list");
	int nrule = list ? 0 : 1, rc;
	json_t *args = json_object(), *reply, *ret, *v;
	const char *cmd;
	size_t i;

	if (argc < 2 ||
	    (!list && strcmp(argv[1], "add") && strcmp(argv[1], "remove")))
		die_cmd("hostfwd", "expected add, remove or list");
	if (argc < 2 + nrule || argc > 3 + nrule)
		die_cmd("hostfwd",
			list ? "list: expected at most one PORT"
			     : "%s: expected RULE [PORT]",
			argv[1]);
	cmd = list			? "hostfwd-list"
	      : !strcmp(argv[1], "add") ? "hostfwd-add"
					: "hostfwd-remove";
	if (!list)
		json_object_set_new(args, "rule", json_string(argv[2]));
	if (argc == 3 + nrule)
		json_object_set_new(args, "port", port_value(argv[2 + nrule]));
	reply = ctl_call(c, cmd, args);
	ret = json_object_get(reply, "return");
	if (!ret) {
		rc = report_error(reply, cmd);
	} else if (c->json) {
		show_json(ret);
		rc = 0;
	} else if (list) {
		json_array_foreach(json_object_get(ret, "rules"), i, v)
			printf("%s\n", json_string_value(v));
		rc = 0;
	} else {
		printf("hostfwd %s %s on port %lld (%s)\n",
		       json_string_value(json_object_get(ret, "rule")),
		       !strcmp(argv[1], "add") ? "added" : "removed",
		       (long long)json_integer_value(
			       json_object_get(ret, "port")),
		       json_string_value(json_object_get(ret, "name")));
		rc = 0;
	}
	json_decref(reply);
	return rc;
}

static int cmd_log_level(struct ctl_conn *c, int argc, char **argv)
{
	json_t *reply, *ret;
	int rc;

	if (argc != 2)
		die_cmd("log-level", "expected one LEVEL");
	if (strcmp(argv[1], "error") && strcmp(argv[1], "warning") &&
	    strcmp(argv[1], "info") && strcmp(argv[1], "debug"))
		die_cmd("log-level",
			"`%s' is not error, warning, info or debug", argv[1]);
	reply = ctl_call(c, "log-level", json_pack("{s:s}", "level", argv[1]));
	ret = json_object_get(reply, "return");
	if (!ret) {
		rc = report_error(reply, "log-level");
	} else if (c->json) {
		show_json(ret);
		rc = 0;
	} else {
		printf("log level %s -> %s\n",
		       json_string_value(json_object_get(ret, "old")),
		       json_string_value(json_object_get(ret, "new")));
		rc = 0;
	}
	json_decref(reply);
	return rc;
}

static int cmd_name(struct ctl_conn *c, int argc, char **argv)
{
	json_t *reply, *ret;
	int rc;

	if (argc != 3)
		die_cmd("name", "expected PORT NAME");
	reply = ctl_call(c, "port-name",
			 json_pack("{s:o,s:s}", "port", port_value(argv[1]),
				   "name", argv[2]));
	ret = json_object_get(reply, "return");
	rc = ret ? 0 : report_error(reply, "port-name");
	if (ret && c->json)
		show_json(ret);
	else if (ret)
		printf("port %lld renamed %s -> %s\n",
		       (long long)json_integer_value(
			       json_object_get(ret, "port")),
		       json_string_value(json_object_get(ret, "old")),
		       json_string_value(json_object_get(ret, "name")));
	json_decref(reply);
	return rc;
}

static int cmd_help_run(int argc, char **argv)
{
	const struct cmd_help *h;

	if (argc == 1) {
		usage(stdout);
		return 0;
	}
	if (argc > 2)
		die_cmd("help", "expected at most one COMMAND");
	h = cmd_help_find(argv[1]);
	if (!h)
		die_usage("help: unknown command `%s'", argv[1]);
	usage_cmd(stdout, h);
	return 0;
}

/**
 * struct cli - the command line, options taken from anywhere in it
 * @sub:	-n and -i, for `events' and `top'
 * @help:	-h or --help was given
 * @argc:	number of words left: the command and its arguments
 * @argv:	those words (@argc of them, then NULL)
 */
struct cli {
	struct sub_opts sub;
	bool help;
	int argc;
	char **argv;
};

/*
 * Options may come before or after the command (`ports --json'), so the
 * words that are not options are collected in order ("-" at the start of
 * the option string); `--' ends the options (a PORT named "-j").
 */
static void parse_cli(int argc, char **argv, struct ctl_conn *c, struct cli *cl)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int o;

	cl->argv = calloc((size_t)argc + 1, sizeof(*cl->argv));
	if (!cl->argv) {
		fprintf(stderr, "sockswitchctl: out of memory\n");
		exit(EXIT_CMD_ERROR);
	}
	while ((o = getopt_long(argc, argv, "-s:jVhi:n:", opts, NULL)) != -1) {
		switch (o) {
		case 1:
			cl->argv[cl->argc++] = optarg;
			break;
		case 's':
			c->path = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 'V':
			printf("sockswitchctl %s\n", SOCKSWITCH_VERSION);
			exit(0);
		case 'h':
			cl->help = true;
			break;
		case 'n':
			cl->sub.count = parse_count(optarg);
			cl->sub.opt = cl->sub.opt ? cl->sub.opt : 'n';
			break;
		case 'i':
			cl->sub.interval = strtod(optarg, &end);
			if (*end || !(cl->sub.interval >= 0.05 &&
				      cl->sub.interval <= 3600))
				die_cmd("top",
					"-i `%s' is not 0.05-3600 seconds",
					optarg);
			cl->sub.opt = cl->sub.opt ? cl->sub.opt : 'i';
			break;
		default:
			fprintf(stderr,
				"Try 'sockswitchctl --help' for more information.\n");
			exit(EXIT_USAGE);
		}
	}
	while (optind < argc)
		cl->argv[cl->argc++] = argv[optind++];
}

int main(int argc, char **argv)
{
	struct ctl_conn c = { .fd = -1 };
	struct cli cl = { 0 };
	char def[PATH_MAX];
	const char *sub;
	size_t i;
	int rc;

	parse_cli(argc, argv, &c, &cl);
	sub = cl.argc ? cl.argv[0] : NULL;
	if (cl.help) {
		if (sub && cmd_help_find(sub))
			usage_cmd(stdout, cmd_help_find(sub));
		else
			usage(stdout);
		rc = 0;
		goto out;
	}
	if (!sub)
		die_usage(
			"no command (status, ports, macs, events, top, help, ...)");
	if (!cmd_help_find(sub))
		die_usage("unknown command `%s'", sub);
	if (cl.sub.opt && strcmp(sub, "events") && strcmp(sub, "top"))
		die_cmd(sub, "no option -%c", cl.sub.opt);
	if (!strcmp(sub, "help")) {
		rc = cmd_help_run(cl.argc, cl.argv);
		goto out;
	}
	if (!c.path)
		c.path = default_socket(def, sizeof(def));
	for (i = 0; i < sizeof(simple_cmds) / sizeof(simple_cmds[0]); i++) {
		if (!strcmp(sub, simple_cmds[i].name)) {
			rc = run_simple(&c, &simple_cmds[i], cl.argc, cl.argv);
			goto out;
		}
	}
	ctl_connect(&c);
	if (!strcmp(sub, "events"))
		rc = cmd_events(&c, cl.argc, cl.argv, &cl.sub);
	else if (!strcmp(sub, "top"))
		rc = cmd_top(&c, cl.argc, &cl.sub);
	else if (!strcmp(sub, "capture"))
		rc = cmd_capture(&c, cl.argc, cl.argv);
	else if (!strcmp(sub, "hostfwd"))
		rc = cmd_hostfwd(&c, cl.argc, cl.argv);
	else if (!strcmp(sub, "impair"))
		rc = cmd_impair(&c, cl.argc, cl.argv);
	else if (!strcmp(sub, "vlan"))
		rc = cmd_vlan(&c, cl.argc, cl.argv);
	else if (!strcmp(sub, "mirror"))
		rc = cmd_mirror(&c, cl.argc, cl.argv);
	else if (!strcmp(sub, "log-level"))
		rc = cmd_log_level(&c, cl.argc, cl.argv);
	else if (!strcmp(sub, "name"))
		rc = cmd_name(&c, cl.argc, cl.argv);
	else
		rc = cmd_raw(&c, cl.argc, cl.argv);
out:
	free(cl.argv);
	return rc;
}
