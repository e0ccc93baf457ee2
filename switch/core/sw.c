// SPDX-License-Identifier: MIT
/*
 * sw.c - the forwarding core: ports, learning, flooding
 *
 * DOC: Theory of Operation
 * fwd_input() takes one received frame: it counts it, learns the source
 * {VLAN, MAC} (never broadcast, multicast or all-zero sources), then
 * queues the frame on its one destination port if the destination is
 * known unicast, or on every other live port otherwise (broadcast,
 * multicast, unknown unicast, or everything in hub mode). A frame is
 * never sent back out of the port it came in on. Queued frames are
 * borrowed from the caller's buffer; sw_flush(), at the end of a receive
 * batch, asks each port that got frames to write them out and then copies
 * what is left. Every received frame ends in exactly one place: forwarded
 * (one queue entry or queue-full drop per destination) or an rx drop
 * counter, which the unit tests check as an invariant.
 *
 * Flood list: sw->flood holds exactly the ports that are up, so a flood
 * costs one step per live destination, however many ports are idle,
 * disabled or waiting for a carrier. p->up is derived state: enabled,
 * not closing and with a carrier. Only sw_port_set_up() writes it and it
 * moves the port into or out of sw->flood (swap-remove, p->fidx) in the
 * same step, and forgets the addresses learned on a port that goes down
 * (so the MAC table never points at a port that is down); everything else changes the inputs through
 * sw_port_add(), sw_port_remove(), sw_port_set_enabled(),
 * sw_port_set_carrier() and sw_port_set_closing().
 *
 * Events flow one way: sw_port_set_up() is also the one place that
 * reports a port going up or down (SW_EV_PORT_UP/DOWN, with the setter
 * that caused it), and sw_port_remove() reports the removal, through
 * sw->event_cb. Transports never announce their own ports: whoever
 * listens (the daemon's hook list) learns it from here.
 *
 * Backpressure: when a known unicast destination's queue passes its
 * high-water mark (half full), the source port is marked throttled on
 * that destination (if its transport can pause reading: ops->rx_pause).
 * The core only records this; sw_throttle_update(), run by the daemon
 * after each batch, pauses the marked ports and resumes them once the
 * destination fell below its low-water mark (an eighth), went away, or
 * after prm.throttle_ms. A timeout marks the destination stalled: nobody
 * is throttled on it again until it drains, so a receiver that stops
 * reading holds its senders up only once, for the bound, and then loses
 * its own frames (queue-full drops) as it did without backpressure.
 * Floods never throttle: one slow port must not slow a broadcast domain.
 *
 * Queue budget: prm.queue_budget bounds the frame bytes waiting on all
 * ports together (sw->queued_bytes: the queues keep it through their
 * txq.total, and impairment holds are added here). Fairness follows the
 * dynamic threshold of shared-buffer switches: a port may hold at most
 * what is left of the budget, so a frame is refused (tx_budget) when the
 * port's bytes plus the frame exceed budget - queued_bytes. N ports that
 * never read settle at budget / (N + 1) each, and the last share stays
 * free for ports that do read, whose queues are short: a stalled port
 * loses its own frames first, and the total never passes the budget.
 *
 * VLANs: a port with a VLAN mode (core/vlan.c) classifies its frames into
 * one VLAN or drops them; while any port has a mode, fwd_input() takes
 * fwd_input_vlan(), whose fwd_deliver_vlan() floods to that VLAN's ports
 * only and queues each destination the frame in its egress form. Without
 * modes fwd_input_plain() forwards as above; the choice is one test of
 * sw->vlan per frame.
 *
 * Mirroring (SPAN): a session (sw_mirror_add()) copies what its source
 * port receives (well-formed frames while it is up, forwarded or not)
 * and/or what is queued to it (taken into its queue or its impairment)
 * onto its destination's queue, past the destination's impairment. The
 * destination sees each such frame once: no copy when it gets the frame
 * anyway (sent to it, or a flood, which reaches every port that is up
 * and carries its VLAN) and none of the frames it sent itself. While VLAN
 * modes are in use a copy is the frame as it entered the switch. Copies are pushed without
 * waiting: the destination's full queue, the budget or no memory drop
 * the copy (tx_mirror on the destination), and a copy never throttles
 * nor is mirrored again (no loops). Without sessions a frame pays one
 * branch (sw->nmirrors, in the forwarding path); with some, fwd_mirrored()
 * (fwd_mirrored_vlan() while VLAN modes are in use) ends
 * the forwarding instead.
 *
 * Storm control: a port with a limit (p->storm_fps) may have at most
 * that many frames per second flooded; fwd_lookup() drops the rest
 * (rx_storm) once the source is learned and before any copy is made.
 * The token bucket is in core/storm.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/stp.h"
#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"

/**
 * sw_params_default() - the documented defaults
 * @prm:	filled in
 */
void sw_params_default(struct sw_params *prm)
{
	memset(prm, 0, sizeof(*prm));
	prm->mac_table_size = SW_MAC_TABLE_DEFAULT;
	prm->ageing_ms = SW_AGEING_DEFAULT_S * 1000ULL;
	prm->hold_down_ms = SW_HOLD_DOWN_DEFAULT_MS;
	prm->max_ports = SW_MAX_PORTS_DEFAULT;
	prm->max_frame = FRAME_MAX_LEN_DEFAULT;
	prm->txq_frames = TXQ_FRAMES_DEFAULT;
	prm->txq_bytes = TXQ_BYTES_DEFAULT;
	prm->throttle_ms = SW_THROTTLE_DEFAULT_MS;
}

static int sw_params_check(const struct sw_params *prm)
{
	if (prm->mac_table_size == 0 ||
	    prm->mac_table_size > SW_MAC_TABLE_LIMIT || prm->max_ports == 0 ||
	    prm->max_ports > SW_MAX_PORTS_LIMIT ||
	    prm->max_frame < FRAME_MIN_LEN ||
	    prm->max_frame > FRAME_MAX_LEN_LIMIT || prm->txq_frames == 0 ||
	    prm->txq_bytes < prm->max_frame ||
	    (prm->queue_budget && prm->queue_budget < prm->max_frame))
		return -EINVAL;
	return 0;
}

/* The bound the budget check compares with: no budget never refuses. */
static size_t sw_budget_cap(const struct sw_params *prm)
{
	return prm->queue_budget ? prm->queue_budget : SIZE_MAX;
}

/* Entries a port may hold unless its own mac_max says otherwise. */
static uint32_t sw_port_share(const struct sw_params *prm)
{
	if (prm->mac_port_share && prm->mac_port_share < prm->mac_table_size)
		return prm->mac_port_share;
	if (prm->mac_port_share)
		return prm->mac_table_size;
	return prm->mac_table_size / 2 ? prm->mac_table_size / 2 : 1;
}

static void sw_evicted_cb(void *opaque, const struct mac_entry *victim,
			  const struct mac_entry *incoming, bool full);

/* Hook the switch to its table: share and eviction reports. */
static void sw_table_attach(struct sw *sw, const struct sw_params *prm)
{
	sw->mt.port_share = sw_port_share(prm);
	sw->mt.evicted = sw_evicted_cb;
	sw->mt.evict_opaque = sw;
}

/**
 * sw_init() - set up an empty switch
 * @sw:		the switch
 * @prm:	tunables (copied)
 *
 * Return: 0 on success, negative error code on failure
 */
int sw_init(struct sw *sw, const struct sw_params *prm)
{
	int rc;

	memset(sw, 0, sizeof(*sw));
	if (sw_params_check(prm) < 0)
		return -EINVAL;
	sw->prm = *prm;
	sw->budget_cap = sw_budget_cap(prm);
	rc = mac_table_init(&sw->mt, prm->mac_table_size, prm->ageing_ms,
			    prm->hold_down_ms, prm->hash_secret);
	if (rc < 0)
		return rc;
	sw_table_attach(sw, prm);
	sw->ports = calloc(SW_MAX_PORTS_LIMIT, sizeof(*sw->ports));
	sw->pending = calloc(SW_MAX_PORTS_LIMIT, sizeof(*sw->pending));
	sw->id_used = calloc(SW_MAX_PORTS_LIMIT / 8 + 1, 1);
	sw->by_id = calloc(SW_MAX_PORTS_LIMIT + 1, sizeof(*sw->by_id));
	sw->throttled = calloc(SW_MAX_PORTS_LIMIT, sizeof(*sw->throttled));
	sw->flood = calloc(SW_MAX_PORTS_LIMIT, sizeof(*sw->flood));
	if (!sw->ports || !sw->pending || !sw->id_used || !sw->by_id ||
	    !sw->throttled || !sw->flood) {
		sw_fini(sw);
		return -ENOMEM;
	}
	return 0;
}

/**
 * sw_fini() - free the switch's own memory
 * @sw:		the switch; its ports belong to their transports and must
 *		have been removed first
 */
void sw_fini(struct sw *sw)
{
	if (sw->stp)
		sw_stp_disable(sw);
	sw_vlan_fini(sw);
	mac_table_fini(&sw->mt);
	free(sw->ports);
	free(sw->pending);
	free(sw->id_used);
	free(sw->by_id);
	free(sw->throttled);
	free(sw->flood);
	free(sw->impaired);
	sw->impaired = NULL;
	sw->by_id = sw->throttled = sw->flood = NULL;
	sw->ports = sw->pending = NULL;
	sw->id_used = NULL;
}

/**
 * sw_reset() - empty a switch again, as sw_init() would leave it
 * @sw:		the switch; every port must have been removed
 * @prm:	new tunables (copied), hash_secret included
 *
 * Keeps the port arrays (no port is listed once all are removed) and
 * starts a new MAC table; everything else (the clock of the last frame,
 * the impaired list, the latch, the callbacks) starts over as after
 * sw_init(). For harnesses that run many short lives on one switch.
 *
 * Return: 0, -EBUSY if a port is attached, -EINVAL for bad @prm or
 * -ENOMEM (the switch is then as after sw_fini())
 */
int sw_reset(struct sw *sw, const struct sw_params *prm)
{
	struct sw keep = *sw;
	int rc;

	if (sw->nports)
		return -EBUSY;
	if (sw_params_check(prm) < 0)
		return -EINVAL;
	if (sw->stp)
		sw_stp_disable(sw);
	sw_vlan_fini(sw);
	mac_table_fini(&sw->mt);
	memset(sw, 0, sizeof(*sw));
	sw->ports = keep.ports;
	sw->pending = keep.pending;
	sw->id_used = keep.id_used;
	sw->by_id = keep.by_id;
	sw->throttled = keep.throttled;
	sw->flood = keep.flood;
	sw->impaired = keep.impaired;
	sw->prm = *prm;
	sw->budget_cap = sw_budget_cap(prm);
	rc = mac_table_init(&sw->mt, prm->mac_table_size, prm->ageing_ms,
			    prm->hold_down_ms, prm->hash_secret);
	if (rc < 0) {
		sw_fini(sw);
		return rc;
	}
	sw_table_attach(sw, prm);
	return 0;
}

static int sw_resize_table(struct sw *sw, const struct sw_params *prm)
{
	struct mac_table nt;
	struct mac_entry *e;
	struct port *p;
	uint32_t i;
	int rc;

	rc = mac_table_init(&nt, prm->mac_table_size, prm->ageing_ms,
			    prm->hold_down_ms, sw->mt.secret);
	if (rc < 0)
		return rc;
	/* The new table counts every port's entries again; a smaller one
	 * keeps each port within its share and evicts the oldest (not
	 * reported: nothing was learned). */
	nt.port_share = sw_port_share(prm);
	port_foreach(sw, p, i)
		p->mac_count = 0;
	mac_table_foreach(&sw->mt, e) {
		uint8_t mac[MAC_LEN];

		mac_entry_mac(e, mac);
		mac_table_learn(&nt, mac_entry_vid(e), mac, e->port, e->seen_ms,
				NULL);
	}
	mac_table_fini(&sw->mt);
	sw->mt = nt;
	sw_table_attach(sw, prm);
	return 0;
}

/**
 * sw_set_params() - apply new tunables to a running switch
 * @sw:		the switch
 * @prm:	new tunables; hash_secret is ignored
 *
 * Learned addresses and queued frames are kept (a smaller table keeps
 * the newest that fit, each port within its share). Ports above a lower
 * max_ports stay until they close. A port above a lowered share loses
 * its oldest entries when it next learns one.
 *
 * Return: 0 on success, negative error code (and nothing changed)
 */
int sw_set_params(struct sw *sw, const struct sw_params *prm)
{
	uint64_t secret;
	uint32_t i;
	struct port *p;
	int rc;

	if (sw_params_check(prm) < 0)
		return -EINVAL;
	if (prm->mac_table_size != sw->prm.mac_table_size) {
		rc = sw_resize_table(sw, prm);
		if (rc < 0)
			return rc;
	}
	sw->mt.ageing_ms = prm->ageing_ms;
	sw->mt.hold_ms = prm->hold_down_ms;
	sw->mt.port_share = sw_port_share(prm);
	port_foreach(sw, p, i)
		txq_set_limits(&p->txq, prm->txq_frames, prm->txq_bytes);
	secret = sw->prm.hash_secret;
	sw->prm = *prm;
	sw->budget_cap = sw_budget_cap(prm);
	sw->prm.hash_secret = secret;
	return 0;
}

static bool id_taken(const struct sw *sw, uint32_t id)
{
	return sw->id_used[id / 8] & (1u << (id % 8));
}

static void id_set(struct sw *sw, uint32_t id, bool on)
{
	if (on)
		sw->id_used[id / 8] |= (uint8_t)(1u << (id % 8));
	else
		sw->id_used[id / 8] &= (uint8_t) ~(1u << (id % 8));
}

static void sw_port_event(struct sw *sw, enum sw_event ev, struct port *p,
			  enum sw_cause cause, const char *why)
{
	struct sw_event_info e = {
		.ev = ev, .port = p, .cause = cause, .why = why
	};

	if (sw->event_cb)
		sw->event_cb(sw->event_opaque, &e);
}

/*
 * The only writer of p->up: sw->flood[0..nflood) holds exactly the ports
 * that are up, each at its p->fidx (-1 when not listed). A change is
 * reported with its @cause.
 */
static void sw_port_set_up(struct sw *sw, struct port *p, bool up,
			   enum sw_cause cause, const char *why)
{
	struct port *last;
	bool was = p->up;

	p->up = up;
	if (up && p->fidx < 0) {
		p->fidx = (int32_t)sw->nflood;
		sw->flood[sw->nflood++] = p;
	} else if (!up && p->fidx >= 0) {
		last = sw->flood[--sw->nflood];
		sw->flood[p->fidx] = last;
		last->fidx = p->fidx;
		p->fidx = -1;
	}
	if (sw->vlan && was != up)
		sw_vlan_port_up(sw, p, up);
	/* A port that is down is no destination: what was learned on it
	 * goes at once, so frames to those addresses flood (and reach the
	 * guest again as soon as it is back) instead of being dropped. A
	 * port spanning tree keeps learning before it forwards keeps what
	 * it learned; once it leaves that state (disabled, blocked) the
	 * addresses go too. */
	if (!up && p->mac_count && !stp_port_learning(p))
		mac_table_flush_port(&sw->mt, p);
	if (was != up)
		sw_port_event(sw, up ? SW_EV_PORT_UP : SW_EV_PORT_DOWN, p,
			      cause, why);
}

/* An attached port is up when enabled, not closing and with a carrier,
 * and, with spanning tree on, in the forwarding state. */
static void sw_port_update_up(struct sw *sw, struct port *p,
			      enum sw_cause cause, const char *why)
{
	bool oper = p->enabled && !p->closing && !p->no_carrier;

	if (sw->stp)
		stp_port_oper(sw, p, oper);
	sw_port_set_up(sw, p, oper && stp_port_forwarding(p), cause, why);
}

/**
 * sw_port_stp_changed() - spanning tree changed @p's state (stp.c)
 * @sw:		the switch
 * @p:		the port
 */
void sw_port_stp_changed(struct sw *sw, struct port *p)
{
	sw_port_update_up(sw, p, SW_CAUSE_STP,
			  p->stp ? stp_state_name(p->stp->state)
				 : "spanning tree off");
	sw_stp_event(sw, SW_EV_STP_PORT, p);
}

/**
 * sw_stp_event() - report a spanning-tree event (stp.c)
 * @sw:		the switch
 * @ev:		SW_EV_STP_*
 * @p:		the port concerned, or NULL
 */
void sw_stp_event(struct sw *sw, enum sw_event ev, struct port *p)
{
	struct sw_event_info e = { .ev = ev, .port = p };

	if (sw->event_cb)
		sw->event_cb(sw->event_opaque, &e);
}

/**
 * sw_port_add() - attach a port
 * @sw:		the switch
 * @p:		the port, embedded in its transport's object; @name,
 *		@descr and @description may be set beforehand, and
 *		@no_carrier for a port whose set-up can still fail (it
 *		stays down until sw_port_set_carrier(sw, p, true, NULL));
 *		everything else is set here
 * @ops:	the transport's vtable
 * @want_id:	requested port number, or 0 for the lowest free one
 *
 * Return: 0 on success, -ENOSPC if max_ports are attached
 */
int sw_port_add(struct sw *sw, struct port *p, const struct port_ops *ops,
		uint32_t want_id)
{
	uint32_t id = 0, i;

	if (sw->nports >= sw->prm.max_ports)
		return -ENOSPC;
	if (want_id && want_id <= SW_MAX_PORTS_LIMIT && !id_taken(sw, want_id))
		id = want_id;
	for (i = 1; !id && i <= SW_MAX_PORTS_LIMIT; i++)
		if (!id_taken(sw, i))
			id = i;
	if (!id)
		return -ENOSPC;
	id_set(sw, id, true);
	p->ops = ops;
	p->id = id;
	p->idx = sw->nports;
	p->pidx = -1;
	p->tidx = -1;
	p->fidx = -1;
	p->impair = NULL;
	p->iidx = -1;
	p->throttle_on = 0;
	p->rx_paused = p->tx_stalled = false;
	p->enabled = true;
	p->closing = false;
	p->up = false;
	p->capture = sw->capture_new_ports;
	p->mac_count = 0;
	p->vlan = NULL;
	p->pvid = 0;
	if (p->name[0] == '\0')
		snprintf(p->name, sizeof(p->name), "p%u", id);
	txq_init(&p->txq, sw->prm.txq_frames, sw->prm.txq_bytes);
	p->txq.total = &sw->queued_bytes;
	memset(&p->st, 0, sizeof(p->st));
	p->storm_seen = 0; /* the daemon's view of p->st, zeroed with it */
	p->storm_warned_ms = 0;
	p->mirror_rx = 0;
	p->mirror_tx = 0;
	p->stp = NULL;
	p->bpdu_guard_trips = 0;
	if (sw->stp && stp_port_attach(sw, p) < 0) {
		txq_fini(&p->txq);
		id_set(sw, id, false);
		return -ENOMEM;
	}
	if (p->bpdu_guard) {
		sw->nguard++;
		sw->bpdu_watch = true;
	}
	sw->ports[sw->nports++] = p;
	sw->by_id[id] = p;
	sw_port_update_up(sw, p, SW_CAUSE_ADDED, NULL);
	return 0;
}

static void sw_pending_del(struct sw *sw, struct port *p)
{
	struct port *last;

	if (p->pidx < 0)
		return;
	last = sw->pending[--sw->npending];
	sw->pending[p->pidx] = last;
	last->pidx = p->pidx;
	p->pidx = -1;
}

/* Forget session @i of the mirror table. */
static void sw_mirror_del(struct sw *sw, uint32_t i)
{
	struct sw_mirror *m = &sw->mirrors[i];

	if (m->dir & SW_MIRROR_RX)
		m->src->mirror_rx--;
	if (m->dir & SW_MIRROR_TX)
		m->src->mirror_tx--;
	sw->nmirrors--;
	memmove(m, m + 1, (sw->nmirrors - i) * sizeof(*m));
}

/* End every mirror session naming @p, reporting each. */
static void sw_mirror_drop_port(struct sw *sw, struct port *p)
{
	uint32_t i = 0;

	while (i < sw->nmirrors) {
		struct sw_mirror m = sw->mirrors[i];
		struct sw_event_info e = { .ev = SW_EV_MIRROR_REMOVED,
					   .from = m.src,
					   .to = m.dst,
					   .port = p,
					   .cause = SW_CAUSE_REMOVED,
					   .why = p->close_reason };

		if (m.src != p && m.dst != p) {
			i++;
			continue;
		}
		sw_mirror_del(sw, i);
		if (sw->event_cb)
			sw->event_cb(sw->event_opaque, &e);
	}
}

static void sw_throttle_del(struct sw *sw, struct port *p)
{
	struct port *last;

	p->throttle_on = 0;
	if (p->tidx < 0)
		return;
	last = sw->throttled[--sw->nthrottled];
	sw->throttled[p->tidx] = last;
	last->tidx = p->tidx;
	p->tidx = -1;
}

/**
 * sw_port_remove() - detach a port: forget its addresses, drop its queue
 * @sw:		the switch
 * @p:		the port; its memory stays the caller's
 */
void sw_port_remove(struct sw *sw, struct port *p)
{
	struct port *last;

	if (sw->nmirrors)
		sw_mirror_drop_port(sw, p);
	stp_port_detach(sw, p);
	if (p->bpdu_guard) {
		sw->nguard--;
		sw->bpdu_watch = sw->stp || sw->nguard > 0;
	}
	mac_table_flush_port(&sw->mt, p);
	sw_port_impair(sw, p, NULL); /* frames held join the queue ... */
	p->st.drops[PORT_DROP_TX_CLOSED] += txq_clear(&p->txq); /* ... here */
	txq_fini(&p->txq);
	sw_pending_del(sw, p);
	sw_throttle_del(sw, p);
	p->rx_paused = false;
	sw->by_id[p->id] = NULL;
	last = sw->ports[--sw->nports];
	sw->ports[p->idx] = last;
	last->idx = p->idx;
	id_set(sw, p->id, false);
	sw_port_set_up(sw, p, false, SW_CAUSE_REMOVED, p->close_reason);
	sw_vlan_port_removed(sw, p);
	sw_port_event(sw, SW_EV_PORT_REMOVED, p, SW_CAUSE_REMOVED,
		      p->close_reason);
	p->no_carrier = false; /* a port added again starts with a carrier */
}

/**
 * sw_port_set_enabled() - administratively enable or disable a port
 * @sw:		the switch
 * @p:		the port
 * @enabled:	new state; a disabled port receives and sends nothing and
 *		its learned addresses are forgotten; an enabled one is up
 *		only if its transport has a carrier (see struct port)
 */
void sw_port_set_enabled(struct sw *sw, struct port *p, bool enabled)
{
	p->enabled = enabled;
	sw_port_update_up(sw, p, enabled ? SW_CAUSE_ENABLED : SW_CAUSE_DISABLED,
			  NULL);
}

/**
 * sw_port_set_carrier() - the transport gained or lost its link
 * @sw:		the switch
 * @p:		the port
 * @carrier:	the device or peer is there (false: an uplink not
 *		connected, a datagram peer gone); the port is up only if it
 *		is also enabled and not closing
 * @why:	the transport's words for a lost carrier, passed on in the
 *		PORT_DOWN event; NULL if none
 */
void sw_port_set_carrier(struct sw *sw, struct port *p, bool carrier,
			 const char *why)
{
	p->no_carrier = !carrier;
	sw_port_update_up(
		sw, p, carrier ? SW_CAUSE_CARRIER : SW_CAUSE_NO_CARRIER, why);
}

/**
 * sw_port_set_closing() - the port is about to be closed: down for good
 * @sw:		the switch
 * @p:		the port; it stays attached (and keeps its queue) until
 *		sw_port_remove(); p->close_reason may say why
 */
void sw_port_set_closing(struct sw *sw, struct port *p)
{
	p->closing = true;
	sw_port_update_up(sw, p, SW_CAUSE_CLOSING, p->close_reason);
}

/**
 * sw_port_by_id() - find a live port by number
 * @sw:		the switch
 * @id:		port number
 *
 * Return: the port, or NULL
 */
struct port *sw_port_by_id(const struct sw *sw, uint32_t id)
{
	return id <= SW_MAX_PORTS_LIMIT ? sw->by_id[id] : NULL;
}

/*
 * The queue budget refuses @len more bytes for a port that holds @held:
 * the budget is used up, or the port would hold more than what is left
 * of it (the dynamic threshold, see the theory block).
 */
static inline bool sw_budget_refuses(const struct sw *sw, size_t held,
				     size_t len)
{
	/* held + len > budget - queued, without the subtraction (a lowered
	 * budget may be below what is queued); no budget: SIZE_MAX. */
	return __builtin_expect(sw->queued_bytes + held + len > sw->budget_cap,
				0);
}

static inline void sw_pending_add(struct sw *sw, struct port *p)
{
	if (p->pidx < 0) {
		p->pidx = (int32_t)sw->npending;
		sw->pending[sw->npending++] = p;
	}
}

/* A mirrored copy for @d: queued now or dropped, never waited for. */
static void sw_mirror_push(struct sw *sw, struct port *d, const uint8_t *frame,
			   size_t len)
{
	if (sw_budget_refuses(sw, d->txq.bytes, len) ||
	    txq_push(&d->txq, frame, len) < 0) {
		port_count_drop(d, PORT_DROP_TX_MIRROR);
		return;
	}
	d->st.tx_queued++;
	d->st.mirror_tx++;
	if (d->capture && sw->capture_tx)
		sw->capture_cb(sw->capture_opaque, d, SW_DIR_TX, frame, len);
	sw_pending_add(sw, d);
}

/*
 * A frame from @from passes @src in direction @dir: copy it to the
 * destinations of @src's sessions for @dir, but not back to @from, not
 * to @to (it gets the frame anyway), not to a port that is down, and,
 * when the frame is a flood of VLAN @flood_vid (>= 0, while VLAN modes are
 * in use), not to a port that carries that VLAN (the flood reaches it).
 */
static void sw_mirror(struct sw *sw, const struct port *src, unsigned dir,
		      const struct port *from, const struct port *to,
		      int flood_vid, const uint8_t *frame, size_t len)
{
	uint32_t i;

	for (i = 0; i < sw->nmirrors; i++) {
		const struct sw_mirror *m = &sw->mirrors[i];

		if (m->src == src && (m->dir & dir) && m->dst != from &&
		    m->dst != to && m->dst->up &&
		    (flood_vid < 0 ||
		     !vlan_carries(m->dst->vlan, (uint16_t)flood_vid)))
			sw_mirror_push(sw, m->dst, frame, len);
	}
}

/* Queue a frame on @p now (no impairment). */
static void sw_enqueue_now(struct sw *sw, struct port *p, const uint8_t *frame,
			   size_t len, bool framed)
{
	int rc;

	if (sw_budget_refuses(sw, p->txq.bytes, len)) {
		port_count_drop(p, PORT_DROP_TX_BUDGET);
		return;
	}
	rc = framed ? txq_push_framed(&p->txq, frame, len)
		    : txq_push(&p->txq, frame, len);
	if (rc < 0) {
		port_count_drop(p, rc == -ENOMEM ? PORT_DROP_TX_NOMEM
						 : PORT_DROP_TX_QUEUE_FULL);
		return;
	}
	p->st.tx_queued++;
	if (p->capture && sw->capture_tx)
		sw->capture_cb(sw->capture_opaque, p, SW_DIR_TX, frame, len);
	sw_pending_add(sw, p);
}

/**
 * sw_send_local() - queue a frame the switch itself sends (a BPDU)
 * @sw:		the switch
 * @p:		the port, whatever its state
 * @frame:	the frame; copied, so it may live on the caller's stack
 * @len:	its length
 */
void sw_send_local(struct sw *sw, struct port *p, const uint8_t *frame,
		   size_t len)
{
	sw_enqueue_now(sw, p, frame, len, false);
	p->st.drops[PORT_DROP_TX_NOMEM] += txq_detach(&p->txq);
}

static void sw_impair_offer(struct sw *sw, struct port *p, const uint8_t *frame,
			    size_t len)
{
	static const enum port_drop why[] = {
		[IMPAIR_LOST] = PORT_DROP_IMPAIR_LOSS,
		[IMPAIR_TOO_BIG] = PORT_DROP_IMPAIR_MTU,
		[IMPAIR_RATE] = PORT_DROP_IMPAIR_RATE,
		[IMPAIR_FULL] = PORT_DROP_IMPAIR_QUEUE_FULL,
		[IMPAIR_NOMEM] = PORT_DROP_IMPAIR_QUEUE_FULL,
	};
	enum impair_verdict v;
	unsigned held, copies = p->impair->cfg.duplicate ? 2 : 1;

	/* Held frames count against the budget as queued ones do. */
	if (sw_budget_refuses(sw, p->txq.bytes + p->impair->bytes,
			      copies * len)) {
		port_count_drop(p, PORT_DROP_TX_BUDGET);
		return;
	}
	v = impair_frame(p->impair, frame, len, sw->now_ms, &held);
	if (v != IMPAIR_QUEUED)
		port_count_drop(p, why[v]);
	sw->queued_bytes += held * len;
}

/* A frame for @p: through its impairment if it has one (one branch). */
static inline void sw_enqueue(struct sw *sw, struct port *p,
			      const uint8_t *frame, size_t len, bool framed)
{
	if (p->impair)
		sw_impair_offer(sw, p, frame, len);
	else
		sw_enqueue_now(sw, p, frame, len, framed);
}

/* Queue the frames of @p's impairment due by @now_ms, in order. */
static void sw_impair_due(struct sw *sw, struct port *p, uint64_t now_ms)
{
	struct impair_ent *e;

	while ((e = impair_pop(p->impair, now_ms))) {
		sw->queued_bytes -= e->len; /* the queue counts it again */
		sw_enqueue_now(sw, p, e->data, e->len, false);
		/* The copy is freed now: the queue keeps its own. */
		p->st.drops[PORT_DROP_TX_NOMEM] += txq_detach(&p->txq);
		free(e);
	}
}

/**
 * sw_port_impair() - impair frames leaving @p, change how, or stop
 * @sw:		the switch
 * @p:		the port
 * @cfg:	the settings, seed included; NULL or all off: stop, and
 *		queue the frames still held at once, in order
 *
 * Frames already held keep the time they are due.
 *
 * Return: 0, or -ENOMEM (nothing changed)
 */
int sw_port_impair(struct sw *sw, struct port *p, const struct impair_cfg *cfg)
{
	struct port *last;

	if (cfg && impair_cfg_active(cfg)) {
		if (p->impair) {
			impair_set(p->impair, cfg);
			return 0;
		}
		if (!sw->impaired) {
			sw->impaired = calloc(SW_MAX_PORTS_LIMIT,
					      sizeof(*sw->impaired));
			if (!sw->impaired)
				return -ENOMEM;
		}
		p->impair = malloc(sizeof(*p->impair));
		if (!p->impair)
			return -ENOMEM;
		impair_init(p->impair, cfg);
		p->iidx = (int32_t)sw->nimpaired;
		sw->impaired[sw->nimpaired++] = p;
		return 0;
	}
	if (!p->impair)
		return 0;
	sw_impair_due(sw, p, UINT64_MAX);
	impair_fini(p->impair);
	free(p->impair);
	p->impair = NULL;
	last = sw->impaired[--sw->nimpaired];
	sw->impaired[p->iidx] = last;
	last->iidx = p->iidx;
	p->iidx = -1;
	return 0;
}

/**
 * sw_impair_release() - queue every impaired frame that is due
 * @sw:		the switch
 * @now_ms:	the time
 *
 * Call before sw_flush(), which writes them out.
 */
void sw_impair_release(struct sw *sw, uint64_t now_ms)
{
	uint32_t i;

	for (i = 0; i < sw->nimpaired; i++)
		sw_impair_due(sw, sw->impaired[i], now_ms);
}

/**
 * sw_impair_next_due() - when the next impaired frame is due
 * @sw:		the switch
 *
 * Return: its time, or UINT64_MAX when no frame is held
 */
uint64_t sw_impair_next_due(const struct sw *sw)
{
	uint64_t t, next = UINT64_MAX;
	uint32_t i;

	for (i = 0; i < sw->nimpaired; i++) {
		t = impair_next_due(sw->impaired[i]->impair);
		if (t < next)
			next = t;
	}
	return next;
}

/* A unicast frame from @in was just queued on (or dropped at) @out. */
static void sw_maybe_throttle(struct sw *sw, struct port *in, struct port *out,
			      uint64_t now_ms)
{
	if (in->throttle_on || !in->ops->rx_pause || !sw->prm.throttle_ms)
		return;
	if (out->tx_stalled) {
		if (!txq_below_low(&out->txq))
			return;
		out->tx_stalled = false;
	}
	if (!txq_above_high(&out->txq))
		return;
	in->throttle_on = out->id;
	in->throttle_since_ms = now_ms;
	in->st.throttled++;
	in->tidx = (int32_t)sw->nthrottled;
	sw->throttled[sw->nthrottled++] = in;
}

static void sw_event(struct sw *sw, enum sw_event ev, uint16_t vid,
		     const uint8_t *mac, struct port *from, struct port *to)
{
	struct sw_event_info e = {
		.ev = ev, .vid = vid, .mac = mac, .from = from, .to = to
	};

	if (sw->event_cb)
		sw->event_cb(sw->event_opaque, &e);
}

/*
 * The table evicted @victim to learn @incoming: count it on the port that
 * lost the entry and report it; a full table (rather than a port at its
 * share) is also counted on the learning port and reported once until
 * sw_expire() finds room again.
 */
static void sw_evicted_cb(void *opaque, const struct mac_entry *victim,
			  const struct mac_entry *incoming, bool full)
{
	struct sw *sw = opaque;
	uint8_t mac[MAC_LEN];

	victim->port->st.mac_evicted++;
	if (full) {
		incoming->port->st.mac_table_full++;
		if (!sw->table_full_latched) {
			sw->table_full_latched = true;
			mac_entry_mac(incoming, mac);
			sw_event(sw, SW_EV_MAC_TABLE_FULL,
				 mac_entry_vid(incoming), mac, NULL,
				 incoming->port);
		}
	}
	mac_entry_mac(victim, mac);
	sw_event(sw, SW_EV_MAC_EVICTED, mac_entry_vid(victim), mac,
		 victim->port, incoming->port);
}

/* Learn the source of a frame from @in. Return: -1, or the reason the
 * frame is dropped: a source beyond the port's mac_limit, or on a port
 * with a VLAN mode a multicast or all-zero one (learning ignores those,
 * so vlan_classify() need not test them). */
static int sw_learn(struct sw *sw, struct port *in, const struct frame_info *fi,
		    uint64_t now_ms)
{
	struct port *old = NULL;

	switch (mac_table_learn(&sw->mt, fi->vid, fi->src, in, now_ms, &old)) {
	case MAC_LEARN_NEW:
		in->st.mac_new++;
		sw_event(sw, SW_EV_MAC_NEW, fi->vid, fi->src, NULL, in);
		break;
	case MAC_LEARN_MOVED:
		in->st.mac_moves++;
		sw_event(sw, SW_EV_MAC_MOVED, fi->vid, fi->src, old, in);
		break;
	case MAC_LEARN_HELD:
		in->st.mac_held++;
		memcpy(in->held_mac, fi->src, sizeof(in->held_mac));
		in->held_vid = fi->vid;
		break;
	case MAC_LEARN_REFUSED:
		return PORT_DROP_RX_MAC_LIMIT;
	case MAC_LEARN_IGNORED: /* a multicast or all-zero source */
		return in->vlan ? PORT_DROP_RX_BAD_SRC : -1;
	case MAC_LEARN_REFRESH:
		break;
	}
	return -1;
}

/**
 * fwd_drop() - count a frame the transport could not even delimit
 * @in:		port it arrived on
 * @len:	bytes of it received
 * @why:	reason
 */
void fwd_drop(struct port *in, size_t len, enum port_drop why)
{
	in->st.rx_frames++;
	in->st.rx_bytes += len;
	port_count_drop(in, why);
}

static void fwd_flood(struct sw *sw, struct port *in, const uint8_t *frame,
		      size_t len)
{
	uint32_t i;

	for (i = 0; i < sw->nflood; i++) {
		struct port *p = sw->flood[i];

		if (p != in)
			sw_enqueue(sw, p, frame, len, in->rx_framed);
	}
}

/*
 * The forms of one frame for fwd_vlan_one(): as it came in the slot of
 * its form, the other built on first use.
 */
struct vlan_forms {
	const uint8_t *frame;
	size_t len;
	const struct frame_info *fi;
	const uint8_t *f[2];
	size_t flen[2];
	bool framed[2];
};

/* A frame of VLAN fi->vid for @out, in the form @out wants. */
static void fwd_vlan_one(struct sw *sw, struct port *out, struct vlan_forms *vf)
{
	enum vlan_tagging want = vlan_port_egress(out, vf->fi->vid);

	if (!vf->f[want]) {
		vf->f[want] = sw_vlan_retag(sw, vf->frame, vf->len, vf->fi,
					    want, &vf->flen[want]);
		vf->framed[want] = true;
	}
	sw_enqueue(sw, out, vf->f[want], vf->flen[want], vf->framed[want]);
}

/*
 * Delivery while some port has a VLAN mode: to @out (known unicast, of
 * the frame's VLAN since learning was keyed by it) when it wants the
 * frame in the other form than @form, the one it came in; or to the up
 * ports without a mode and those that carry the VLAN.
 *
 * Out of line and given the frame_info by value, like fwd_mirrored_vlan():
 * while fwd_input_vlan()'s frame_info has no address taken, the compiler
 * keeps it in registers, which saves a known unicast about 17 Ir
 * (docs/performance.md "VLANs").
 */
__attribute__((noinline)) static void
fwd_deliver_vlan(struct sw *sw, struct port *in, struct port *out,
		 const uint8_t *frame, size_t len, struct frame_info info,
		 enum vlan_tagging form)
{
	const struct frame_info *fi = &info;
	const struct sw_vlan *sv = sw->vlan;
	const struct vlan_list *l = &sv->vl[fi->vid];
	struct vlan_forms vf;
	enum vlan_tagging want;
	const uint8_t *copy;
	size_t clen;
	uint32_t i;

	if (out) { /* it wants the other form */
		want = vlan_port_egress(out, fi->vid);
		copy = sw_vlan_retag(sw, frame, len, fi, want, &clen);
		sw_enqueue(sw, out, copy, clen, true);
		sw_maybe_throttle(sw, in, out, sw->now_ms);
		return;
	}
	memset(&vf, 0, sizeof(vf));
	vf.frame = frame;
	vf.len = len;
	vf.fi = fi;
	if (form != VLAN_OTHER_FORM) {
		vf.f[form] = frame;
		vf.flen[form] = len;
		vf.framed[form] = in->rx_framed;
	}
	for (i = 0; i < sv->nany; i++)
		if (sv->any[i] != in)
			fwd_vlan_one(sw, sv->any[i], &vf);
	for (i = 0; i < l->n; i++)
		if (l->p[i] != in)
			fwd_vlan_one(sw, l->p[i], &vf);
}

/*
 * A frame on a port that is not up: disabled or closing (rx_disabled), or
 * kept from forwarding by spanning tree (rx_stp), which in the learning
 * state learns its source first (ports with a VLAN mode learn only once
 * forwarding).
 */
static __attribute__((noinline)) int fwd_rx_not_up(struct sw *sw,
						   struct port *in,
						   const uint8_t *frame,
						   size_t len, uint64_t now_ms)
{
	struct frame_info fi;

	if (!in->stp || !in->enabled || in->closing || in->no_carrier)
		return PORT_DROP_RX_DISABLED;
	if (stp_port_learning(in) && !in->vlan && !sw->prm.hub &&
	    len <= sw->prm.max_frame && frame_parse(frame, len, &fi) == 0)
		sw_learn(sw, in, &fi, now_ms);
	return PORT_DROP_RX_STP;
}

/* Count a received frame, show it to capture; the reason it is dropped
 * before parsing, or -1. */
static inline int fwd_rx_start(struct sw *sw, struct port *in,
			       const uint8_t *frame, size_t len,
			       uint64_t now_ms)
{
	in->st.rx_frames++;
	in->st.rx_bytes += len;
	sw->now_ms = now_ms; /* for impairment decisions */
	if (in->capture)
		sw->capture_cb(sw->capture_opaque, in, SW_DIR_RX, frame, len);
	if (!in->up)
		return fwd_rx_not_up(sw, in, frame, len, now_ms);
	if (len > sw->prm.max_frame)
		return PORT_DROP_RX_OVERSIZE;
	return -1;
}

/* Count broadcast and multicast, learn the source, find the destination
 * (*@out, NULL to flood: within the port's storm limit); the reason the
 * frame is dropped, or -1. */
static inline int fwd_lookup(struct sw *sw, struct port *in,
			     const struct frame_info *fi, uint64_t now_ms,
			     struct port **out)
{
	if (mac_is_multicast(fi->dst)) {
		if (mac_is_broadcast(fi->dst))
			in->st.rx_broadcast++;
		else
			in->st.rx_multicast++;
	}
	if (!sw->prm.hub) {
		int why = sw_learn(sw, in, fi, now_ms);

		if (why >= 0)
			return why;
		if (!mac_is_multicast(fi->dst))
			*out = mac_table_lookup(&sw->mt, fi->vid, fi->dst,
						now_ms);
	} else if (in->vlan &&
		   (mac_is_multicast(fi->src) || mac_is_zero(fi->src))) {
		return PORT_DROP_RX_BAD_SRC; /* what learning drops, above */
	}
	if (*out) {
		if (*out == in)
			return PORT_DROP_RX_LOCAL;
		return (*out)->up ? -1 : PORT_DROP_RX_DEST_DOWN;
	}
	/* To be flooded: storm control (core/storm.c), after learning. */
	if (__builtin_expect(in->storm_fps != 0, 0) &&
	    !port_storm_take(in, now_ms))
		return PORT_DROP_RX_STORM;
	return -1;
}

/* Forward a frame of VLAN fi->vid that came in @form: to @out (known
 * unicast) or flooded to the VLAN, each destination in its own form. */
static inline void fwd_forward_vlan(struct sw *sw, struct port *in,
				    struct port *out, const uint8_t *frame,
				    size_t len, const struct frame_info *fi,
				    enum vlan_tagging form)
{
	if (out && vlan_port_egress(out, fi->vid) == form) {
		/* a known destination that wants the frame as it came */
		in->st.rx_forwarded++;
		sw_enqueue(sw, out, frame, len, in->rx_framed);
		sw_maybe_throttle(sw, in, out, sw->now_ms);
		return;
	}
	/* Room for the copies first: a frame is either dropped here or
	 * reaches every destination. */
	if (sw_vlan_reserve(sw, len) < 0) {
		port_count_drop(in, PORT_DROP_RX_VLAN_NOMEM);
		return;
	}
	in->st.rx_forwarded++;
	fwd_deliver_vlan(sw, in, out, frame, len, *fi, form);
}

/*
 * fwd_mirrored() while VLAN modes are in use: as there, but a flood
 * reaches only the ports that carry its VLAN, so the other destinations
 * of @in's rx sessions get a copy. Copies are the frame as it entered the
 * switch (on @in, in @form), for tx sessions too.
 */
__attribute__((noinline)) static void
fwd_mirrored_vlan(struct sw *sw, struct port *in, struct port *out, int why,
		  const uint8_t *frame, size_t len, struct frame_info info,
		  enum vlan_tagging form)
{
	const struct frame_info *fi = &info;
	uint64_t took;

	if (in->mirror_rx)
		sw_mirror(sw, in, SW_MIRROR_RX, in, why >= 0 ? NULL : out,
			  why >= 0 || out ? -1 : (int)fi->vid, frame, len);
	if (why >= 0) {
		port_count_drop(in, (enum port_drop)why);
		return;
	}
	if (!out) {
		fwd_forward_vlan(sw, in, NULL, frame, len, fi, form);
		return;
	}
	took = out->impair ? out->impair->seq : out->st.tx_queued;
	fwd_forward_vlan(sw, in, out, frame, len, fi, form);
	if (out->mirror_tx &&
	    took != (out->impair ? out->impair->seq : out->st.tx_queued))
		sw_mirror(sw, out, SW_MIRROR_TX, in, NULL, -1, frame, len);
}

/*
 * fwd_input() while some port has a VLAN mode: a port with a mode puts
 * the frame in a VLAN (or drops it), and each destination gets it in the
 * form it wants. It and fwd_input_plain() are flattened (learning,
 * lookup and queueing inlined into each), since with two callers the
 * compiler would no longer inline them, and kept out of line, so that
 * fwd_input() is only the choice between them.
 */
static __attribute__((noinline, flatten)) void
fwd_input_vlan(struct sw *sw, struct port *in, const uint8_t *frame, size_t len,
	       uint64_t now_ms)
{
	enum vlan_tagging form = VLAN_UNTAGGED_FORM;
	struct frame_info fi;
	struct port *out = NULL;
	int why = fwd_rx_start(sw, in, frame, len, now_ms);

	if (why >= 0)
		goto drop;
	if (in->vlan) {
		why = vlan_classify(in->vlan, frame, len, &fi, &form);
	} else if (frame_parse(frame, len, &fi) < 0) {
		why = PORT_DROP_RX_RUNT;
	} else { /* as it is: untagged or priority-tagged is VLAN 0 */
		form = fi.vid ? VLAN_TAGGED_FORM : VLAN_UNTAGGED_FORM;
	}
	if (why >= 0)
		goto drop;
	why = fwd_lookup(sw, in, &fi, now_ms, &out);
	if (__builtin_expect(sw->nmirrors != 0, 0) &&
	    why != PORT_DROP_RX_MAC_LIMIT && why != PORT_DROP_RX_BAD_SRC) {
		fwd_mirrored_vlan(sw, in, out, why, frame, len, fi, form);
		return;
	}
	if (why >= 0)
		goto drop;
	fwd_forward_vlan(sw, in, out, frame, len, &fi, form);
	return;
drop:
	port_count_drop(in, (enum port_drop)why);
}

/*
 * The end of fwd_input_plain() while mirror sessions exist: @in's rx
 * sessions copy the frame (dropped with @why >= 0 or forwarded), then it
 * is dropped or forwarded as there, and @out's tx sessions copy a unicast
 * frame @out took in (into its queue or its impairment). A flood makes no
 * copies: it reaches every session's destination that is up. Kept out of
 * the forwarding path, whose frames without sessions pay for none of it.
 */
__attribute__((noinline)) static void
fwd_mirrored(struct sw *sw, struct port *in, struct port *out, int why,
	     const uint8_t *frame, size_t len)
{
	uint64_t took;

	if (in->mirror_rx && (out || why >= 0))
		sw_mirror(sw, in, SW_MIRROR_RX, in, why >= 0 ? NULL : out, -1,
			  frame, len);
	if (why >= 0) {
		port_count_drop(in, (enum port_drop)why);
		return;
	}
	in->st.rx_forwarded++;
	if (!out) {
		fwd_flood(sw, in, frame, len);
		return;
	}
	took = out->impair ? out->impair->seq : out->st.tx_queued;
	sw_enqueue(sw, out, frame, len, in->rx_framed);
	sw_maybe_throttle(sw, in, out, sw->now_ms);
	if (out->mirror_tx &&
	    took != (out->impair ? out->impair->seq : out->st.tx_queued))
		sw_mirror(sw, out, SW_MIRROR_TX, in, NULL, -1, frame, len);
}

/* fwd_input() while no port has a VLAN mode: frames as they are. */
static __attribute__((noinline, flatten)) void
fwd_input_plain(struct sw *sw, struct port *in, const uint8_t *frame,
		size_t len, uint64_t now_ms)
{
	struct frame_info fi;
	struct port *out = NULL;
	int why = fwd_rx_start(sw, in, frame, len, now_ms);

	if (why < 0 && frame_parse(frame, len, &fi) < 0)
		why = PORT_DROP_RX_RUNT;
	if (why >= 0)
		goto drop;
	why = fwd_lookup(sw, in, &fi, now_ms, &out);
	if (__builtin_expect(sw->nmirrors != 0, 0) &&
	    why != PORT_DROP_RX_MAC_LIMIT) {
		fwd_mirrored(sw, in, out, why, frame, len);
		return;
	}
	if (why >= 0)
		goto drop;
	in->st.rx_forwarded++;
	if (out) {
		sw_enqueue(sw, out, frame, len, in->rx_framed);
		sw_maybe_throttle(sw, in, out, now_ms);
	} else
		fwd_flood(sw, in, frame, len);
	return;
drop:
	port_count_drop(in, (enum port_drop)why);
}

/**
 * fwd_input() - forward one received frame
 * @sw:		the switch
 * @in:		port it arrived on
 * @frame:	the frame; borrowed until the next sw_flush()
 * @len:	its length
 * @now_ms:	current time, for learning and ageing
 *
 * Context: may be called many times per receive batch; call sw_flush()
 * before @frame's buffer is reused.
 */
static bool fwd_bpdu(struct sw *sw, struct port *in, const uint8_t *frame,
		     size_t len, uint64_t now_ms);

void fwd_input(struct sw *sw, struct port *in, const uint8_t *frame, size_t len,
	       uint64_t now_ms)
{
	if (__builtin_expect(sw->bpdu_watch, 0) && len >= 14 &&
	    stp_is_bpdu_dst(frame) && fwd_bpdu(sw, in, frame, len, now_ms))
		return;
	if (sw->vlan)
		fwd_input_vlan(sw, in, frame, len, now_ms);
	else
		fwd_input_plain(sw, in, frame, len, now_ms);
}

/*
 * A frame to the bridge group address while spanning tree is on or a
 * port has a BPDU guard. Return: true if it was taken here (never
 * forwarded), false to forward it as any frame (STP off, no guard on
 * @in). Taken frames count in rx_frames and either as a drop (a port
 * disabled, or by its guard: rx_disabled) or in the port's spanning-tree
 * counters (rx_bpdu, rx_tcn, rx_bad).
 */
static __attribute__((noinline)) bool fwd_bpdu(struct sw *sw, struct port *in,
					       const uint8_t *frame, size_t len,
					       uint64_t now_ms)
{
	struct sw_event_info e = { .ev = SW_EV_BPDU_GUARD, .port = in };

	if (!sw->stp && !in->bpdu_guard)
		return false;
	in->st.rx_frames++;
	in->st.rx_bytes += len;
	sw->now_ms = now_ms;
	if (in->capture)
		sw->capture_cb(sw->capture_opaque, in, SW_DIR_RX, frame, len);
	if (!in->enabled || in->closing || in->no_carrier) {
		port_count_drop(in, PORT_DROP_RX_DISABLED);
		return true;
	}
	if (in->bpdu_guard) {
		port_count_drop(in, PORT_DROP_RX_DISABLED);
		in->bpdu_guard_trips++;
		if (sw->event_cb)
			sw->event_cb(sw->event_opaque, &e);
		in->enabled = false;
		sw_port_update_up(sw, in, SW_CAUSE_BPDU_GUARD,
				  "a BPDU arrived on a port with bpdu_guard");
		return true;
	}
	stp_input(sw, in, frame, len);
	return true;
}

/**
 * sw_flush() - end of a receive batch: write out, then copy what is left
 * @sw:		the switch
 *
 * Each port with new frames gets one ops->flush() call; frames it could
 * not write are copied out of the receive buffer, which is then free.
 */
void sw_flush(struct sw *sw)
{
	uint32_t i;

	for (i = 0; i < sw->npending; i++) {
		struct port *p = sw->pending[i];

		p->pidx = -1;
		p->ops->flush(p);
		p->st.drops[PORT_DROP_TX_NOMEM] += txq_detach(&p->txq);
	}
	sw->npending = 0;
	sw_vlan_batch_end(sw);
}

static void sw_aged_cb(void *opaque, const struct mac_entry *e)
{
	struct sw *sw = opaque;
	uint8_t mac[MAC_LEN];

	mac_entry_mac(e, mac);
	sw_event(sw, SW_EV_MAC_AGED, mac_entry_vid(e), mac, e->port, NULL);
}

/**
 * sw_throttle_update() - pause newly throttled ports, resume finished ones
 * @sw:		the switch
 * @now_ms:	current time
 *
 * A throttled port resumes when its destination is gone or down, has
 * drained below its low-water mark, or after prm.throttle_ms (the
 * destination is then marked stalled); a port that is itself down is let
 * go. Ports still throttled are paused through ops->rx_pause; every
 * port whose throttle ends gets ops->rx_pause(p, false), paused or not,
 * since its transport may hold back input it read before the throttle.
 *
 * Context: after sw_flush(), so that a destination that drained in this
 * batch does not pause its senders at all.
 *
 * Return: number of ports still throttled (the caller polls again while
 *	   this is not zero)
 */
uint32_t sw_throttle_update(struct sw *sw, uint64_t now_ms)
{
	uint32_t i = 0;

	while (i < sw->nthrottled) {
		struct port *p = sw->throttled[i];
		struct port *out = sw->by_id[p->throttle_on];
		bool drained = !out || !out->up || txq_below_low(&out->txq);
		bool expired =
			now_ms - p->throttle_since_ms >= sw->prm.throttle_ms;

		if (p->up && !drained && !expired) {
			if (!p->rx_paused) {
				p->rx_paused = true;
				p->ops->rx_pause(p, true);
			}
			i++;
			continue;
		}
		if (!drained) {
			out->tx_stalled = true;
			p->st.throttle_timeouts++;
		}
		sw_throttle_del(sw, p); /* moves the last one to i */
		p->rx_paused = false;
		if (!p->closing) /* even if never paused: input may wait */
			p->ops->rx_pause(p, false);
	}
	return sw->nthrottled;
}

/**
 * sw_expire() - periodic housekeeping: age out addresses, trim idle queues
 * @sw:		the switch
 * @now_ms:	current time
 *
 * Return: number of addresses aged out
 */
unsigned sw_expire(struct sw *sw, uint64_t now_ms)
{
	unsigned n = mac_table_expire(&sw->mt, now_ms, sw_aged_cb, sw);
	struct port *p;
	uint32_t i;

	if (sw->mt.count < sw->mt.max)
		sw->table_full_latched = false;
	port_foreach(sw, p, i)
		if (p->pidx < 0)
			txq_trim(&p->txq);
	return n;
}

/**
 * sw_mirror_add() - start a mirror session
 * @sw:		the switch
 * @src:	the port whose frames are copied
 * @dst:	the port that gets the copies
 * @dir:	SW_MIRROR_RX, SW_MIRROR_TX or SW_MIRROR_BOTH
 *
 * The session ends with sw_mirror_remove() or when either port is
 * removed (SW_EV_MIRROR_REMOVED).
 *
 * Return: 0; -EINVAL if @src is @dst or @dir is none of the three,
 * -EEXIST if @src already mirrors to @dst, -EMLINK if @src has
 * SW_MIRROR_PER_SOURCE sessions, -ENOSPC if the switch has SW_MIRROR_MAX
 */
int sw_mirror_add(struct sw *sw, struct port *src, struct port *dst,
		  unsigned dir)
{
	struct sw_mirror *m;
	unsigned n = 0;
	uint32_t i;

	if (src == dst || dir < SW_MIRROR_RX || dir > SW_MIRROR_BOTH)
		return -EINVAL;
	for (i = 0; i < sw->nmirrors; i++) {
		m = &sw->mirrors[i];
		if (m->src == src && m->dst == dst)
			return -EEXIST;
		n += m->src == src;
	}
	if (n >= SW_MIRROR_PER_SOURCE)
		return -EMLINK;
	if (sw->nmirrors >= SW_MIRROR_MAX)
		return -ENOSPC;
	m = &sw->mirrors[sw->nmirrors++];
	m->src = src;
	m->dst = dst;
	m->dir = dir;
	if (dir & SW_MIRROR_RX)
		src->mirror_rx++;
	if (dir & SW_MIRROR_TX)
		src->mirror_tx++;
	return 0;
}

/**
 * sw_mirror_remove() - end a mirror session
 * @sw:		the switch
 * @src:	its source
 * @dst:	its destination
 *
 * Copies already queued on @dst stay there.
 *
 * Return: 0, or -ENOENT if there is no such session
 */
int sw_mirror_remove(struct sw *sw, const struct port *src,
		     const struct port *dst)
{
	uint32_t i;

	for (i = 0; i < sw->nmirrors; i++) {
		if (sw->mirrors[i].src == src && sw->mirrors[i].dst == dst) {
			sw_mirror_del(sw, i);
			return 0;
		}
	}
	return -ENOENT;
}
