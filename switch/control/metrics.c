// SPDX-License-Identifier: MIT
/*
 * metrics.c - Prometheus text endpoint (GET /metrics) over libmicrohttpd
 *
 * DOC: Theory of Operation
 * libmicrohttpd runs without a thread of its own, inside the daemon's
 * libev loop, because the switch state it reads is not thread-safe: MHD's
 * epoll descriptor is watched with an ev_io, and MHD_get_timeout() sets an
 * ev_timer (at least once a second); both call MHD_run(). A scrape formats every counter of every
 * live port into one memory buffer that MHD sends and frees. TCP
 * listeners are bound by MHD; a unix socket is bound here and handed over
 * with MHD_OPTION_LISTEN_SOCKET. Connections are capped and time out.
 *
 * Slowloris: a client that opens connections and sends nothing, or half a
 * request, would hold every one of the METRICS_CONN_LIMIT slots (MHD stops
 * accepting at its limit, and each slot frees only after its timeout, to
 * be taken by the next idle connection in the backlog). So the endpoint
 * tracks its connections (MHD_OPTION_NOTIFY_CONNECTION), and when one
 * more would leave no slot free, it makes room: the oldest connection
 * without a complete request in progress is shut down (shutdown(), which
 * MHD sees as the client closing; the descriptor stays MHD's). A scraper
 * is served as soon as its request is complete, whatever holds the rest.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <microhttpd.h>

#include "control/control.h"
#include "control/metrics_int.h"
#include "dynlib.h"
#include "transport/listener.h"
#include "transport/sock.h"
#include "transport/transport.h"

#define METRICS_CONN_LIMIT 16
#define METRICS_TIMEOUT_S 5
#define METRICS_CONN_MEMORY (32 * 1024)
#define METRICS_TICK_S 1.0
/* A scrape is answered with the previous text while that is younger than
 * this many times what formatting it took: however fast scrapers ask,
 * formatting takes at most 1/(1+METRICS_REUSE) of the loop. A small
 * switch formats in well under a millisecond, so its scrapes stay fresh. */
#define METRICS_REUSE 9.0
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/**
 * struct mhd_api - the libmicrohttpd functions used here, from dlopen()
 *
 * Loaded when the first endpoint opens, so a daemon without metrics never
 * maps libmicrohttpd and GnuTLS.
 */
struct mhd_api {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_get_connection_info) *get_connection_info;
	__typeof__(MHD_create_response_from_buffer)
		*create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
};

#define MHD_SYM(f)                                     \
	{                                              \
		"MHD_" #f, offsetof(struct mhd_api, f) \
	}
static const struct dynlib_sym mhd_syms[] = {
	MHD_SYM(start_daemon),
	MHD_SYM(stop_daemon),
	MHD_SYM(run),
	MHD_SYM(get_timeout),
	MHD_SYM(get_daemon_info),
	MHD_SYM(get_connection_info),
	MHD_SYM(create_response_from_buffer),
	MHD_SYM(add_response_header),
	MHD_SYM(queue_response),
	MHD_SYM(destroy_response),
};

static const struct dynlib mhd_lib = {
	.soname = "libmicrohttpd.so.12",
	.package = "libmicrohttpd12",
	.syms = mhd_syms,
	.nsyms = sizeof(mhd_syms) / sizeof(mhd_syms[0]),
};

/**
 * struct metrics_conn - one HTTP connection of an endpoint
 * @conn:	MHD's connection, NULL: the slot is free
 * @fd:		its socket (MHD's: only ever shut down here, never closed)
 * @since_ms:	accepted, or its last request completed
 * @busy:	a complete request is being answered: never made room from
 */
struct metrics_conn {
	struct MHD_Connection *conn;
	int fd;
	uint64_t since_ms;
	bool busy;
};

/**
 * struct metrics_ep - one endpoint
 * @d:		the daemon
 * @api:	libmicrohttpd's functions (in struct metrics)
 * @mhd:	libmicrohttpd instance
 * @io:		watches MHD's epoll descriptor
 * @timer:	MHD's next timeout
 * @addr:	where it listens (real port for TCP)
 * @url:	@addr as a URL
 * @file:	unix socket file we created, removed at stop while ours
 * @start_wall:	wall clock at start-up, seconds since the epoch
 * @conns:	its connections (MHD holds at most METRICS_CONN_LIMIT)
 * @kick:	a connection was shut down to make room: run MHD again soon,
 *		to close it and take the next one from the backlog
 * @last:	the last scrape's response (our reference), or NULL
 * @last_at:	when it was made (monotonic seconds)
 * @last_cost:	CPU seconds formatting it took
 * @last_len:	its length: the next text starts with room for as much
 * @reused:	scrapes answered with @last
 */
struct metrics_ep {
	struct swd *d;
	const struct mhd_api *api;
	struct MHD_Daemon *mhd;
	ev_io io;
	ev_timer timer;
	struct listen_addr addr;
	char url[sizeof(((struct listen_addr *)0)->path) + 16];
	struct sock_file file;
	double start_wall;
	struct metrics_conn conns[METRICS_CONN_LIMIT];
	bool kick;
	struct MHD_Response *last;
	double last_at;
	double last_cost;
	size_t last_len;
	uint64_t reused;
};

/**
 * struct metrics - the endpoint in use, and the one a reload is opening
 * @cur:	serving now, or NULL (off)
 * @next:	opened by a reload's prepare, installed by its commit
 * @changing:	a reload in progress changes the URL
 * @lib:	libmicrohttpd's handle once an endpoint has loaded it, or NULL
 * @api:	its functions, valid when @lib is set
 * @reloads:	reloads applied (the RELOAD_DONE events it has seen)
 * @reload_failures: reloads that failed (RELOAD_FAILED)
 * @last_reload_ok: the last reload applied (true before the first)
 * @evicted:	connections shut down to make room for a new one
 * @rl_evict:	rate limit of the lines about them
 */
struct metrics {
	struct metrics_ep *cur;
	struct metrics_ep *next;
	bool changing;
	void *lib;
	struct mhd_api api;
	uint64_t reloads;
	uint64_t reload_failures;
	bool last_reload_ok;
	uint64_t evicted;
	struct log_ratelimit rl_evict;
};

/* Prometheus label values escape backslash, double quote and newline. */
static void put_label(FILE *f, const char *key, const char *val)
{
	fprintf(f, "%s=\"", key);
	for (; *val; val++) {
		if (*val == '\\')
			fputs("\\\\", f);
		else if (*val == '"')
			fputs("\\\"", f);
		else if (*val == '\n')
			fputs("\\n", f);
		else
			fputc(*val, f);
	}
	fputc('"', f);
}

static void put_head(FILE *f, const char *name, const char *type,
		     const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_gauge(FILE *f, const char *name, const char *help, double val)
{
	put_head(f, name, "gauge", help);
	fprintf(f, "%s %.15g\n", name, val);
}

static void put_switch(FILE *f, const struct metrics_ep *m)
{
	const struct swd *d = m->d;
	double up = (double)(swd_clock_ms() - d->start_ms) / 1000.0;

	put_head(f, "sockswitch_build_info", "gauge",
		 "Always 1; the labels name the build.");
	fputs("sockswitch_build_info{", f);
	put_label(f, "version", SOCKSWITCH_VERSION);
	fputs("} 1\n", f);
	put_gauge(f, "sockswitch_start_time_seconds",
		  "When the switch started, seconds since the Unix epoch.",
		  m->start_wall);
	put_gauge(f, "sockswitch_uptime_seconds",
		  "Seconds since the switch started.", up);
	put_gauge(f, "sockswitch_ports", "Ports attached now.",
		  (double)d->sw.nports);
	put_gauge(f, "sockswitch_ports_max", "Bound on attached ports.",
		  (double)d->sw.prm.max_ports);
	put_gauge(f, "sockswitch_mac_table_entries",
		  "Addresses in the MAC table now.", (double)d->sw.mt.count);
	put_gauge(f, "sockswitch_mac_table_capacity",
		  "Bound on addresses in the MAC table.", (double)d->sw.mt.max);
	put_gauge(
		f, "sockswitch_queued_bytes",
		"Frame bytes waiting on all ports now (transmit queues and impairment holds).",
		(double)d->sw.queued_bytes);
	put_gauge(f, "sockswitch_queue_budget_bytes",
		  "Bound on sockswitch_queued_bytes (queue_budget).",
		  (double)d->sw.prm.queue_budget);
	put_head(
		f, "sockswitch_malloc_trims_total", "counter",
		"Times memory freed by drained queues was given back to the system.");
	fprintf(f, "sockswitch_malloc_trims_total %" PRIu64 "\n",
		d->malloc_trims);
	put_head(f, "sockswitch_config_reloads_total", "counter",
		 "Reloads applied (SIGHUP or the reload command).");
	fprintf(f, "sockswitch_config_reloads_total %" PRIu64 "\n",
		d->metrics->reloads);
	put_head(f, "sockswitch_config_reload_failures_total", "counter",
		 "Reloads that failed and changed nothing.");
	fprintf(f, "sockswitch_config_reload_failures_total %" PRIu64 "\n",
		d->metrics->reload_failures);
	put_gauge(
		f, "sockswitch_config_last_reload_successful",
		"1 if the last reload applied (or none was tried), 0 if it failed.",
		d->metrics->last_reload_ok ? 1 : 0);
	put_head(
		f, "sockswitch_metrics_connections_evicted_total", "counter",
		"Metrics connections without a request closed to make room for a new one.");
	fprintf(f, "sockswitch_metrics_connections_evicted_total %" PRIu64 "\n",
		d->metrics->evicted);
	put_head(
		f, "sockswitch_metrics_scrapes_reused_total", "counter",
		"Scrapes answered with the previous text, made less than 9 times its formatting time before (formatting stays under a tenth of the loop).");
	fprintf(f, "sockswitch_metrics_scrapes_reused_total %" PRIu64 "\n",
		m->reused);
	put_gauge(f, "sockswitch_metrics_format_seconds",
		  "Seconds the last new scrape text took to format.",
		  m->last_cost);
}

/* Spanning tree, when it is on: the bridge's place in the tree. */
static void put_stp(FILE *f, const struct swd *d)
{
	const struct stp *s = d->sw.stp;
	char id[24];

	put_gauge(f, "sockswitch_stp_enabled", "1 if spanning tree is on.",
		  s ? 1 : 0);
	if (!s)
		return;
	put_head(
		f, "sockswitch_stp_root_info", "gauge",
		"1 if this switch is the root, else 0; the labels name the bridge and the root (priority.MAC).");
	fputs("sockswitch_stp_root_info{", f);
	stp_id_format(s->bridge_id, id, sizeof(id));
	put_label(f, "bridge_id", id);
	fputc(',', f);
	stp_id_format(s->root_id, id, sizeof(id));
	put_label(f, "root_id", id);
	fprintf(f, "} %d\n", s->root_port ? 0 : 1);
	put_gauge(f, "sockswitch_stp_root_path_cost",
		  "Path cost from this switch to the root.",
		  (double)s->root_cost);
	put_gauge(
		f, "sockswitch_stp_topology_change",
		"1 while a topology change is in progress (addresses age in forward_delay).",
		s->tc ? 1 : 0);
	put_head(f, "sockswitch_stp_topology_changes_total", "counter",
		 "Topology changes this switch detected.");
	fprintf(f, "sockswitch_stp_topology_changes_total %" PRIu64 "\n",
		s->tc_count);
}

/* Peers each listener refused by its allow lists (counter, by listener). */
static void put_listeners(FILE *f, const struct swd *d)
{
	const struct listener *l;

	put_head(
		f, "sockswitch_listener_peers_refused_total", "counter",
		"Peers a listener closed at once: a user or group its allow_uids/allow_gids do not let in.");
	listener_foreach(d, l)
	{
		fputs("sockswitch_listener_peers_refused_total{", f);
		put_label(f, "listener", l->url);
		fprintf(f, "} %" PRIu64 "\n", l->peers_refused);
	}
}

static void put_captures(FILE *f, const struct swd *d)
{
	struct capture_info ci;
	unsigned i, n = 0;

	for (i = 0; i < CAPTURE_MAX; i++)
		n += capture_get(d, i, &ci);
	put_gauge(f, "sockswitch_captures", "Packet captures running now.",
		  (double)n);
	put_gauge(
		f, "sockswitch_capture_buffer_bytes",
		"Bytes of ring buffer held by captures (running or draining).",
		(double)capture_buffers(d));
	put_gauge(f, "sockswitch_capture_budget_bytes",
		  "Bound on sockswitch_capture_buffer_bytes (capture_budget).",
		  (double)d->cfg.capture_budget);
}

/* The labels of a port, for the few per-port series printed here (the
 * bulk is in metrics_ports.c). */
static void put_port_labels(FILE *f, const struct port *p)
{
	fprintf(f, "{port=\"%" PRIu32 "\",", p->id);
	put_label(f, "name", p->name);
	fputc(',', f);
	put_label(f, "transport", p->ops->name);
}

/* slirp uplinks: host sockets (gauges, by "what") and refusals (counter). */
static void put_slirp(FILE *f, const struct sw *sw)
{
	static const char *const what[] = { "sockets", "half_open", "max" };
	struct slirp_uplink_stats s;
	const struct port *p;
	uint32_t i, n = 0, v[3];
	int r;

	port_foreach(sw, p, i)
		n += slirp_uplink_stats(p, &s);
	if (!n)
		return;
	put_head(
		f, "sockswitch_slirp_host_sockets", "gauge",
		"A slirp uplink's host sockets: held (sockets), TCP connects in progress (half_open), its bound (max).");
	port_foreach(sw, p, i) {
		if (!slirp_uplink_stats(p, &s))
			continue;
		v[0] = s.st.socks;
		v[1] = s.st.half_open;
		v[2] = s.conn_max;
		for (r = 0; r < 3; r++) {
			fputs("sockswitch_slirp_host_sockets", f);
			put_port_labels(f, p);
			fputc(',', f);
			put_label(f, "what", what[r]);
			fprintf(f, "} %" PRIu32 "\n", v[r]);
		}
	}
	put_head(
		f, "sockswitch_slirp_refused_total", "counter",
		"Guest frames kept from a slirp uplink at a bound on host sockets, by bound.");
	port_foreach(sw, p, i) {
		if (!slirp_uplink_stats(p, &s))
			continue;
		for (r = 0; r < SLIRP_REFUSED__MAX; r++) {
			fputs("sockswitch_slirp_refused_total", f);
			put_port_labels(f, p);
			fputc(',', f);
			put_label(f, "reason", slirp_refusal_name[r]);
			fprintf(f, "} %" PRIu64 "\n", s.st.refused[r]);
		}
	}
}

/**
 * metrics_format() - the whole scrape as text
 * @m:		the endpoint
 * @len:	set to the length
 *
 * The switch-wide part is short and printed with stdio; the per-port part
 * (most of the text on a big switch) is appended by metrics_put_ports().
 *
 * Return: malloc'd text, or NULL when out of memory
 */
static char *metrics_format(const struct metrics_ep *m, size_t *len)
{
	struct tbuf b = { 0 };
	FILE *f = open_memstream(&b.p, &b.len);

	if (!f)
		return NULL;
	put_switch(f, m);
	put_stp(f, m->d);
	put_captures(f, m->d);
	put_listeners(f, m->d);
	put_slirp(f, &m->d->sw);
	if (ferror(f)) {
		fclose(f);
		free(b.p);
		return NULL;
	}
	fclose(f);
	b.cap = b.len; /* what open_memstream() guarantees */
	tb_room(&b, m->last_len); /* one allocation, not a dozen */
	if (metrics_put_ports(&b, &m->d->sw) < 0) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static enum MHD_Result reply(const struct metrics_ep *m,
			     struct MHD_Connection *conn, unsigned status,
			     const char *text, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char body[128];

	snprintf(body, sizeof(body), "%s", text);
	r = m->api->create_response_from_buffer(strlen(body), body,
						MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	m->api->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "text/plain; charset=utf-8");
	if (allow)
		m->api->add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = m->api->queue_response(conn, status, r);
	m->api->destroy_response(r);
	return ret;
}

/**
 * conn_find() - the slot of one of an endpoint's connections
 * @m:		the endpoint
 * @conn:	the connection
 *
 * Return: its slot, or NULL if it is not tracked
 */
static struct metrics_conn *conn_find(struct metrics_ep *m,
				      const struct MHD_Connection *conn)
{
	size_t i;

	for (i = 0; i < METRICS_CONN_LIMIT; i++)
		if (m->conns[i].conn == conn)
			return &m->conns[i];
	return NULL;
}

/**
 * conn_make_room() - shut down the oldest connection that has no complete
 *		      request in progress
 * @m:		the endpoint
 * @except:	the connection room is made for
 */
static void conn_make_room(struct metrics_ep *m,
			   const struct metrics_conn *except)
{
	struct metrics *mt = m->d->metrics;
	struct metrics_conn *old = NULL;
	uint64_t held;
	size_t i;

	for (i = 0; i < METRICS_CONN_LIMIT; i++) {
		struct metrics_conn *c = &m->conns[i];

		if (c->conn && c != except && !c->busy && c->fd >= 0 &&
		    (!old || c->since_ms < old->since_ms))
			old = c;
	}
	if (!old)
		return;
	shutdown(old->fd, SHUT_RDWR);
	old->fd = -1; /* once */
	m->kick = true;
	mt->evicted++;
	if (!log_ratelimit_ok(&mt->rl_evict, m->d->now_ms, 1, &held))
		return;
	log_warnx(
		"metrics: %s: %" PRIu64
		" connection(s) without a request closed to make room (all %d in use)",
		m->url, held + 1, METRICS_CONN_LIMIT);
}

/**
 * notify_conn() - MHD_OPTION_NOTIFY_CONNECTION: track a connection from
 *		   accept to close; make room when it takes the last slot
 * @cls:	the endpoint
 * @conn:	the connection
 * @socket_context: its slot (set here)
 * @toe:	started or closed
 */
static void notify_conn(void *cls, struct MHD_Connection *conn,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_ep *m = cls;
	const union MHD_ConnectionInfo *info;
	struct metrics_conn *c;
	size_t i, used = 0;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		c = *socket_context;
		if (c)
			memset(c, 0, sizeof(*c));
		*socket_context = NULL;
		return;
	}
	c = conn_find(m, NULL);
	*socket_context = c;
	if (!c)
		return;
	info = m->api->get_connection_info(conn,
					   MHD_CONNECTION_INFO_CONNECTION_FD);
	c->conn = conn;
	c->fd = info ? info->connect_fd : -1;
	c->since_ms = m->d->now_ms;
	c->busy = false;
	for (i = 0; i < METRICS_CONN_LIMIT; i++)
		used += m->conns[i].conn != NULL;
	/* MHD stops accepting with every slot taken: keep one free. */
	if (used >= METRICS_CONN_LIMIT)
		conn_make_room(m, c);
}

/**
 * request_done() - MHD_OPTION_NOTIFY_COMPLETED: a kept-alive connection
 *		    waits for its next request, like a new one
 * @cls:	the endpoint
 * @conn:	the connection
 * @con_cls:	unused
 * @toe:	unused
 */
static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct metrics_ep *m = cls;
	struct metrics_conn *c = conn_find(m, conn);

	(void)con_cls;
	(void)toe;
	if (c) {
		c->busy = false;
		c->since_ms = m->d->now_ms;
	}
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The response to GET /metrics: the last one again while it is younger
 * than METRICS_REUSE times what formatting it took, else a new one. The
 * cost is CPU time, so a format that was preempted on a loaded machine does
 * not stretch the reuse; a reload's outcome drops the page (metrics_hook). MHD
 * counts references to a response, so one can be queued on any number of
 * connections; the endpoint keeps its own until it replaces it.
 */
static struct MHD_Response *scrape_response(struct metrics_ep *m)
{
	double t0 = clock_s(CLOCK_MONOTONIC);
	double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	struct MHD_Response *r;
	size_t len;
	char *body;

	if (m->last && t0 - m->last_at < METRICS_REUSE * m->last_cost) {
		m->reused++;
		return m->last;
	}
	body = metrics_format(m, &len);
	if (!body)
		return NULL;
	r = m->api->create_response_from_buffer(len, body,
						MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return NULL;
	}
	m->api->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				    METRICS_CONTENT_TYPE);
	if (m->last)
		m->api->destroy_response(m->last);
	m->last = r;
	m->last_at = clock_s(CLOCK_MONOTONIC);
	m->last_cost = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	m->last_len = len;
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct metrics_ep *m = cls;
	struct metrics_conn *mc;
	struct MHD_Response *r;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	mc = conn_find(m, conn);
	if (mc)
		mc->busy = true;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		if (*upload_data_size) {
			*upload_data_size = 0; /* discard a body */
			return MHD_YES;
		}
		return reply(m, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "only GET /metrics\n", "GET, HEAD");
	}
	if (strcmp(url, "/metrics"))
		return reply(m, conn, MHD_HTTP_NOT_FOUND,
			     "not found; the metrics are at /metrics\n", NULL);
	r = scrape_response(m);
	if (!r)
		return reply(m, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "out of memory\n", NULL);
	return m->api->queue_response(conn, MHD_HTTP_OK, r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx("metrics: %s", msg);
}

/*
 * Run MHD, then arm the timer for whatever it wants to do next, at most
 * METRICS_TICK_S away: after closing connections below its cap, MHD puts
 * its listening socket back into its epoll set only at the start of a
 * later run, and nothing else would wake us up for that.
 */
static void metrics_run(struct ev_loop *loop, struct metrics_ep *m)
{
	MHD_UNSIGNED_LONG_LONG ms;
	double after = METRICS_TICK_S;

	m->kick = false;
	m->api->run(m->mhd);
	ev_timer_stop(loop, &m->timer);
	if (m->api->get_timeout(m->mhd, &ms) == MHD_YES && ms < after * 1000)
		after = (double)ms / 1000.0;
	if (m->kick)
		after = 0.0;
	ev_timer_set(&m->timer, after, 0.0);
	ev_timer_start(loop, &m->timer);
}

static void metrics_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	metrics_run(loop, container_of(w, struct metrics_ep, io));
}

static void metrics_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	metrics_run(loop, container_of(w, struct metrics_ep, timer));
}

static int unix_socket(struct metrics_ep *m, int mode)
{
	int fd;

	if (unix_path_check(m->addr.path, SOCK_STREAM, &m->file) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("metrics: socket");
		return -1;
	}
	if (unix_bind_path(fd, m->addr.path, mode, CONFIG_GID_UNSET, &m->file) <
	    0) {
		log_warnx("metrics: cannot bind %s", m->url);
		close(fd);
		return -1;
	}
	if (listen(fd, METRICS_CONN_LIMIT) < 0) {
		log_warn("metrics: cannot set up %s", m->url);
		close(fd);
		return -1;
	}
	return fd;
}

static struct MHD_Daemon *start_mhd(struct metrics_ep *m, int fd,
				    const struct sockaddr *sa)
{
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, METRICS_CONN_LIMIT, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, METRICS_TIMEOUT_S, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, METRICS_CONN_MEMORY,
		  NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (fd >= 0)
		return m->api->start_daemon(
			flags, 0, NULL, NULL, handle, m,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
			MHD_OPTION_NOTIFY_CONNECTION, notify_conn, m,
			MHD_OPTION_NOTIFY_COMPLETED, request_done, m,
			MHD_OPTION_ARRAY, opts, MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_END);
	if (sa->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return m->api->start_daemon(flags, m->addr.port, NULL, NULL, handle, m,
				    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
				    MHD_OPTION_NOTIFY_CONNECTION, notify_conn,
				    m, MHD_OPTION_NOTIFY_COMPLETED,
				    request_done, m, MHD_OPTION_ARRAY, opts,
				    MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_END);
}

static int tcp_start(struct metrics_ep *m)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	const union MHD_DaemonInfo *info;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", m->addr.port);
	rc = getaddrinfo(m->addr.host, port, &hints, &ai);
	if (rc != 0) {
		log_error("metrics: %s: cannot resolve `%s': %s", m->url,
			  m->addr.host, gai_strerror(rc));
		return -1;
	}
	m->mhd = start_mhd(m, -1, ai->ai_addr);
	freeaddrinfo(ai);
	if (!m->mhd)
		return -1;
	info = m->api->get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (info && info->port)
		m->addr.port = info->port;
	return 0;
}

/* A daemon changes directory to /: remember where the socket really is. */
static int absolute_path(char *path, size_t size)
{
	char cwd[PATH_MAX], abs[PATH_MAX * 2];

	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	if (strlen(abs) >= size)
		return -1;
	strcpy(path, abs);
	return 0;
}

static void ep_close(struct ev_loop *loop, struct metrics_ep *m)
{
	if (!m)
		return;
	ev_io_stop(loop, &m->io);
	ev_timer_stop(loop, &m->timer);
	m->api->stop_daemon(m->mhd);
	if (m->last)
		m->api->destroy_response(m->last);
	unix_unlink_ours(m->addr.path, &m->file);
	free(m);
}

/* Serve GET /metrics at @url: the new endpoint, or NULL (logged). */
static struct metrics_ep *ep_open(struct swd *d, const char *url, int mode)
{
	const union MHD_DaemonInfo *info;
	char err[256];
	struct metrics_ep *m;
	struct timeval tv;
	int fd;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->d = d;
	if (!d->metrics->lib) {
		d->metrics->lib = dynlib_open(&mhd_lib, &d->metrics->api, err,
					      sizeof(err));
		if (!d->metrics->lib) {
			log_error("metrics: %s: %s", url, err);
			goto fail;
		}
	}
	m->api = &d->metrics->api;
	gettimeofday(&tv, NULL);
	m->start_wall = (double)tv.tv_sec + (double)tv.tv_usec / 1e6 -
			(double)(swd_clock_ms() - d->start_ms) / 1000.0;
	if (endpoint_url_parse(url, &m->addr, err, sizeof(err)) < 0) {
		log_error("metrics: %s: %s", url, err);
		goto fail;
	}
	snprintf(m->url, sizeof(m->url), "%s", url);
	if (m->addr.kind == LISTEN_UNIX && m->addr.path[0] != '/' &&
	    absolute_path(m->addr.path, sizeof(m->addr.path)) < 0) {
		log_error("metrics: %s: the absolute path is too long", url);
		goto fail;
	}
	if (m->addr.kind == LISTEN_UNIX) {
		fd = unix_socket(m, mode);
		if (fd >= 0) {
			m->mhd = start_mhd(m, fd, NULL);
			if (!m->mhd)
				close(fd);
		}
	} else {
		tcp_start(m);
	}
	if (!m->mhd) {
		log_error("metrics: cannot serve %s", url);
		goto fail;
	}
	listen_url_format(&m->addr, m->url, sizeof(m->url));
	info = m->api->get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		log_error("metrics: libmicrohttpd has no epoll descriptor");
		m->api->stop_daemon(m->mhd);
		goto fail;
	}
	ev_io_init(&m->io, metrics_io_cb, info->epoll_fd, EV_READ);
	ev_io_start(d->loop, &m->io);
	ev_init(&m->timer, metrics_timer_cb);
	metrics_run(d->loop, m);
	return m;
fail:
	unix_unlink_ours(m->addr.path, &m->file);
	free(m);
	return NULL;
}

static bool url_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Reload: open the new endpoint first; the old one goes at commit. */
static int metrics_prepare(struct swd *d, const struct swd_config *nc,
			   char *err, size_t errlen, void *opaque)
{
	struct metrics *mt = d->metrics;

	(void)opaque;
	mt->changing = !url_same(d->cfg.metrics, nc->metrics);
	if (!mt->changing || !nc->metrics)
		return 0;
	mt->next = ep_open(d, nc->metrics, nc->socket_mode);
	if (mt->next)
		return 0;
	mt->changing = false;
	snprintf(
		err, errlen,
		"metrics: cannot serve %s (an address still in use by the old endpoint must change in two reloads)",
		nc->metrics);
	return -1;
}

static void metrics_commit(struct swd *d, const struct swd_config *oc,
			   const struct swd_config *nc, void *opaque)
{
	struct metrics *mt = d->metrics;

	(void)oc;
	(void)nc;
	(void)opaque;
	if (!mt->changing)
		return;
	ep_close(d->loop, mt->cur);
	mt->cur = mt->next;
	mt->next = NULL;
	mt->changing = false;
	if (mt->cur)
		log_info("metrics now on %s", mt->cur->url);
	else
		log_info("metrics endpoint closed");
}

static void metrics_abort(struct swd *d, const struct swd_config *nc,
			  void *opaque)
{
	struct metrics *mt = d->metrics;

	(void)nc;
	(void)opaque;
	ep_close(d->loop, mt->next);
	mt->next = NULL;
	mt->changing = false;
}

/* metrics' subscription to the daemon's events: reload outcomes. */
static void metrics_hook(struct swd *d, const struct swd_event *ev,
			 void *opaque)
{
	struct metrics *mt = opaque;

	(void)d;
	if (ev->type == SWD_EV_RELOAD_DONE) {
		mt->reloads++;
		mt->last_reload_ok = true;
	} else if (ev->type == SWD_EV_RELOAD_FAILED) {
		mt->reload_failures++;
		mt->last_reload_ok = false;
	} else {
		return;
	}
	/* A reload's outcome shows in the next scrape, not a reused page. */
	if (mt->cur && mt->cur->last) {
		mt->cur->api->destroy_response(mt->cur->last);
		mt->cur->last = NULL;
	}
}

/**
 * metrics_init() - serve metrics if the config says so; follow reloads
 * @d:		the daemon, d->cfg in force
 *
 * Return: 0 on success, -1 on failure (logged)
 */
int metrics_init(struct swd *d)
{
	static const struct reload_hook hook = {
		.name = "metrics",
		.prepare = metrics_prepare,
		.commit = metrics_commit,
		.abort = metrics_abort,
	};
	struct metrics *mt = calloc(1, sizeof(*mt));

	if (!mt)
		return -1;
	mt->last_reload_ok = true;
	d->metrics = mt;
	if (reload_hook_add(d, &hook) < 0 ||
	    swd_hook_add(d, metrics_hook, mt) < 0)
		return -1;
	if (d->cfg.metrics &&
	    !(mt->cur = ep_open(d, d->cfg.metrics, d->cfg.socket_mode)))
		return -1;
	return 0;
}

/**
 * metrics_stop() - close the endpoint and its connections
 * @d:		the daemon
 */
void metrics_stop(struct swd *d)
{
	struct metrics *mt = d->metrics;

	if (!mt)
		return;
	ep_close(d->loop, mt->cur);
	ep_close(d->loop, mt->next);
	dynlib_close(mt->lib);
	free(mt);
	d->metrics = NULL;
}

/**
 * metrics_print() - the `metrics on' start-up line
 * @d:		the daemon
 * @out:	where to print
 */
void metrics_print(const struct swd *d, FILE *out)
{
	const struct metrics_ep *m = d->metrics ? d->metrics->cur : NULL;

	if (!m)
		return;
	if (m->addr.kind == LISTEN_UNIX)
		fprintf(out,
			"metrics on %s: curl --unix-socket %s http://localhost/metrics\n",
			m->url, m->addr.path);
	else
		fprintf(out, "metrics on %s: curl http://%s%s%s:%u/metrics\n",
			m->url, strchr(m->addr.host, ':') ? "[" : "",
			m->addr.host, strchr(m->addr.host, ':') ? "]" : "",
			m->addr.port);
}
