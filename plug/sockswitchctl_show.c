// SPDX-License-Identifier: MIT
/*
 * sockswitchctl_show.c - tables for sockswitchctl, and its `top' view
 *
 * Every printer takes the "return" value of one control command. `top'
 * polls query-ports, keeps the previous sample per port and prints rates;
 * on a terminal it redraws in place (ANSI clear and home) and reads q
 * without Enter, otherwise it prints one table per interval.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sockswitchctl.h"

#define TOP_MAX_PORTS 65536

static long long jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static long long jint2(const json_t *o, const char *obj, const char *key)
{
	return jint(json_object_get(o, obj), key);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static const char *jstr2(const json_t *o, const char *obj, const char *key)
{
	return jstr(json_object_get(o, obj), key);
}

/**
 * show_json() - pretty-print any value
 * @v:		the value
 */
void show_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
					JSON_REAL_PRECISION(10));

	printf("%s\n", s ? s : "null");
	free(s);
}

static void fmt_duration(double s, char *buf, size_t len)
{
	unsigned long t = (unsigned long)s;

	if (t >= 86400)
		snprintf(buf, len, "%lud%02luh%02lum", t / 86400, t / 3600 % 24,
			 t / 60 % 60);
	else if (t >= 3600)
		snprintf(buf, len, "%luh%02lum%02lus", t / 3600, t / 60 % 60,
			 t % 60);
	else if (t >= 60)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(buf, len, "%.1fs", s);
}

/**
 * show_status() - query-status as a few lines
 * @r:		the reply
 */
void show_status(const json_t *r)
{
	const json_t *cnt = json_object_get(r, "counts"),
		     *prm = json_object_get(r, "params"),
		     *ctl = json_object_get(r, "control"),
		     *mem = json_object_get(r, "memory"),
		     *stp = json_object_get(r, "stp"), *l;
	char up[32];
	size_t i;

	fmt_duration(json_number_value(json_object_get(r, "uptime")), up,
		     sizeof(up));
	printf("sockswitch %s, pid %lld, up %s\n", jstr(r, "version"),
	       jint(r, "pid"), up);
	printf("config:     %s\n",
	       json_is_string(json_object_get(r, "config"))
		       ? jstr(r, "config")
		       : "(none: built-in defaults and options)");
	printf("log level:  %s\n", jstr(r, "log_level"));
	printf("ports:      %lld attached (max %lld)\n", jint(cnt, "ports"),
	       jint(cnt, "max_ports"));
	printf("MAC table:  %lld learned (max %lld)\n", jint(cnt, "macs"),
	       jint(cnt, "mac_table_size"));
	printf("listeners: ");
	json_array_foreach(json_object_get(r, "listeners"), i, l)
		printf(" %s", json_string_value(l));
	printf("\n");
	json_array_foreach(json_object_get(r, "listener_stats"), i, l)
		if (jint(l, "peers_refused") > 0)
			printf("refused:    %lld peer%s on %s (allow lists)\n",
			       jint(l, "peers_refused"),
			       jint(l, "peers_refused") == 1 ? "" : "s",
			       jstr(l, "url"));
	printf("control:    %s (%lld client%s, %lld subscribed)\n",
	       jstr(ctl, "path"), jint(ctl, "clients"),
	       jint(ctl, "clients") == 1 ? "" : "s", jint(ctl, "subscribers"));
	printf("limits:     ageing %lld s, hold-down %lld ms, max frame %lld, tx queue %lld frames / %lld bytes%s\n",
	       jint(prm, "ageing"), jint(prm, "mac_hold_down_ms"),
	       jint(prm, "max_frame"), jint(prm, "tx_queue_frames"),
	       jint(prm, "tx_queue_bytes"),
	       json_is_true(json_object_get(prm, "hub")) ? ", hub mode" : "");
	if (mem) /* a switch from before the budgets has no "memory" */
		printf("memory:     %lld bytes queued (budget %lld), captures' buffers %lld (budget %lld)\n",
		       jint(mem, "queued_bytes"), jint(mem, "queue_budget"),
		       jint(mem, "capture_buffers"),
		       jint(mem, "capture_budget"));
	if (json_is_true(json_object_get(stp, "enabled"))) {
		printf("stp:        bridge %s, root %s%s, cost %lld%s%s; hello %lld s, max age %lld s, forward delay %lld s\n",
		       jstr(stp, "bridge_id"), jstr(stp, "root_id"),
		       json_is_true(json_object_get(stp, "root"))
			       ? " (this switch)"
			       : "",
		       jint(stp, "root_path_cost"),
		       json_is_string(json_object_get(stp, "root_port"))
			       ? ", root port "
			       : "",
		       json_is_string(json_object_get(stp, "root_port"))
			       ? jstr(stp, "root_port")
			       : "",
		       jint(stp, "hello_time"), jint(stp, "max_age"),
		       jint(stp, "forward_delay"));
		printf("topology:   %lld change%s%s\n",
		       jint(stp, "topology_changes"),
		       jint(stp, "topology_changes") == 1 ? "" : "s",
		       json_is_true(json_object_get(stp, "topology_change"))
			       ? ", one in progress (addresses age in forward delay)"
			       : "");
	}
}

/**
 * struct col - one column of a table
 * @head:	its header
 * @min:	least width (the widths of the old fixed layout)
 * @right:	right-aligned (numbers)
 * @sep:	what goes before it
 */
struct col {
	const char *head;
	int min;
	bool right;
	const char *sep;
};

/* A printf'd cell, or "?" when out of memory (never NULL). */
static char *__attribute__((format(printf, 1, 2))) cell(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? strdup("?") : s;
}

/**
 * table_print() - print a header and rows, each column as wide as its
 *		   widest cell, and free the cells
 * @cols:	the columns
 * @ncol:	how many
 * @cells:	@nrow rows of @ncol cells (malloc'd strings, freed here)
 * @nrow:	how many rows
 *
 * The last column is not padded (a peer or an age of any length).
 */
static void table_print(const struct col *cols, size_t ncol, char **cells,
			size_t nrow)
{
	int w[16];
	size_t r, c;

	for (c = 0; c < ncol && c < 16; c++) {
		w[c] = cols[c].min > (int)strlen(cols[c].head)
			       ? cols[c].min
			       : (int)strlen(cols[c].head);
		for (r = 0; r < nrow; r++) {
			int len = cells[r * ncol + c]
					  ? (int)strlen(cells[r * ncol + c])
					  : 1;

			if (len > w[c])
				w[c] = len;
		}
	}
	for (r = 0; r <= nrow; r++) {
		for (c = 0; c < ncol && c < 16; c++) {
			const char *v =
				r ? cells[(r - 1) * ncol + c] : cols[c].head;
			int pad = c + 1 == ncol ? 0 : w[c];

			printf("%s%*s", c ? cols[c].sep : "",
			       cols[c].right ? pad : -pad, v ? v : "?");
		}
		printf("\n");
	}
	for (r = 0; r < nrow * ncol; r++)
		free(cells[r]);
}

/**
 * show_ports() - query-ports as a table, then non-zero drops by reason
 * @r:		the reply (array)
 *
 * Columns are as wide as their longest value, so names, transports
 * ("passt", "slirp", "vde-client") and states of any length stay aligned.
 */
void show_ports(const json_t *r)
{
	static const struct col cols[] = {
		{ "ID", 5, false, "" },		{ "NAME", 10, false, " " },
		{ "TYPE", 6, false, " " },	{ "STATE", 9, false, " " },
		{ "RX_FRAMES", 10, true, " " }, { "RX_BYTES", 12, true, " " },
		{ "TX_FRAMES", 10, true, " " }, { "TX_BYTES", 12, true, " " },
		{ "RX_DROP", 8, true, " " },	{ "TX_DROP", 8, true, " " },
		{ "PEER", 0, false, "  " },
	};
	const size_t ncol = sizeof(cols) / sizeof(cols[0]);
	const json_t *p, *v;
	const char *key;
	char **cells;
	size_t i;

	if (!json_array_size(r)) {
		printf("no ports attached\n");
		return;
	}
	cells = calloc(json_array_size(r) * ncol, sizeof(*cells));
	if (!cells)
		return;
	json_array_foreach(r, i, p) {
		char **c = cells + i * ncol;

		c[0] = cell("%lld", jint(p, "id"));
		c[1] = cell("%s", jstr(p, "name"));
		c[2] = cell("%s", jstr(p, "transport"));
		c[3] = cell("%s", jstr(p, "state"));
		c[4] = cell("%lld", jint2(p, "rx", "frames"));
		c[5] = cell("%lld", jint2(p, "rx", "bytes"));
		c[6] = cell("%lld", jint2(p, "tx", "frames"));
		c[7] = cell("%lld", jint2(p, "tx", "bytes"));
		c[8] = cell("%lld", jint2(p, "rx", "dropped"));
		c[9] = cell("%lld", jint2(p, "tx", "dropped"));
		c[10] = cell("%s", jstr(p, "peer"));
	}
	table_print(cols, ncol, cells, json_array_size(r));
	free(cells);
	json_array_foreach(r, i, p) {
		const char *sep = ": ";
		bool any = false;

		json_object_foreach(json_object_get(p, "drops"), key, v) {
			if (!json_integer_value(v))
				continue;
			if (!any)
				printf("drops on %s", jstr(p, "name"));
			printf("%s%s %lld", sep, key,
			       (long long)json_integer_value(v));
			sep = ", ";
			any = true;
		}
		if (any)
			printf("\n");
		/* An uplink kind's own counters (mcast: echoes dropped). */
		sep = ": ";
		json_object_foreach(json_object_get(p, "transport_counters"),
				    key, v) {
			if (*sep == ':')
				printf("counters on %s", jstr(p, "name"));
			printf("%s%s %lld", sep, key,
			       (long long)json_integer_value(v));
			sep = ", ";
		}
		if (*sep == ',')
			printf("\n");
	}
	json_array_foreach(r, i, p) {
		const char *set = jstr2(p, "impair", "settings");

		if (strcmp(set, "off") && strcmp(set, "-"))
			printf("impaired %s: %s\n", jstr(p, "name"), set);
	}
	json_array_foreach(r, i, p) {
		json_t *st = json_object_get(p, "stp");

		if (st)
			printf("stp %s: %s, %s%s, cost %lld, bpdus in %lld out %lld%s\n",
			       jstr(p, "name"), jstr(st, "state"),
			       jstr(st, "role"),
			       json_is_true(json_object_get(st, "edge"))
				       ? ", edge"
				       : "",
			       jint(st, "path_cost"), jint(st, "rx_bpdu"),
			       jint(st, "tx_bpdu"),
			       jint(st, "rx_bad") ? ", some refused" : "");
		if (json_is_true(json_object_get(p, "bpdu_guard")))
			printf("bpdu guard %s: on, tripped %lld time%s\n",
			       jstr(p, "name"), jint(p, "bpdu_guard_trips"),
			       jint(p, "bpdu_guard_trips") == 1 ? "" : "s");
	}
	json_array_foreach(r, i, p) {
		json_t *vx = json_object_get(p, "vxlan");

		if (vx)
			printf("vxlan %s: vni %lld remote %s port %lld local %s\n",
			       jstr(p, "name"), jint2(p, "vxlan", "vni"),
			       jstr2(p, "vxlan", "remote"),
			       jint2(p, "vxlan", "port"),
			       jstr2(p, "vxlan", "local"));
	}
	json_array_foreach(r, i, p) {
		json_t *vh = json_object_get(p, "vhost_user");

		if (vh)
			printf("vhost-user %s: %s, queues %lld/%lld, %lld memory region%s, kicks %lld calls %lld, waited for receive buffers %lld times\n",
			       jstr(p, "name"),
			       json_is_true(json_object_get(vh, "running"))
				       ? "running"
				       : "negotiating",
			       jint2(p, "vhost_user", "rx_queue_size"),
			       jint2(p, "vhost_user", "tx_queue_size"),
			       jint2(p, "vhost_user", "regions"),
			       jint2(p, "vhost_user", "regions") == 1 ? ""
								      : "s",
			       jint2(p, "vhost_user", "kicks"),
			       jint2(p, "vhost_user", "calls"),
			       jint2(p, "vhost_user", "rx_wait"));
	}
	json_array_foreach(r, i, p) {
		const char *mode = jstr2(p, "vlan", "text");

		if (strcmp(mode, "none") && strcmp(mode, "-"))
			printf("vlan %s: %s\n", jstr(p, "name"), mode);
	}
	json_array_foreach(r, i, p) {
		if (jint(p, "broadcast_limit") > 0)
			printf("broadcast_limit %s: %lld frames/s\n",
			       jstr(p, "name"), jint(p, "broadcast_limit"));
	}
}

/**
 * show_impair() - the impair command's reply: a port and its settings
 * @r:		the reply
 */
void show_impair(const json_t *r)
{
	printf("port %lld (%s) impairment: %s\n", jint(r, "port"),
	       jstr(r, "name"), jstr2(r, "impair", "settings"));
}

/**
 * show_vlan() - the port-vlan command's reply: a port and its mode
 * @r:		the reply
 */
void show_vlan(const json_t *r)
{
	printf("port %lld (%s) VLAN mode: %s\n", jint(r, "port"),
	       jstr(r, "name"), jstr2(r, "vlan", "text"));
}

/**
 * show_macs() - query-macs as a table
 * @r:		the reply (array)
 */
void show_macs(const json_t *r)
{
	static const struct col cols[] = {
		{ "VLAN", 5, false, "" },  { "MAC", 17, false, " " },
		{ "PORT", 5, false, " " }, { "NAME", 10, false, " " },
		{ "AGE", 0, false, " " },
	};
	const size_t ncol = sizeof(cols) / sizeof(cols[0]);
	const json_t *m;
	char **cells;
	size_t i;

	if (!json_array_size(r)) {
		printf("no addresses learned\n");
		return;
	}
	cells = calloc(json_array_size(r) * ncol, sizeof(*cells));
	if (!cells)
		return;
	json_array_foreach(r, i, m) {
		char **c = cells + i * ncol;

		c[0] = cell("%lld", jint(m, "vlan"));
		c[1] = cell("%s", jstr(m, "mac"));
		c[2] = cell("%lld", jint(m, "port"));
		c[3] = cell("%s", jstr(m, "name"));
		c[4] = cell("%.1fs",
			    json_number_value(json_object_get(m, "age")));
	}
	table_print(cols, ncol, cells, json_array_size(r));
	free(cells);
}

/**
 * show_event() - one event as one line: time, name, then its data
 * @ev:		the event
 */
void show_event(const json_t *ev)
{
	const json_t *ts = json_object_get(ev, "timestamp"), *v;
	time_t sec = (time_t)jint(ts, "seconds");
	const char *key;
	struct tm tm;
	char when[32];

	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%03lld %-14s", when, jint(ts, "microseconds") / 1000,
	       jstr(ev, "event"));
	json_object_foreach(json_object_get(ev, "data"), key, v) {
		if (json_is_object(v) && json_object_get(v, "port"))
			printf(" %s=%lld(%s)", key, jint(v, "port"),
			       jstr(v, "name"));
		else if (json_is_string(v))
			printf(" %s=%s", key, json_string_value(v));
		else if (json_is_integer(v))
			printf(" %s=%lld", key,
			       (long long)json_integer_value(v));
	}
	printf("\n");
}

/* ---- top ---------------------------------------------------------------- */

/**
 * struct top_sample - one port's counters at the last poll
 * @rx_frames:	frames received
 * @rx_bytes:	bytes received
 * @tx_frames:	frames sent
 * @tx_bytes:	bytes sent
 * @drops:	rx + tx drops
 * @seen:	poll number it was last seen in (ids are reused)
 */
struct top_sample {
	long long rx_frames, rx_bytes, tx_frames, tx_bytes, drops;
	long seen;
};

static volatile sig_atomic_t top_stop;

static void top_sigint(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void fmt_rate(double v, char *buf, size_t len)
{
	static const char *const unit[] = { "", "k", "M", "G", "T" };
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, unit[u]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One port's line (or JSON object) from its sample and the previous one. */
static json_t *top_port(const json_t *p, struct top_sample *prev, long tick,
			double dt, bool json, const int w[2])
{
	struct top_sample cur = {
		jint2(p, "rx", "frames"),
		jint2(p, "rx", "bytes"),
		jint2(p, "tx", "frames"),
		jint2(p, "tx", "bytes"),
		jint2(p, "rx", "dropped") + jint2(p, "tx", "dropped"),
		tick,
	};
	bool have = prev->seen == tick - 1 && dt > 0 &&
		    cur.rx_frames >= prev->rx_frames &&
		    cur.tx_frames >= prev->tx_frames;
	double r[5] = { 0 };
	char s[5][16];
	json_t *o = NULL;
	int i;

	if (have) {
		r[0] = (double)(cur.rx_frames - prev->rx_frames) / dt;
		r[1] = (double)(cur.rx_bytes - prev->rx_bytes) * 8 / dt;
		r[2] = (double)(cur.tx_frames - prev->tx_frames) / dt;
		r[3] = (double)(cur.tx_bytes - prev->tx_bytes) * 8 / dt;
		r[4] = (double)(cur.drops - prev->drops) / dt;
	}
	*prev = cur;
	if (json) {
		static const char *const key[] = { "rx_fps", "rx_bps", "tx_fps",
						   "tx_bps", "drops_ps" };

		/* Rates are null until there are two samples. */
		o = json_pack("{s:I,s:s,s:s,s:I}", "id",
			      (json_int_t)jint(p, "id"), "name",
			      jstr(p, "name"), "state", jstr(p, "state"),
			      "queue", (json_int_t)jint2(p, "queue", "frames"));
		for (i = 0; o && i < 5; i++)
			json_object_set_new(o, key[i],
					    have ? json_real(r[i])
						 : json_null());
		return o;
	}
	for (i = 0; i < 5; i++) {
		if (have)
			fmt_rate(r[i], s[i], sizeof(s[i]));
		else
			snprintf(s[i], sizeof(s[i]), "-");
	}
	printf("%-5lld %-*s %-*s %9s %9s %9s %9s %8s %6lld  %s\n",
	       jint(p, "id"), w[0], jstr(p, "name"), w[1], jstr(p, "state"),
	       s[0], s[1], s[2], s[3], s[4], jint2(p, "queue", "frames"),
	       jstr(p, "peer"));
	return o;
}

static void top_frame(struct ctl_conn *c, struct top_sample *samples, long tick,
		      double dt, bool tty)
{
	json_t *reply = ctl_call(c, "query-ports", NULL), *ports, *p, *a;
	struct tm tm;
	time_t t = time(NULL);
	char when[32];
	int w[2] = { 10, 9 }; /* NAME and STATE: as wide as the widest */
	size_t i;

	ports = json_object_get(reply, "return");
	if (!ports) {
		fprintf(stderr, "sockswitchctl: query-ports: %s\n",
			jstr(json_object_get(reply, "error"), "desc"));
		exit(EXIT_CMD_ERROR);
	}
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	json_array_foreach(ports, i, p) {
		if ((int)strlen(jstr(p, "name")) > w[0])
			w[0] = (int)strlen(jstr(p, "name"));
		if ((int)strlen(jstr(p, "state")) > w[1])
			w[1] = (int)strlen(jstr(p, "state"));
	}
	a = c->json ? json_array() : NULL;
	if (tty)
		printf("\033[H\033[2J");
	if (!c->json) {
		printf("sockswitch top  %s  %zu port%s  (rates per second, bits for bps%s)\n",
		       when, json_array_size(ports),
		       json_array_size(ports) == 1 ? "" : "s",
		       tty ? "; q quits" : "");
		printf("%-5s %-*s %-*s %9s %9s %9s %9s %8s %6s  %s\n", "ID",
		       w[0], "NAME", w[1], "STATE", "RX_FPS", "RX_BPS",
		       "TX_FPS", "TX_BPS", "DROP/S", "QUEUE", "PEER");
	}
	json_array_foreach(ports, i, p) {
		long long id = jint(p, "id");
		json_t *o;

		if (id <= 0 || id >= TOP_MAX_PORTS)
			continue;
		o = top_port(p, &samples[id], tick, dt, c->json, w);
		if (a && o)
			json_array_append_new(a, o);
	}
	if (a) {
		char *s;
		json_t *frame =
			json_pack("{s:s,s:o}", "time", when, "ports", a);

		s = json_dumps(frame, JSON_COMPACT | JSON_REAL_PRECISION(6));
		printf("%s\n", s ? s : "");
		free(s);
		json_decref(frame);
	} else if (!tty) {
		printf("\n");
	}
	fflush(stdout);
	json_decref(reply);
}

/* Wait @secs; true if the user asked to quit (q on a terminal, Ctrl-C). */
static bool top_wait(double secs, bool keys)
{
	double end = now_s() + secs;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char ch;

	while (!top_stop) {
		double left = end - now_s();

		if (left <= 0)
			return false;
		if (poll(&pfd, keys ? 1 : 0, (int)(left * 1000) + 1) > 0 &&
		    read(STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
			return true;
	}
	return true;
}

/**
 * run_top() - the live per-port rate view
 * @c:		connection
 * @interval:	seconds between refreshes
 * @count:	stop after this many tables (0: until q or Ctrl-C)
 *
 * Return: exit code
 */
int run_top(struct ctl_conn *c, double interval, long count)
{
	bool tty = isatty(STDOUT_FILENO) && !c->json,
	     keys = tty && isatty(STDIN_FILENO);
	struct top_sample *samples = calloc(TOP_MAX_PORTS, sizeof(*samples));
	struct sigaction sa = { .sa_handler = top_sigint };
	struct termios old, raw;
	double last = 0, t;
	long tick;

	if (!samples)
		return EXIT_CMD_ERROR;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (keys && tcgetattr(STDIN_FILENO, &old) == 0) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		keys = false;
	}
	for (tick = 1; !top_stop && (!count || tick <= count); tick++) {
		t = now_s();
		top_frame(c, samples, tick, last ? t - last : 0, tty);
		last = t;
		if ((count && tick == count) || top_wait(interval, keys))
			break;
	}
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	free(samples);
	return 0;
}
