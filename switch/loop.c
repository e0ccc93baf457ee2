// SPDX-License-Identifier: MIT
/*
 * loop.c - libev glue: receive batches, deferred port close, housekeeping
 *
 * DOC: Theory of Operation
 * Every transport reads into one shared receive buffer (the arena) and
 * hands frames to fwd_input(), which queues pointers into it. An
 * ev_prepare watcher, which libev runs after all callbacks of an
 * iteration and before it blocks again, ends the batch: sw_flush() writes
 * every port's new frames with one system call each and copies what the
 * peer did not take, then the arena is reused. If the arena fills up
 * within one iteration the batch ends early, the same way. Ports are
 * never closed inside their own callbacks: swd_port_close() marks them
 * down and stops their watchers, and the prepare watcher removes and
 * frees them after the flush, in the one deferred pass that also frees
 * the control clients and VDE handshakes closed during the iteration
 * (swd_defer()). An ev_check watcher reads the monotonic
 * clock once per iteration; a one-second timer ages the MAC table, trims
 * idle queues and, when queues that were large have drained, hands the
 * freed memory back to the system (malloc_trim()).
 * After the flush, sw_throttle_update() pauses ports whose unicast
 * destination is over its high-water mark and resumes those whose
 * destination drained; while any port is throttled a short timer keeps
 * the loop polling so that the time bound holds even when nothing else
 * happens.
 *
 * MAC conflicts: two guests given one mac= make that address appear on
 * two ports. The core stays silent about it and only reports what it did:
 * a MAC_MOVED event when the address moves, or, while the hold-down keeps
 * it on its first port, the port's mac_held counter and the address held
 * (port->held_mac). The logger keeps a small record of such addresses
 * (struct swd_macwatch) and warns, at most once a minute per address,
 * when one keeps moving back and forth, or keeps arriving on a second
 * port for longer than a guest moving between ports ever would. The
 * warning goes with a MAC_CONFLICT event naming both ports (hook type
 * SWD_EV_MAC_CONFLICT), sent from the one-second sweep, outside the
 * hooks, so that it never interleaves with the event being dispatched.
 * The same sweep warns when a port's storm control starts dropping
 * frames (rx_storm), then at most once a minute per port.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "sockswitch/stream_rx.h"
#include "sockswitchd.h"
#include "transport/uplink.h"

#define SWEEP_INTERVAL_S 1.0
#define THROTTLE_POLL_S 0.005

#define STORM_WARN_MS 60000 /* one storm warning per port per minute */

#define MACWATCH_SLOTS 16
#define MACWATCH_FLAP_MS 10000 /* a move back within this is flapping */
#define MACWATCH_FLAPS 3 /* moves back and forth before a warning */
#define MACWATCH_WARN_MS 60000 /* one warning per address per minute */
#define MACWATCH_CONFLICT \
	"two guests with the same mac=? give each guest its own mac= on its -device line"

/**
 * struct macwatch_slot - one address lately seen on two ports
 * @used:	in use
 * @vid:	VLAN
 * @mac:	the address
 * @from:	its last move: port id it left
 * @to:		port id it moved to
 * @moved_ms:	when (0: never moved)
 * @flaps:	moves in a row, each back to the port the previous one left,
 *		each within MACWATCH_FLAP_MS of the one before
 * @held_port:	id of the port the hold-down keeps it off, or 0
 * @held_first_ms: first sweep of the current run of held frames
 * @held_last_ms: latest sweep that saw held frames
 * @flapping:	the moves make it a conflict: the next sweep reports it
 * @warned:	a warning was logged
 * @warned_ms:	when
 * @last_ms:	last activity: the slot least recently active is reused
 */
struct macwatch_slot {
	bool used;
	uint16_t vid;
	uint8_t mac[MAC_LEN];
	uint32_t from;
	uint32_t to;
	uint64_t moved_ms;
	unsigned flaps;
	uint32_t held_port;
	uint64_t held_first_ms;
	uint64_t held_last_ms;
	bool flapping;
	bool warned;
	uint64_t warned_ms;
	uint64_t last_ms;
};

/**
 * struct swd_macwatch - the logger's bounded record of MAC conflicts
 * @slot:	addresses lately seen moving or held
 */
struct swd_macwatch {
	struct macwatch_slot slot[MACWATCH_SLOTS];
};

/**
 * struct swd_watchers - libev watchers owned by the daemon context
 * @prepare:	ends receive batches, closes ports
 * @check:	refreshes the clock
 * @stp:	spanning tree's timers (while it is on)
 * @sweep:	ages the MAC table
 * @throttle:	runs while ports are throttled (the wakeup is the point)
 * @impair:	wakes the loop when the next impaired (delayed) frame is
 *		due; the prepare watcher queues it
 */
struct swd_watchers {
	ev_prepare prepare;
	ev_check check;
	ev_timer sweep;
	ev_timer throttle;
	ev_timer impair;
	ev_timer stp;
};

/**
 * swd_clock_ms() - monotonic milliseconds
 *
 * Return: current CLOCK_MONOTONIC time in ms
 */
uint64_t swd_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * swd_end_batch() - end the receive batch now: write or copy every queued
 *		     frame, reuse the arena, run the batch hooks
 * @d:		the daemon
 *
 * The prepare watcher does it once per loop iteration; a transport calls
 * it before it unmaps memory that queued frames may still point into.
 */
void swd_end_batch(struct swd *d)
{
	if (d->sw.nimpaired)
		sw_impair_release(&d->sw, d->now_ms);
	sw_flush(&d->sw);
	d->arena_used = 0;
	if (d->sw.queued_bytes > d->queued_high) /* what sits in the heap */
		d->queued_high = d->sw.queued_bytes;
	while (d->batch_hooks) {
		struct swd_batch_hook *h = d->batch_hooks;

		d->batch_hooks = h->next;
		h->next = NULL;
		h->queued = false;
		h->done(h);
	}
}

/**
 * swd_batch_hook_add() - run @done when this batch ends
 * @d:		the daemon
 * @h:		the hook, embedded in the transport's object
 * @done:	what to run (it may add the hook again: for the next batch)
 */
void swd_batch_hook_add(struct swd *d, struct swd_batch_hook *h,
			void (*done)(struct swd_batch_hook *h))
{
	if (h->queued)
		return;
	h->done = done;
	h->queued = true;
	h->next = d->batch_hooks;
	d->batch_hooks = h;
}

/**
 * swd_batch_hook_cancel() - take @h off the list (its object is going)
 * @d:		the daemon
 * @h:		the hook
 */
void swd_batch_hook_cancel(struct swd *d, struct swd_batch_hook *h)
{
	struct swd_batch_hook **pp;

	if (!h->queued)
		return;
	for (pp = &d->batch_hooks; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	h->next = NULL;
	h->queued = false;
}

/*
 * Give freed queue memory back to the system: the spill chunks are small
 * heap blocks, and the allocator keeps the pages of freed ones for reuse
 * (a switch whose 1,000 stalled queues drained kept their gigabytes).
 * Once the queues held SWD_TRIM_MIN or more and are down to a quarter of
 * that, malloc_trim() returns the free pages. Called after sw_expire()
 * freed idle queues' spare chunks and rings.
 */
static void swd_memory_sweep(struct swd *d)
{
	size_t now = d->sw.queued_bytes;

	if (d->queued_high < SWD_TRIM_MIN || now > d->queued_high / 4)
		return;
	malloc_trim(0);
	d->malloc_trims++;
	d->queued_high = now;
}

/* Wake up when the next impaired frame is due (nothing held: sleep). */
static void swd_impair_timer(struct swd *d)
{
	uint64_t due = sw_impair_next_due(&d->sw);
	ev_timer *t = &d->watchers->impair;

	if (due == UINT64_MAX) {
		if (ev_is_active(t))
			ev_timer_stop(d->loop, t);
		return;
	}
	ev_timer_stop(d->loop, t);
	ev_timer_set(
		t, due > d->now_ms ? (double)(due - d->now_ms) / 1000.0 : 0, 0);
	ev_timer_start(d->loop, t);
}

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct swd *d = ev_userdata(loop);

	(void)w;
	(void)revents;
	swd_end_batch(d);
	swd_process_deferred(d);
	if (d->sw.nimpaired || ev_is_active(&d->watchers->impair))
		swd_impair_timer(d);
	if (d->sw.nthrottled && sw_throttle_update(&d->sw, d->now_ms) != 0) {
		if (!ev_is_active(&d->watchers->throttle))
			ev_timer_again(loop, &d->watchers->throttle);
	} else if (ev_is_active(&d->watchers->throttle)) {
		ev_timer_stop(loop, &d->watchers->throttle);
	}
}

static void throttle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	/* The prepare watcher does the work before the loop blocks again. */
}

static void stp_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct swd *d = ev_userdata(loop);

	(void)w;
	(void)revents;
	sw_stp_tick(&d->sw, d->now_ms); /* the prepare watcher flushes */
}

/* The bridge's address: locally administered, from the run's secret. */
static void stp_mac(const struct swd *d, uint8_t mac[6])
{
	uint64_t x = d->sw.prm.hash_secret * 0x9e3779b97f4a7c15ULL;
	int i;

	mac[0] = 0x02;
	for (i = 1; i < 6; i++)
		mac[i] = (uint8_t)(x >> (8 * i));
}

/**
 * swd_stp_apply() - spanning tree as @c says: on (with its settings), off,
 *		     or unchanged
 * @d:		the daemon
 * @c:		the config (in force, or being applied by a reload)
 *
 * New settings restart the tree (every port that is not an edge listens
 * and learns again).
 *
 * Return: 0, or -ENOMEM (logged; STP is then off)
 */
int swd_stp_apply(struct swd *d, const struct swd_config *c)
{
	struct stp *s = d->sw.stp;
	uint8_t mac[6];
	char id[24];

	if (!c->stp_on) {
		if (!s)
			return 0;
		sw_stp_disable(&d->sw);
		ev_timer_stop(d->loop, &d->watchers->stp);
		log_info("spanning tree off: every port forwards");
		return 0;
	}
	if (s && !memcmp(&s->cfg, &c->stp, sizeof(c->stp)))
		return 0;
	stp_mac(d, mac);
	if (sw_stp_enable(&d->sw, &c->stp, mac, d->now_ms) < 0) {
		log_error("spanning tree: out of memory; it stays off");
		return -ENOMEM;
	}
	stp_id_format(d->sw.stp->bridge_id, id, sizeof(id));
	log_info(
		"spanning tree on: bridge id %s, hello %us, max age %us, forward delay %us",
		id, c->stp.hello_s, c->stp.max_age_s, c->stp.fwd_delay_s);
	ev_timer_set(&d->watchers->stp, STP_TICK_MS / 1000.0,
		     STP_TICK_MS / 1000.0);
	ev_timer_start(d->loop, &d->watchers->stp);
	return 0;
}

/**
 * swd_port_impair() - impair frames leaving @p (sockswitchctl impair, a
 *		       listener's "impair"), change how, or stop
 * @d:		the daemon
 * @p:		the port
 * @cfg:	the settings, or NULL (or all off) to stop
 * @seeded:	@cfg's seed was given; else the port gets a random one
 *		(shown in query-ports, so a run can be repeated)
 *
 * Return: 0, or -ENOMEM (logged; the port keeps what it had)
 */
int swd_port_impair(struct swd *d, struct port *p, const struct impair_cfg *cfg,
		    bool seeded)
{
	struct impair_cfg c;
	int rc;

	if (cfg) {
		c = *cfg;
		if (!seeded &&
		    getrandom(&c.seed, sizeof(c.seed), GRND_NONBLOCK) !=
			    (ssize_t)sizeof(c.seed))
			c.seed = swd_clock_ms() ^ ((uint64_t)getpid() << 32) ^
				 p->id;
		cfg = &c;
	}
	rc = sw_port_impair(&d->sw, p, cfg);
	if (rc < 0)
		log_warnx("port %u (%s): no memory to impair it", p->id,
			  p->name);
	return rc;
}

/**
 * swd_port_vlan() - give @p a VLAN mode (sockswitchctl vlan, a listener's
 *		     or an uplink's), change it, or take it away; logged
 * @d:		the daemon
 * @p:		the port
 * @c:		the mode, NULL or VLAN_MODE_NONE for none
 *
 * Return: 0, -EINVAL (a mode vlan_cfg_check() refuses) or -ENOMEM
 * (logged); the port then keeps the mode it had
 */
int swd_port_vlan(struct swd *d, struct port *p, const struct vlan_cfg *c)
{
	char text[VLAN_TEXT_MAX];
	int rc;

	if (vlan_cfg_same(p->vlan, c))
		return 0;
	rc = sw_port_set_vlan(&d->sw, p, c);
	if (rc == -ENOMEM)
		log_warnx("port %u (%s): no memory for its VLAN mode", p->id,
			  p->name);
	if (rc < 0)
		return rc;
	vlan_cfg_format(p->vlan, text, sizeof(text));
	log_info("port %u (%s): VLAN mode %s", p->id, p->name, text);
	return 0;
}

static void check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct swd *d = ev_userdata(loop);

	(void)w;
	(void)revents;
	d->now_ms = swd_clock_ms();
}

/**
 * swd_hook_add() - subscribe to the daemon's events
 * @d:		the daemon
 * @fn:		called for each event (see swd_hook_fn for what it may do)
 * @opaque:	passed back
 *
 * Return: 0 on success, -ENOSPC when SWD_HOOKS_MAX are registered
 */
int swd_hook_add(struct swd *d, swd_hook_fn fn, void *opaque)
{
	if (d->nhooks >= SWD_HOOKS_MAX)
		return -ENOSPC;
	d->hooks[d->nhooks].fn = fn;
	d->hooks[d->nhooks].opaque = opaque;
	d->nhooks++;
	return 0;
}

/**
 * swd_emit() - hand an event to every subscriber, in registration order
 * @d:		the daemon
 * @ev:		the event
 */
void swd_emit(struct swd *d, const struct swd_event *ev)
{
	size_t i;

	for (i = 0; i < d->nhooks; i++)
		d->hooks[i].fn(d, ev, d->hooks[i].opaque);
}

/* The core's observer: everything it reports goes to the hook list. */
static void sw_event_cb(void *opaque, const struct sw_event_info *e)
{
	struct swd_event ev = { .type = SWD_EV_SW, .sw = e };

	swd_emit(opaque, &ev);
}

/**
 * macwatch_slot() - the record of one address, made if it is new
 * @w:		the record
 * @vid:	VLAN
 * @mac:	address
 * @now_ms:	current time
 *
 * Return: its slot: a new one replaces the least recently active
 */
static struct macwatch_slot *macwatch_slot(struct swd_macwatch *w, uint16_t vid,
					   const uint8_t *mac, uint64_t now_ms)
{
	struct macwatch_slot *s, *victim = &w->slot[0];
	size_t i;

	for (i = 0; i < MACWATCH_SLOTS; i++) {
		s = &w->slot[i];
		if (s->used && s->vid == vid && !memcmp(s->mac, mac, MAC_LEN))
			goto found;
		if (!s->used || (victim->used && s->last_ms < victim->last_ms))
			victim = s;
	}
	s = victim;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->vid = vid;
	memcpy(s->mac, mac, MAC_LEN);
found:
	s->last_ms = now_ms;
	return s;
}

/**
 * macwatch_may_warn() - rate limit: at most one warning per address
 *			 per MACWATCH_WARN_MS
 * @s:		the address
 * @now_ms:	current time
 *
 * Return: true if a warning may be logged now (and is counted as logged)
 */
static bool macwatch_may_warn(struct macwatch_slot *s, uint64_t now_ms)
{
	if (s->warned && now_ms - s->warned_ms < MACWATCH_WARN_MS)
		return false;
	s->warned = true;
	s->warned_ms = now_ms;
	return true;
}

/**
 * macwatch_moved() - an address moved: warn if it keeps moving back
 * @d:		the daemon
 * @e:		the MAC_MOVED event
 */
static void macwatch_moved(struct swd *d, const struct sw_event_info *e)
{
	struct macwatch_slot *s;

	if (!d->macwatch)
		return;
	s = macwatch_slot(d->macwatch, e->vid, e->mac, d->now_ms);
	if (s->moved_ms && d->now_ms - s->moved_ms <= MACWATCH_FLAP_MS &&
	    s->from == e->to->id && s->to == e->from->id)
		s->flaps++;
	else
		s->flaps = 1;
	s->from = e->from->id;
	s->to = e->to->id;
	s->moved_ms = d->now_ms;
	s->held_port = 0;
	if (s->flaps >= MACWATCH_FLAPS)
		s->flapping = true;
}

/**
 * macwatch_conflict() - report one address on two ports: a warning and a
 *			 MAC_CONFLICT event, at most once per address per
 *			 MACWATCH_WARN_MS
 * @d:		the daemon
 * @s:		the address
 * @on:		the port the table has it on (moving: where it went last)
 * @also:	the other port
 * @how:	"held" (it keeps arriving on @also, where the hold-down does
 *		not learn it) or "moving" (back and forth between the two)
 *
 * Context: the sweep, not a hook: it emits an event itself.
 */
static void macwatch_conflict(struct swd *d, struct macwatch_slot *s,
			      const struct port *on, const struct port *also,
			      const char *how)
{
	const struct swd_mac_conflict c = {
		.vid = s->vid, .mac = s->mac, .on = on, .also = also, .how = how
	};
	const struct swd_event ev = { .type = SWD_EV_MAC_CONFLICT,
				      .conflict = &c };
	char m[MAC_STRLEN];

	if (!macwatch_may_warn(s, d->now_ms))
		return;
	mac_format(s->mac, m);
	if (!strcmp(how, "moving"))
		log_warnx(
			"mac %s vlan %u keeps moving between port %u (%s: %s) and port %u (%s: %s): " MACWATCH_CONFLICT
			" (each move is a MAC_MOVED event; a MAC_CONFLICT event names both ports)",
			m, s->vid, also->id, also->name, also->descr, on->id,
			on->name, on->descr);
	else
		log_warnx(
			"mac %s vlan %u is on port %u (%s: %s) and keeps arriving on port %u (%s: %s) too, where the hold-down does not learn it (counted as mac_held; a MAC_CONFLICT event): " MACWATCH_CONFLICT,
			m, s->vid, on->id, on->name, on->descr, also->id,
			also->name, also->descr);
	swd_emit(d, &ev);
}

/**
 * macwatch_held() - @p received frames from an address the hold-down keeps
 *		     on another port: warn if that goes on for longer than
 *		     a guest moving from one port to another explains
 * @d:		the daemon
 * @p:		the port, with port->held_mac set
 *
 * A guest that really moved is silent on its old port, so its address
 * moves at most the hold-down time after its last frame there: held
 * frames seen over a longer span (plus a sweep either side) mean that
 * both ports keep sending from it.
 */
static void macwatch_held(struct swd *d, struct port *p)
{
	uint64_t span = d->sw.mt.hold_ms + (uint64_t)(2000 * SWEEP_INTERVAL_S);
	struct macwatch_slot *s;
	struct port *q;

	q = mac_table_lookup(&d->sw.mt, p->held_vid, p->held_mac, d->now_ms);
	if (!q || q == p)
		return;
	s = macwatch_slot(d->macwatch, p->held_vid, p->held_mac, d->now_ms);
	if (s->held_port != p->id ||
	    d->now_ms - s->held_last_ms > MACWATCH_FLAP_MS) {
		s->held_port = p->id;
		s->held_first_ms = d->now_ms;
	}
	s->held_last_ms = d->now_ms;
	if (d->now_ms - s->held_first_ms >= span)
		macwatch_conflict(d, s, q, p, "held");
}

/**
 * macwatch_sweep() - look at every port that had held frames since the
 *		      last sweep, and every address found moving back and
 *		      forth
 * @d:		the daemon
 */
static void macwatch_sweep(struct swd *d)
{
	static const uint8_t none[MAC_LEN];
	struct macwatch_slot *s;
	struct port *p, *q;
	uint32_t i;

	if (!d->macwatch)
		return;
	port_foreach(&d->sw, p, i) {
		if (!memcmp(p->held_mac, none, MAC_LEN))
			continue;
		macwatch_held(d, p);
		memset(p->held_mac, 0, MAC_LEN);
	}
	for (i = 0; i < MACWATCH_SLOTS; i++) {
		s = &d->macwatch->slot[i];
		if (!s->used || !s->flapping)
			continue;
		s->flapping = false;
		p = sw_port_by_id(&d->sw, s->to);
		q = sw_port_by_id(&d->sw, s->from);
		if (p && q) /* both still there */
			macwatch_conflict(d, s, p, q, "moving");
	}
}

/* Spanning tree's changes, and BPDU guards that fire. */
static void log_stp_event(struct swd *d, const struct sw_event_info *e)
{
	const struct stp *s = d->sw.stp;
	struct port *p = e->port;
	char id[24];

	if (e->ev == SW_EV_BPDU_GUARD) {
		log_warnx(
			"port %u (%s): a BPDU arrived on a port with bpdu_guard: port disabled (a bridge or a loop where a guest was expected); sockswitchctl enable %s turns it back on",
			p->id, p->descr, p->name);
		return;
	}
	if (!s)
		return;
	if (e->ev == SW_EV_STP_PORT && p && p->stp) {
		log_info("port %u (%s): stp %s, %s%s", p->id, p->descr,
			 stp_state_name(p->stp->state),
			 stp_role_name(stp_port_role(&d->sw, p)),
			 p->stp->edge ? ", edge" : "");
	} else if (e->ev == SW_EV_STP_ROOT) {
		stp_id_format(s->root_id, id, sizeof(id));
		if (!s->root_port)
			log_info("stp: this switch is the root (%s)", id);
		else
			log_info("stp: root %s, cost %u, through port %u (%s)",
				 id, s->root_cost, s->root_port->id,
				 s->root_port->descr);
	} else if (e->ev == SW_EV_STP_TC) {
		log_info("stp: topology change (%llu so far)",
			 (unsigned long long)s->tc_count);
	}
}

/**
 * storm_sweep() - warn about ports whose storm control drops frames: on
 *		   the first sweep that sees new rx_storm drops, then at most
 *		   once a minute per port while they go on, with the count
 *		   since the last warning
 * @d:		the daemon
 *
 * The core only counts (port->st.drops[PORT_DROP_RX_STORM]); the logger
 * keeps what it said last in port->storm_seen and ->storm_warned_ms.
 */
static void storm_sweep(struct swd *d)
{
	struct port *p;
	uint32_t i;

	port_foreach(&d->sw, p, i) {
		uint64_t n = p->st.drops[PORT_DROP_RX_STORM];

		if (n == p->storm_seen ||
		    (p->storm_warned_ms &&
		     d->now_ms - p->storm_warned_ms < STORM_WARN_MS))
			continue;
		log_warnx(
			"port %u (%s): storm control dropped %" PRIu64
			" broadcast, multicast and unknown unicast frames over its broadcast_limit of %u a second (counted as rx_storm; one warning a minute at most)",
			p->id, p->descr, n - p->storm_seen, p->storm_fps);
		p->storm_seen = n;
		p->storm_warned_ms = d->now_ms;
	}
}

/* The logger's subscription: MAC events, and the end of a port. */
static void log_hook(struct swd *d, const struct swd_event *ev, void *opaque)
{
	const struct sw_event_info *e = ev->sw;
	char m[MAC_STRLEN];

	(void)opaque;
	if (ev->type != SWD_EV_SW)
		return;
	switch (e->ev) {
	case SW_EV_MAC_NEW:
		log_debug("mac %s vlan %u learned on port %u",
			  mac_format(e->mac, m), e->vid, e->to->id);
		break;
	case SW_EV_MAC_MOVED:
		log_debug("mac %s vlan %u moved from port %u to port %u",
			  mac_format(e->mac, m), e->vid, e->from->id,
			  e->to->id);
		macwatch_moved(d, e);
		break;
	case SW_EV_MAC_AGED:
		log_debug("mac %s vlan %u on port %u aged out",
			  mac_format(e->mac, m), e->vid, e->from->id);
		break;
	case SW_EV_MAC_TABLE_FULL:
		log_warnx(
			"mac table full (%u entries): learning %s from port %u evicts the oldest address of the port with the most; reported once until addresses age out (counted as mac_table_full and mac_evicted)",
			d->sw.mt.max, mac_format(e->mac, m), e->to->id);
		break;
	case SW_EV_MAC_EVICTED:
		log_debug(
			"mac %s vlan %u on port %u evicted for a new address on port %u",
			mac_format(e->mac, m), e->vid, e->from->id, e->to->id);
		break;
	case SW_EV_PORT_REMOVED:
		if (!e->port->closing)
			break; /* never attached: its transport said why */
		log_info("port %u (%s) closed: %s", e->port->id, e->port->descr,
			 e->port->close_reason);
		swd_log_port_stats(e->port, "final");
		break;
	case SW_EV_MIRROR_REMOVED:
		log_info("mirror %u (%s) -> %u (%s) ended: port %u is removed",
			 e->from->id, e->from->name, e->to->id, e->to->name,
			 e->port->id);
		break;
	case SW_EV_PORT_UP:
	case SW_EV_PORT_DOWN:
		break; /* transports log their own words for these */
	case SW_EV_STP_PORT:
	case SW_EV_STP_ROOT:
	case SW_EV_STP_TC:
	case SW_EV_BPDU_GUARD:
		log_stp_event(d, e);
		break;
	}
}

/**
 * swd_log_hook_register() - the logger subscribes to the daemon's events
 * @d:		the daemon
 *
 * It also watches for one address on two ports (d->macwatch, freed by
 * swd_fini()).
 *
 * Return: 0 on success, negative error code on failure
 */
int swd_log_hook_register(struct swd *d)
{
	if (!d->macwatch && !(d->macwatch = calloc(1, sizeof(*d->macwatch))))
		return -ENOMEM;
	return swd_hook_add(d, log_hook, NULL);
}

static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct swd *d = ev_userdata(loop);

	(void)w;
	(void)revents;
	/* check_cb has read the clock in this iteration already. */
	sw_expire(&d->sw, d->now_ms);
	swd_memory_sweep(d);
	macwatch_sweep(d);
	storm_sweep(d);
}

/**
 * swd_init() - set up the daemon context on @loop (config already in d->cfg)
 * @d:		the daemon
 * @loop:	libev loop
 *
 * Return: 0 on success, negative error code on failure
 */
int swd_init(struct swd *d, struct ev_loop *loop)
{
	struct swd_watchers *w;
	int rc;

	d->loop = loop;
	ev_set_userdata(loop, d);
	rc = sw_init(&d->sw, &d->cfg.core);
	if (rc < 0)
		return rc;
	d->sw.event_cb = sw_event_cb;
	d->sw.event_opaque = d;
	/* Address space, not memory: pages are touched only as reads land,
	 * and a datagram slot's unused tail never is. */
	d->arena_len = 8 * SWD_READ_CHUNK +
		       2 * (STREAM_HDR_LEN + FRAME_MAX_LEN_LIMIT) +
		       2 * SWD_RX_SLOTS * (size_t)FRAME_MAX_LEN_LIMIT;
	d->arena = malloc(d->arena_len);
	d->iov = calloc(SWD_IOV_MAX, sizeof(*d->iov));
	d->hdr = calloc(SWD_IOV_MAX / 2, sizeof(*d->hdr));
	d->watchers = w = calloc(1, sizeof(*w));
	if (!d->arena || !d->iov || !d->hdr || !w)
		return -ENOMEM;
	d->start_ms = d->now_ms = swd_clock_ms();
	ev_prepare_init(&w->prepare, prepare_cb);
	ev_prepare_start(loop, &w->prepare);
	ev_check_init(&w->check, check_cb);
	ev_check_start(loop, &w->check);
	ev_timer_init(&w->sweep, sweep_cb, SWEEP_INTERVAL_S, SWEEP_INTERVAL_S);
	ev_timer_start(loop, &w->sweep);
	ev_init(&w->throttle, throttle_cb);
	w->throttle.repeat = THROTTLE_POLL_S;
	ev_init(&w->impair, throttle_cb);
	ev_init(&w->stp, stp_cb);
	return 0;
}

/**
 * swd_fini() - stop the daemon's own watchers and free its memory
 * @d:		the daemon; ports and listeners must be closed already
 */
void swd_fini(struct swd *d)
{
	swd_process_deferred(d);
	if (d->watchers && d->loop) {
		ev_prepare_stop(d->loop, &d->watchers->prepare);
		ev_check_stop(d->loop, &d->watchers->check);
		ev_timer_stop(d->loop, &d->watchers->sweep);
		ev_timer_stop(d->loop, &d->watchers->throttle);
		ev_timer_stop(d->loop, &d->watchers->impair);
		ev_timer_stop(d->loop, &d->watchers->stp);
	}
	free(d->watchers);
	free(d->macwatch);
	d->macwatch = NULL;
	free(d->arena);
	free(d->iov);
	free(d->hdr);
	d->watchers = NULL;
	d->arena = NULL;
	d->iov = NULL;
	d->hdr = NULL;
	sw_fini(&d->sw);
}

/**
 * swd_rx_buf() - where the next read goes
 * @d:		the daemon
 * @space:	set to the bytes available, at least one full frame plus
 *		SWD_READ_CHUNK
 *
 * Ends the batch early if the arena is too full for another read.
 *
 * Return: pointer into the arena
 */
uint8_t *swd_rx_buf(struct swd *d, size_t *space)
{
	size_t need = STREAM_HDR_LEN + d->sw.prm.max_frame + SWD_READ_CHUNK;

	if (d->arena_len - d->arena_used < need)
		swd_end_batch(d);
	*space = d->arena_len - d->arena_used;
	if (*space > need)
		*space = need;
	return d->arena + d->arena_used;
}

/**
 * swd_rx_slots() - room for a recvmmsg() of up to @want datagram slots
 * @d:		the daemon
 * @slot:	bytes per slot (max_frame: a datagram is never cut)
 * @want:	slots wanted, at most SWD_RX_SLOTS
 * @n:		set to the slots available, at least 1
 *
 * Ends the batch early if the arena cannot take @want slots. The caller
 * packs the datagrams it got to the front and commits only their bytes,
 * so a slot's unused tail is never touched.
 *
 * Return: pointer into the arena
 */
uint8_t *swd_rx_slots(struct swd *d, size_t slot, unsigned want, unsigned *n)
{
	size_t room;

	if (want > SWD_RX_SLOTS)
		want = SWD_RX_SLOTS;
	if (d->arena_len - d->arena_used < slot * want)
		swd_end_batch(d);
	room = (d->arena_len - d->arena_used) / slot;
	*n = room < want ? (unsigned)room : want;
	return d->arena + d->arena_used;
}

/**
 * swd_rx_commit() - @used bytes at the last swd_rx_buf() now hold frames
 * @d:		the daemon
 * @used:	bytes to keep until the end of the batch
 */
void swd_rx_commit(struct swd *d, size_t used)
{
	d->arena_used += used;
}

/**
 * swd_port_close() - take a port down now, close and free it after dispatch
 * @d:		the daemon
 * @p:		the port; its transport has stopped its watchers
 * @fmt:	reason, for the log
 *
 * Context: safe from the port's own callbacks and from its flush.
 */
void swd_port_close(struct swd *d, struct port *p, const char *fmt, ...)
{
	va_list ap;

	if (p->closing)
		return;
	va_start(ap, fmt);
	vsnprintf(p->close_reason, sizeof(p->close_reason), fmt, ap);
	va_end(ap);
	sw_port_set_closing(&d->sw, p);
	p->close_next = d->closing;
	d->closing = p;
}

/**
 * swd_defer() - free @x in the deferred pass after this dispatch
 * @d:		the daemon
 * @x:		embedded in the object; the object must be unreachable
 *		from now on except through pointers the current call chain
 *		still holds
 * @free_fn:	frees the object
 *
 * Context: safe from the object's own callbacks.
 */
void swd_defer(struct swd *d, struct swd_deferred *x,
	       void (*free_fn)(struct swd_deferred *x))
{
	if (x->queued)
		return;
	x->queued = true;
	x->free = free_fn;
	x->next = d->deferred;
	d->deferred = x;
}

/**
 * swd_process_deferred() - the one deferred pass: close and free every
 *			    port marked closing, then every deferred object
 * @d:		the daemon
 *
 * Ports are removed from the core (subscribers see SW_EV_PORT_REMOVED:
 * the log line, the PORT_DOWN event, captures ending) and then closed by
 * their transport; control clients and VDE handshakes closed during the
 * dispatch are freed.
 *
 * Context: only from the prepare watcher or at shutdown, never inside a
 * callback of anything on the lists.
 */
void swd_process_deferred(struct swd *d)
{
	while (d->closing) {
		struct port *p = d->closing;

		d->closing = p->close_next;
		sw_port_remove(&d->sw, p); /* hooks see SW_EV_PORT_REMOVED */
		p->ops->close(p);
	}
	while (d->deferred) {
		struct swd_deferred *x = d->deferred;

		d->deferred = x->next;
		x->queued = false;
		x->free(x);
	}
}

/**
 * swd_close_all_ports() - close every port (shutdown)
 * @d:		the daemon
 * @reason:	for the log
 */
void swd_close_all_ports(struct swd *d, const char *reason)
{
	struct port *p;
	uint32_t i;

	swd_end_batch(d);
	port_foreach(&d->sw, p, i)
		swd_port_close(d, p, "%s", reason);
	swd_process_deferred(d);
}

/**
 * swd_port_state() - a port's state for listings
 * @p:		the port
 *
 * Return: "closing", "disabled", or the transport's state (if it has
 * none: "up", or "down" while it has no carrier, as p->up says)
 */
const char *swd_port_state(const struct port *p)
{
	if (p->closing)
		return "closing";
	if (!p->enabled)
		return "disabled";
	if (p->ops->state)
		return p->ops->state(p);
	return p->up ? "up" : "down";
}

/**
 * swd_log_port_stats() - one key=value line with every counter of @p
 * @p:		the port
 * @prefix:	first word ("stats" for dumps, "final" at close)
 */
void swd_log_port_stats(const struct port *p, const char *prefix)
{
	struct uplink_counter uc[UPLINK_COUNTERS_MAX];
	char drops[1024];
	size_t off = 0, nuc, k;
	int i;

	drops[0] = '\0';
	for (i = 0; i < PORT_DROP__MAX && off < sizeof(drops); i++) {
		int n = snprintf(drops + off, sizeof(drops) - off,
				 " drop_%s=%" PRIu64, port_drop_name[i],
				 p->st.drops[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	/* Then the counters of the transport itself (an mcast uplink's). */
	nuc = uplink_port_counters(p, uc, UPLINK_COUNTERS_MAX);
	for (k = 0; k < nuc && off < sizeof(drops); k++) {
		int n = snprintf(drops + off, sizeof(drops) - off,
				 " %s=%" PRIu64, uc[k].name, uc[k].value);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	log_info(
		"%s port=%u name=%s transport=%s peer=\"%s\" up=%d state=%s rx_frames=%" PRIu64
		" rx_bytes=%" PRIu64 " rx_broadcast=%" PRIu64
		" rx_multicast=%" PRIu64 " tx_frames=%" PRIu64
		" tx_bytes=%" PRIu64 " tx_queued_now=%u mac_new=%" PRIu64
		" mac_moves=%" PRIu64 " mac_held=%" PRIu64
		" mac_table_full=%" PRIu64 " mac_evicted=%" PRIu64
		" throttled=%" PRIu64 " throttle_timeouts=%" PRIu64 "%s",
		prefix, p->id, p->name, p->ops->name, p->descr, p->up,
		swd_port_state(p), p->st.rx_frames, p->st.rx_bytes,
		p->st.rx_broadcast, p->st.rx_multicast, p->st.tx_frames,
		p->st.tx_bytes, p->txq.count, p->st.mac_new, p->st.mac_moves,
		p->st.mac_held, p->st.mac_table_full, p->st.mac_evicted,
		p->st.throttled, p->st.throttle_timeouts, drops);
}

/**
 * swd_watch_output() - wait for writability only while output is pending
 * @d:		the daemon
 * @wio:	the port's write watcher
 * @q:		its transmit queue, after a flush
 */
void swd_watch_output(struct swd *d, struct ev_io *wio, const struct txq *q)
{
	if (txq_empty(q))
		ev_io_stop(d->loop, wio);
	else
		ev_io_start(d->loop, wio);
}
