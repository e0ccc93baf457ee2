// SPDX-License-Identifier: MIT
/*
 * capture.c - packet capture per port or for the whole switch, to pcap
 *
 * DOC: Theory of Operation
 * The forwarding core calls sw->capture_cb for frames received on, or
 * queued to, a port whose capture flag is set; the flag is the only cost
 * while nothing is captured. A per-port capture records both directions
 * of its port; a whole-switch capture records every frame once, as it is
 * received. libpcap formats the records (pcap_open_dead() and
 * pcap_dump(), DLT_EN10MB, microsecond timestamps) into a FILE made with
 * fopencookie() whose writes append to a bounded ring buffer; free space
 * for a whole record is checked before pcap_dump(), so a record is either
 * written whole or dropped and counted. An optional BPF filter runs with
 * pcap_offline_filter(). The ring drains into the file or FIFO through a
 * nonblocking descriptor watched by an ev_io, so a slow reader costs
 * dropped capture records, never forwarding: once a record finds the ring
 * full the capture is "stalled" and records nothing (no clock, no filter,
 * no copy) until the reader has taken half of the ring. A stalled
 * whole-switch capture does not even count per frame: the set counts the
 * frames offered to whole-switch captures (rx_offered) and the capture
 * adds what went by since it stalled when it resumes or is looked at.
 * While every capture is stalled a frame costs the callback one
 * increment and one test.
 * The rings of all captures together are bounded by the config's
 * capture_budget (each at most CAPTURE_BUFFER_LIMIT): a capture whose
 * buffer does not fit in what is left is refused. A capture ends on request,
 * on its byte or frame limit, when its port closes, or when the reader
 * of its FIFO goes away (EPIPE); it then drains what it buffered (at
 * most CAPTURE_DRAIN_S seconds) and closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <pcap/pcap.h>

#include "control/control.h"
#include "dynlib.h"
#include "transport/transport.h"

#define CAPTURE_DRAIN_S 5.0
#define CAPTURE_SNAPLEN_MIN 14
#define CAPTURE_BUFFER_MIN 4096
#define CAPTURE_BUFFER_LIMIT (256u << 20)
#define CAPTURE_TRIM_MIN (1u << 20)
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

enum capture_state {
	CAP_FREE,
	CAP_RUNNING,
	CAP_DRAINING,
};

/**
 * struct pcap_api - the libpcap functions used here, from dlopen()
 *
 * Loaded when the first capture starts, so a daemon that never captures
 * never maps libpcap and what it pulls in (libdbus, libsystemd...).
 */
struct pcap_api {
	__typeof__(pcap_open_dead_with_tstamp_precision) *open_dead;
	__typeof__(pcap_compile) *compile;
	__typeof__(pcap_freecode) *freecode;
	__typeof__(pcap_offline_filter) *offline_filter;
	__typeof__(pcap_geterr) *geterr;
	__typeof__(pcap_dump_fopen) *dump_fopen;
	__typeof__(pcap_dump) *dump;
	__typeof__(pcap_dump_close) *dump_close;
	__typeof__(pcap_close) *close;
};

#define PCAP_SYM(f, name)                          \
	{                                          \
		name, offsetof(struct pcap_api, f) \
	}
static const struct dynlib_sym pcap_syms[] = {
	PCAP_SYM(open_dead, "pcap_open_dead_with_tstamp_precision"),
	PCAP_SYM(compile, "pcap_compile"),
	PCAP_SYM(freecode, "pcap_freecode"),
	PCAP_SYM(offline_filter, "pcap_offline_filter"),
	PCAP_SYM(geterr, "pcap_geterr"),
	PCAP_SYM(dump_fopen, "pcap_dump_fopen"),
	PCAP_SYM(dump, "pcap_dump"),
	PCAP_SYM(dump_close, "pcap_dump_close"),
	PCAP_SYM(close, "pcap_close"),
};

static const struct dynlib pcap_lib = {
	.soname = "libpcap.so.0.8",
	.package = "libpcap0.8",
	.syms = pcap_syms,
	.nsyms = sizeof(pcap_syms) / sizeof(pcap_syms[0]),
};

/**
 * struct capture - one capture
 * @d:		the daemon
 * @state:	free slot, recording, or writing out what is left
 * @id:		capture number (unique for the daemon's life)
 * @all:	whole switch (@port unused)
 * @port:	the captured port, while running
 * @port_id:	its id, for listings
 * @port_name:	its name, or "all"
 * @path:	file or FIFO (owned)
 * @filter:	BPF expression (owned), or NULL
 * @fd:		nonblocking descriptor of @path
 * @api:		libpcap's functions (in struct capture_set)
 * @pd:		libpcap's dead handle (linktype, snaplen, filter compiler)
 * @dumper:	libpcap's writer, on @fp
 * @fp:		stdio stream whose writes append to @ring
 * @prog:	compiled @filter
 * @ring:	bounded buffer of formatted records
 * @cap:	its size
 * @head:	first unwritten byte
 * @len:	unwritten bytes
 * @frames:	records written into the ring
 * @bytes:	bytes written into the ring, file header included
 * @dropped:	records dropped: ring full, or stalled (for a stalled
 *		whole-switch capture, without the frames since @stall_mark:
 *		capture_dropped() adds them)
 * @stalled:	the ring was full: record nothing until half of it is
 *		written out
 * @stall_mark:	the set's rx_offered when a whole-switch capture stalled
 * @filtered:	frames the filter rejected
 * @max_bytes:	limit on @bytes, 0 = none
 * @max_frames:	limit on @frames, 0 = none
 * @snaplen:	bytes kept of each frame
 * @io:		drains @ring into @fd
 * @timer:	bounds the draining after the end
 * @reason:	why it ended
 */
struct capture {
	struct swd *d;
	enum capture_state state;
	unsigned id;
	bool all;
	struct port *port;
	uint32_t port_id;
	char port_name[PORT_NAME_LEN];
	char *path;
	char *filter;
	int fd;
	const struct pcap_api *api;
	pcap_t *pd;
	pcap_dumper_t *dumper;
	FILE *fp;
	struct bpf_program prog;
	uint8_t *ring;
	size_t cap;
	size_t head;
	size_t len;
	uint64_t frames;
	uint64_t bytes;
	uint64_t dropped;
	bool stalled;
	uint64_t stall_mark;
	uint64_t filtered;
	uint64_t max_bytes;
	uint64_t max_frames;
	uint32_t snaplen;
	ev_io io;
	ev_timer timer;
	char reason[128];
};

/**
 * struct capture_set - every capture slot
 * @cap:	the slots
 * @next_id:	number of the next capture
 * @lib:	libpcap's handle once a capture has loaded it, or NULL
 * @api:	its functions, valid when @lib is set
 * @rx_offered:	frames received on any port while a capture ran: what a
 *		stalled whole-switch capture misses is counted from it
 * @busy:	running captures that may record a frame: whole-switch ones
 *		not stalled, and per-port ones (which count their own
 *		misses); 0 lets the frame callback return at once
 */
struct capture_set {
	struct capture cap[CAPTURE_MAX];
	unsigned next_id;
	void *lib;
	struct pcap_api api;
	uint64_t rx_offered;
	unsigned busy;
};

/* Recount cs->busy after a capture started, ended, stalled or resumed. */
static void capture_busy_update(struct capture_set *cs)
{
	unsigned k;

	cs->busy = 0;
	for (k = 0; k < CAPTURE_MAX; k++)
		cs->busy += cs->cap[k].state == CAP_RUNNING &&
			    !(cs->cap[k].all && cs->cap[k].stalled);
}

/* Records dropped so far, the frames a stalled whole-switch capture is
 * missing now included. */
static uint64_t capture_dropped(const struct capture *c)
{
	if (c->state == CAP_RUNNING && c->all && c->stalled)
		return c->dropped + c->d->captures->rx_offered - c->stall_mark;
	return c->dropped;
}

/* ---- the ring and the stdio stream libpcap writes to ---------------------- */

static size_t ring_free(const struct capture *c)
{
	return c->cap - c->len;
}

static ssize_t ring_write(void *cookie, const char *buf, size_t size)
{
	struct capture *c = cookie;
	size_t tail, first;

	if (size > ring_free(c))
		return 0; /* not reached: space is checked beforehand */
	tail = (c->head + c->len) % c->cap;
	first = c->cap - tail < size ? c->cap - tail : size;
	memcpy(c->ring + tail, buf, first);
	memcpy(c->ring, buf + first, size - first);
	c->len += size;
	return (ssize_t)size;
}

static int ring_close(void *cookie)
{
	(void)cookie;
	return 0;
}

/* Write as much of the ring as the descriptor takes now. */
static int ring_drain(struct capture *c)
{
	struct iovec iov[2];
	size_t first;
	ssize_t n;
	int cnt;

	while (c->len) {
		first = c->cap - c->head < c->len ? c->cap - c->head : c->len;
		iov[0].iov_base = c->ring + c->head;
		iov[0].iov_len = first;
		iov[1].iov_base = c->ring;
		iov[1].iov_len = c->len - first;
		cnt = iov[1].iov_len ? 2 : 1;
		n = writev(c->fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		c->head = (c->head + (size_t)n) % c->cap;
		c->len -= (size_t)n;
	}
	return 0;
}

/* ---- start, end, close ------------------------------------------------------ */

static void capture_flags_update(struct swd *d)
{
	struct capture_set *cs = d->captures;
	struct port *p;
	bool all = false;
	uint32_t i;
	unsigned k;

	d->sw.capture_tx = false;
	for (k = 0; k < CAPTURE_MAX; k++) {
		all |= cs->cap[k].state == CAP_RUNNING && cs->cap[k].all;
		d->sw.capture_tx |=
			cs->cap[k].state == CAP_RUNNING && !cs->cap[k].all;
	}
	capture_busy_update(cs);
	d->sw.capture_new_ports = all;
	port_foreach(&d->sw, p, i) {
		p->capture = all;
		for (k = 0; k < CAPTURE_MAX; k++)
			if (cs->cap[k].state == CAP_RUNNING &&
			    cs->cap[k].port == p)
				p->capture = true;
	}
}

static void capture_close(struct capture *c)
{
	struct ev_loop *loop = c->d->loop;

	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->timer);
	if (c->id) /* not for a start that failed */
		log_info("capture %u (port %s) to %s ended: %s; %" PRIu64
			 " frames, %" PRIu64 " bytes, %" PRIu64
			 " dropped (buffer full), %" PRIu64
			 " filtered out, %zu bytes not written",
			 c->id, c->port_name, c->path, c->reason, c->frames,
			 c->bytes, c->dropped, c->filtered, c->len);
	if (c->dumper)
		c->api->dump_close(c->dumper); /* fclose()s c->fp */
	else if (c->fp)
		fclose(c->fp);
	if (c->pd) {
		c->api->freecode(&c->prog); /* no-op if nothing was compiled */
		c->api->close(c->pd);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->ring);
	if (c->cap >= CAPTURE_TRIM_MIN) /* its pages back to the system */
		malloc_trim(0);
	free(c->path);
	free(c->filter);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->state = CAP_FREE;
}

/* Stop recording; close once the ring is written out (or the timer). */
static void capture_end(struct capture *c, const char *reason, bool now)
{
	if (c->state == CAP_RUNNING) {
		c->dropped = capture_dropped(c);
		c->stalled = false;
		c->state = CAP_DRAINING;
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
		c->port = NULL;
		capture_flags_update(c->d);
	}
	if (now || c->len == 0) {
		capture_close(c);
		return;
	}
	if (!ev_is_active(&c->io))
		ev_io_start(c->d->loop, &c->io);
	if (!ev_is_active(&c->timer)) {
		ev_timer_set(&c->timer, CAPTURE_DRAIN_S, 0.0);
		ev_timer_start(c->d->loop, &c->timer);
	}
}

static void capture_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct capture *c = container_of(w, struct capture, io);
	int rc;

	(void)revents;
	rc = ring_drain(c);
	if (rc < 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s",
			 rc == -EPIPE ? "the reader went away" : strerror(-rc));
		if (c->state == CAP_DRAINING)
			snprintf(c->reason + strlen(c->reason),
				 sizeof(c->reason) - strlen(c->reason),
				 ", then %s", why);
		capture_end(c, why, true);
		return;
	}
	if (c->stalled && c->len <= c->cap / 2) {
		c->dropped = capture_dropped(c);
		c->stalled = false;
		capture_busy_update(c->d->captures);
	}
	if (c->len)
		return;
	ev_io_stop(loop, w);
	if (c->state == CAP_DRAINING)
		capture_close(c);
}

static void capture_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct capture *c = container_of(w, struct capture, timer);

	(void)loop;
	(void)revents;
	snprintf(c->reason + strlen(c->reason),
		 sizeof(c->reason) - strlen(c->reason),
		 ", then the reader took nothing for %.0f s", CAPTURE_DRAIN_S);
	capture_close(c);
}

/* ---- recording ----------------------------------------------------------- */

static void capture_record(struct capture *c, const struct timespec *ts,
			   const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;
	size_t need;

	h.ts.tv_sec = ts->tv_sec;
	h.ts.tv_usec = ts->tv_nsec / 1000;
	h.len = (bpf_u_int32)len;
	h.caplen = len < c->snaplen ? (bpf_u_int32)len : c->snaplen;
	if (c->filter && !c->api->offline_filter(&c->prog, &h, frame)) {
		c->filtered++;
		return;
	}
	need = PCAP_REC_HDR + h.caplen;
	if (c->max_bytes && c->bytes + need > c->max_bytes) {
		capture_end(c, "max-bytes reached", false);
		return;
	}
	if (ring_free(c) < need) {
		c->dropped++;
		c->stalled = true;
		c->stall_mark = c->d->captures->rx_offered;
		capture_busy_update(c->d->captures);
		return;
	}
	c->api->dump((u_char *)c->dumper, &h, frame);
	c->frames++;
	c->bytes += need;
	if (!ev_is_active(&c->io))
		ev_io_start(c->d->loop, &c->io);
	if (c->max_frames && c->frames >= c->max_frames)
		capture_end(c, "max-frames reached", false);
}

/* sw->capture_cb: hand the frame to every capture that wants it. */
static void capture_frame_cb(void *opaque, struct port *p, enum sw_dir dir,
			     const uint8_t *frame, size_t len)
{
	struct swd *d = opaque;
	struct capture_set *cs = d->captures;
	struct timespec ts;
	bool have_ts = false;
	unsigned k;

	cs->rx_offered += dir == SW_DIR_RX;
	if (!cs->busy) /* every capture's reader is behind */
		return;
	for (k = 0; k < CAPTURE_MAX; k++) {
		struct capture *c = &cs->cap[k];

		if (c->state != CAP_RUNNING ||
		    !(c->all ? dir == SW_DIR_RX : c->port == p))
			continue;
		if (c->stalled) { /* the reader is behind: count, no work */
			c->dropped += !c->all; /* (all: see rx_offered) */
			continue;
		}
		if (!have_ts) {
			clock_gettime(CLOCK_REALTIME, &ts);
			have_ts = true;
		}
		capture_record(c, &ts, frame, len);
	}
}

/* ---- the interface ---------------------------------------------------------- */

/**
 * capture_spec_default() - no filter, no limits, default snaplen and buffer
 * @s:		filled in (target and path NULL)
 */
void capture_spec_default(struct capture_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->snaplen = CAPTURE_SNAPLEN_DEFAULT;
	s->buffer = CAPTURE_BUFFER_DEFAULT;
}

static int spec_num(const char *key, const char *val, uint64_t min,
		    uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (*val < '0' || *val > '9' || errno || *end || v < min || v > max) {
		snprintf(err, errlen,
			 "%s: `%s' is not a whole number in %" PRIu64
			 "-%" PRIu64,
			 key, val, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/**
 * capture_spec_parse() - read "port=P,file=F,max-frames=N,...,filter=EXPR"
 * @text:	the specification; modified, and @s points into it
 * @s:		filled in over capture_spec_default()
 * @err:	message on failure
 * @errlen:	its size
 *
 * Keys: port (id, name or all; default all), file (required), max-bytes,
 * max-frames, snaplen, buffer, and filter, which must come last because
 * it takes the rest of the text, commas included.
 *
 * Return: 0 on success, -EINVAL on failure
 */
int capture_spec_parse(char *text, struct capture_spec *s, char *err,
		       size_t errlen)
{
	char *key = text, *val, *next;
	uint64_t v = 0;
	int rc = 0;

	capture_spec_default(s);
	s->target = "all";
	while (key && *key && rc == 0) {
		val = strchr(key, '=');
		if (!val) {
			snprintf(err, errlen, "`%s': expected KEY=VALUE", key);
			return -EINVAL;
		}
		*val++ = '\0';
		if (!strcmp(key, "filter")) {
			s->filter = val;
			break;
		}
		next = strchr(val, ',');
		if (next)
			*next++ = '\0';
		if (!strcmp(key, "port"))
			s->target = val;
		else if (!strcmp(key, "file"))
			s->path = val;
		else if (!strcmp(key, "max-bytes"))
			rc = spec_num(key, val, 0, UINT64_MAX, &s->max_bytes,
				      err, errlen);
		else if (!strcmp(key, "max-frames"))
			rc = spec_num(key, val, 0, UINT64_MAX, &s->max_frames,
				      err, errlen);
		else if (!strcmp(key, "snaplen")) {
			rc = spec_num(key, val, CAPTURE_SNAPLEN_MIN,
				      CAPTURE_SNAPLEN_DEFAULT, &v, err, errlen);
			s->snaplen = (uint32_t)v;
		} else if (!strcmp(key, "buffer")) {
			rc = spec_num(key, val, CAPTURE_BUFFER_MIN,
				      CAPTURE_BUFFER_LIMIT, &v, err, errlen);
			s->buffer = (size_t)v;
		} else {
			snprintf(
				err, errlen,
				"unknown key `%s' (expected port, file, max-bytes, max-frames, snaplen, buffer or filter)",
				key);
			return -EINVAL;
		}
		key = next;
	}
	if (rc == 0 && (!s->path || !*s->path)) {
		snprintf(err, errlen, "file=PATH is required");
		return -EINVAL;
	}
	return rc;
}

/* End the captures of a port that is going away. */
static void capture_port_closed(struct swd *d, struct port *p)
{
	struct capture_set *cs = d->captures;
	unsigned k;

	if (!cs || !p->capture)
		return;
	for (k = 0; k < CAPTURE_MAX; k++)
		if (cs->cap[k].state == CAP_RUNNING && cs->cap[k].port == p)
			capture_end(&cs->cap[k], "port closed", false);
}

/* capture's subscription to the daemon's events: a removed port's
 * captures end. */
static void capture_hook(struct swd *d, const struct swd_event *ev,
			 void *opaque)
{
	(void)opaque;
	if (ev->type == SWD_EV_SW && ev->sw->ev == SW_EV_PORT_REMOVED)
		capture_port_closed(d, ev->sw->port);
}

/**
 * capture_init() - set up the capture slots and the core's hook
 * @d:		the daemon, after swd_init()
 *
 * Return: 0 on success, -ENOMEM
 */
int capture_init(struct swd *d)
{
	struct capture_set *cs = calloc(1, sizeof(*cs));
	unsigned k;

	if (!cs)
		return -ENOMEM;
	for (k = 0; k < CAPTURE_MAX; k++)
		cs->cap[k].fd = -1;
	cs->next_id = 1;
	if (swd_hook_add(d, capture_hook, NULL) < 0) {
		free(cs);
		return -ENOSPC;
	}
	d->captures = cs;
	d->sw.capture_cb = capture_frame_cb;
	d->sw.capture_opaque = d;
	return 0;
}

/**
 * capture_fini() - end every capture, write out what the reader takes now
 * @d:		the daemon
 */
void capture_fini(struct swd *d)
{
	struct capture_set *cs = d->captures;
	unsigned k;

	if (!cs)
		return;
	for (k = 0; k < CAPTURE_MAX; k++) {
		struct capture *c = &cs->cap[k];

		if (c->state == CAP_FREE)
			continue;
		capture_end(c, "switch stopping", false);
		if (c->state != CAP_FREE) {
			ring_drain(c);
			capture_close(c);
		}
	}
	d->sw.capture_cb = NULL;
	dynlib_close(cs->lib);
	free(cs);
	d->captures = NULL;
}

static int capture_open(struct capture *c, const struct capture_spec *s,
			char *err, size_t errlen)
{
	static const cookie_io_functions_t io = { .write = ring_write,
						  .close = ring_close };

	c->pd = c->api->open_dead(DLT_EN10MB, (int)s->snaplen,
				  PCAP_TSTAMP_PRECISION_MICRO);
	if (!c->pd) {
		snprintf(err, errlen, "libpcap: cannot open a dead handle");
		return -ENOMEM;
	}
	if (s->filter && c->api->compile(c->pd, &c->prog, s->filter, 1,
					 PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "filter `%s': %s", s->filter,
			 c->api->geterr(c->pd));
		return -EINVAL;
	}
	c->filter = s->filter ? strdup(s->filter) : NULL;
	c->path = strdup(s->path);
	c->ring = malloc(s->buffer);
	c->cap = s->buffer;
	if ((s->filter && !c->filter) || !c->path || !c->ring) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Never through a symbolic link: a capture asked for over the
	 * control socket must not truncate a file the link points at. */
	c->fd = open(s->path,
		     O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC |
			     O_NOCTTY | O_NOFOLLOW,
		     0600);
	if (c->fd < 0) {
		int e = errno;

		snprintf(
			err, errlen, "%s: %s", s->path,
			e == ENXIO
				? "a FIFO with no reader; start the reader (wireshark -k -i FIFO, tcpdump -r FIFO) first"
			: e == ELOOP
				? "a symbolic link, which is not followed; give the file's own path"
				: strerror(e));
		return -e;
	}
	c->fp = fopencookie(c, "w", io);
	if (!c->fp || setvbuf(c->fp, NULL, _IONBF, 0) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->dumper = c->api->dump_fopen(c->pd, c->fp);
	if (!c->dumper) {
		snprintf(err, errlen, "libpcap: %s", c->api->geterr(c->pd));
		return -EIO;
	}
	c->bytes = c->len; /* the file header */
	return 0;
}

/**
 * capture_start() - start capturing as @s says
 * @d:		the daemon
 * @s:		what, where, how much (copied)
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: the capture's number (> 0), or a negative error code
 */
int capture_start(struct swd *d, const struct capture_spec *s, char *err,
		  size_t errlen)
{
	struct capture_set *cs = d->captures;
	struct capture *c = NULL;
	struct port *p = NULL;
	unsigned k;
	int rc;

	for (k = 0; k < CAPTURE_MAX && !c; k++)
		if (cs->cap[k].state == CAP_FREE)
			c = &cs->cap[k];
	if (!c) {
		snprintf(err, errlen,
			 "%u captures are running already; stop one first",
			 CAPTURE_MAX);
		return -ENOSPC;
	}
	if (!s->target || !s->path || !*s->path) {
		snprintf(err, errlen,
			 "a port (or all) and a file are required");
		return -EINVAL;
	}
	if (s->snaplen < CAPTURE_SNAPLEN_MIN ||
	    s->snaplen > CAPTURE_SNAPLEN_DEFAULT ||
	    s->buffer < CAPTURE_BUFFER_MIN ||
	    s->buffer > CAPTURE_BUFFER_LIMIT) {
		snprintf(err, errlen,
			 "snaplen must be %u-%u and buffer %u-%u bytes",
			 CAPTURE_SNAPLEN_MIN, CAPTURE_SNAPLEN_DEFAULT,
			 CAPTURE_BUFFER_MIN, CAPTURE_BUFFER_LIMIT);
		return -EINVAL;
	}
	if (capture_buffers(d) > d->cfg.capture_budget ||
	    s->buffer > d->cfg.capture_budget - capture_buffers(d)) {
		snprintf(
			err, errlen,
			"buffer %zu bytes does not fit: the captures' buffers may take %zu bytes together (capture_budget) and %zu are in use; ask for less or stop a capture",
			s->buffer, d->cfg.capture_budget, capture_buffers(d));
		return -ENOSPC;
	}
	if (strcmp(s->target, "all") &&
	    !(p = sw_port_find(&d->sw, s->target))) {
		snprintf(err, errlen, "no port `%s'", s->target);
		return -ENOENT;
	}
	if (!cs->lib) {
		cs->lib = dynlib_open(&pcap_lib, &cs->api, err, errlen);
		if (!cs->lib) {
			log_error("capture: %s", err);
			return -ENOSYS;
		}
	}
	memset(c, 0, sizeof(*c));
	c->d = d;
	c->api = &cs->api;
	c->fd = -1;
	ev_io_init(&c->io, capture_io_cb, -1, EV_WRITE);
	ev_init(&c->timer, capture_timer_cb);
	rc = capture_open(c, s, err, errlen);
	if (rc < 0) {
		snprintf(c->reason, sizeof(c->reason), "could not start");
		c->state = CAP_DRAINING; /* capture_close() frees */
		c->len = 0;
		capture_close(c);
		return rc;
	}
	ev_io_set(&c->io, c->fd, EV_WRITE);
	c->id = cs->next_id++;
	c->all = !p;
	c->port = p;
	c->port_id = p ? p->id : 0;
	snprintf(c->port_name, sizeof(c->port_name), "%s", p ? p->name : "all");
	c->max_bytes = s->max_bytes;
	c->max_frames = s->max_frames;
	c->snaplen = s->snaplen;
	c->state = CAP_RUNNING;
	ev_io_start(d->loop, &c->io); /* the file header */
	capture_flags_update(d);
	log_info("capture %u started: port %s to %s%s%s%s", c->id, c->port_name,
		 c->path, c->filter ? ", filter `" : "",
		 c->filter ? c->filter : "", c->filter ? "'" : "");
	return (int)c->id;
}

/**
 * capture_stop() - end captures by number or by target
 * @d:		the daemon
 * @id:		capture number, or 0
 * @target:	port id or name (its per-port captures), "all" (the
 *		whole-switch captures), or NULL; with @id 0 and no @target,
 *		every capture ends
 * @err:	message when nothing matched
 * @errlen:	its size
 *
 * Return: number of captures ended (> 0), or -ENOENT
 */
int capture_stop(struct swd *d, unsigned id, const char *target, char *err,
		 size_t errlen)
{
	struct capture_set *cs = d->captures;
	struct port *p = NULL;
	bool all = target && !strcmp(target, "all");
	int n = 0;
	unsigned k;

	if (target && !all)
		p = sw_port_find(&d->sw, target);
	for (k = 0; k < CAPTURE_MAX; k++) {
		struct capture *c = &cs->cap[k];

		if (c->state != CAP_RUNNING || (id && c->id != id))
			continue;
		if (target && (all ? !c->all : c->all || c->port != p))
			continue;
		capture_end(c, "stopped on request", false);
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "no running capture matches");
		return -ENOENT;
	}
	return n;
}

/**
 * capture_buffers() - bytes of ring buffer the captures hold
 * @d:		the daemon
 *
 * Running and draining captures both count: their rings are allocated
 * until they close.
 *
 * Return: the sum of their buffer sizes
 */
size_t capture_buffers(const struct swd *d)
{
	size_t n = 0;
	unsigned k;

	if (!d->captures)
		return 0;
	for (k = 0; k < CAPTURE_MAX; k++)
		if (d->captures->cap[k].state != CAP_FREE)
			n += d->captures->cap[k].cap;
	return n;
}

/**
 * capture_get() - state of the capture in slot @slot
 * @d:		the daemon
 * @slot:	0..CAPTURE_MAX-1
 * @out:	filled in if the slot holds a running capture; its strings
 *		live until the capture ends
 *
 * Return: true if @out was filled in
 */
bool capture_get(const struct swd *d, unsigned slot, struct capture_info *out)
{
	const struct capture *c;

	if (!d->captures || slot >= CAPTURE_MAX)
		return false;
	c = &d->captures->cap[slot];
	if (c->state != CAP_RUNNING)
		return false;
	out->id = c->id;
	out->port = c->port_id;
	/* A running port capture's port is live: its name as it is now
	 * (port-name may have renamed it since the start). */
	out->port_name = c->port ? c->port->name : c->port_name;
	out->path = c->path;
	out->filter = c->filter ? c->filter : "";
	out->frames = c->frames;
	out->bytes = c->bytes;
	out->dropped = capture_dropped(c);
	out->filtered = c->filtered;
	out->buffered = c->len;
	out->buffer = c->cap;
	out->stalled = c->stalled;
	out->max_bytes = c->max_bytes;
	out->max_frames = c->max_frames;
	out->snaplen = c->snaplen;
	return true;
}
