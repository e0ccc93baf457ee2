/* SPDX-License-Identifier: MIT */
/*
 * sw.h - the forwarding core: ports, learning and forwarding
 *
 * No I/O, no clock, no logging: time comes in as an argument and frames go
 * out only into ports' transmit queues. The daemon's loop and the unit tests
 * drive the same entry points.
 */
#ifndef SOCKSWITCH_SW_H
#define SOCKSWITCH_SW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockswitch/frame.h"
#include "sockswitch/impair.h"
#include "sockswitch/mactable.h"
#include "sockswitch/port.h"

struct sw_vlan;

#define SW_MAC_TABLE_DEFAULT 8192
#define SW_MAC_TABLE_LIMIT (1u << 24)
#define SW_AGEING_DEFAULT_S 300
#define SW_HOLD_DOWN_DEFAULT_MS 3000
#define SW_MAX_PORTS_DEFAULT 1024
#define SW_MAX_PORTS_LIMIT 65535
#define SW_THROTTLE_DEFAULT_MS 100
#define SW_THROTTLE_MAX_MS 60000
#define SW_STORM_FPS_MAX 10000000 /* storm control: frames per second */
#define SW_MIRROR_MAX 64 /* mirror sessions in all */
#define SW_MIRROR_PER_SOURCE 8 /* of which with one source port */

/**
 * struct sw_params - the core's tunables
 * @mac_table_size:	bound on learned addresses
 * @mac_port_share:	entries a port may hold unless its port->mac_max
 *			says otherwise; 0: half of @mac_table_size (at
 *			least 1); more than @mac_table_size means all of it
 * @ageing_ms:		learned address lifetime without traffic
 * @hold_down_ms:	a MAC refreshed this recently does not move port
 * @max_ports:		bound on live ports
 * @max_frame:		largest frame accepted, 14..FRAME_MAX_LEN_LIMIT
 * @txq_frames:		per-port transmit queue bound, frames
 * @txq_bytes:		per-port transmit queue bound, bytes
 * @hub:		flood every frame, learn nothing
 * @hash_secret:	per-run key for the MAC table hash
 * @throttle_ms:	longest a sender stays throttled on one full
 *			destination; 0 turns backpressure off
 * @queue_budget:	bound on frame bytes waiting on all ports together
 *			(transmit queues and impairment holds); 0: none.
 *			The daemon always sets one (see docs/config.md)
 */
struct sw_params {
	uint32_t mac_table_size;
	uint32_t mac_port_share;
	uint64_t ageing_ms;
	uint64_t hold_down_ms;
	uint32_t max_ports;
	uint32_t max_frame;
	uint32_t txq_frames;
	size_t txq_bytes;
	bool hub;
	uint64_t hash_secret;
	uint64_t throttle_ms;
	size_t queue_budget;
};

/**
 * enum sw_event - what the core reports through sw->event_cb
 * @SW_EV_MAC_NEW:	an address was learned (@to)
 * @SW_EV_MAC_MOVED:	an address moved (@from -> @to)
 * @SW_EV_MAC_AGED:	an address was not seen for the ageing time (@from)
 * @SW_EV_MAC_TABLE_FULL: the table was full: learning an address (@to)
 *			evicted another; reported once, again only after
 *			ageing made room
 * @SW_EV_MAC_EVICTED:	an address (@from) was forgotten to learn one on
 *			@to: @from was at its share (then @from == @to),
 *			or the table was full and @from held the most
 * @SW_EV_PORT_UP:	@port became up (p->up false -> true)
 * @SW_EV_PORT_DOWN:	@port went down (p->up true -> false)
 * @SW_EV_PORT_REMOVED:	@port was detached; its memory is still valid
 * @SW_EV_MIRROR_REMOVED: the mirror session @from -> @to ended because
 *			@port (one of the two) is being removed; reported
 *			before that port's SW_EV_PORT_REMOVED
 * @SW_EV_STP_PORT:	spanning tree: @port changed state or role, or lost
 *			its edge status (a BPDU arrived)
 * @SW_EV_STP_ROOT:	spanning tree: the root or the root port (@port,
 *			NULL when this bridge is the root) changed
 * @SW_EV_STP_TC:	spanning tree: a topology change was detected
 * @SW_EV_BPDU_GUARD:	a BPDU arrived on @port, which has a BPDU guard:
 *			the port is disabled (a SW_EV_PORT_DOWN follows)
 */
enum sw_event {
	SW_EV_MAC_NEW,
	SW_EV_MAC_MOVED,
	SW_EV_MAC_AGED,
	SW_EV_MAC_TABLE_FULL,
	SW_EV_MAC_EVICTED,
	SW_EV_PORT_UP,
	SW_EV_PORT_DOWN,
	SW_EV_PORT_REMOVED,
	SW_EV_MIRROR_REMOVED,
	SW_EV_STP_PORT,
	SW_EV_STP_ROOT,
	SW_EV_STP_TC,
	SW_EV_BPDU_GUARD,
};

/* MAC events first, then port events: sw_event_is_mac() relies on it. */
static inline bool sw_event_is_mac(enum sw_event ev)
{
	return ev <= SW_EV_MAC_EVICTED;
}

/**
 * enum sw_cause - why a port's up state changed
 * @SW_CAUSE_ADDED:	attached with a carrier (sw_port_add())
 * @SW_CAUSE_ENABLED:	sw_port_set_enabled(..., true)
 * @SW_CAUSE_DISABLED:	sw_port_set_enabled(..., false)
 * @SW_CAUSE_CARRIER:	sw_port_set_carrier(..., true, ...)
 * @SW_CAUSE_NO_CARRIER: sw_port_set_carrier(..., false, why)
 * @SW_CAUSE_CLOSING:	sw_port_set_closing(): p->close_reason says why
 * @SW_CAUSE_REMOVED:	sw_port_remove()
 * @SW_CAUSE_STP:	spanning tree let the port forward or stopped it
 *			(@why: the STP state)
 * @SW_CAUSE_BPDU_GUARD: disabled by its BPDU guard
 */
enum sw_cause {
	SW_CAUSE_ADDED,
	SW_CAUSE_ENABLED,
	SW_CAUSE_DISABLED,
	SW_CAUSE_CARRIER,
	SW_CAUSE_NO_CARRIER,
	SW_CAUSE_CLOSING,
	SW_CAUSE_REMOVED,
	SW_CAUSE_STP,
	SW_CAUSE_BPDU_GUARD,
};

/**
 * struct sw_event_info - one event, as sw->event_cb sees it
 * @ev:		what happened
 * @vid:	MAC events: VLAN
 * @mac:	MAC events: the address
 * @from:	MAC events: old port (moved, aged, evicted), or NULL;
 *		MIRROR_REMOVED: the session's source
 * @to:		MAC events: new port (learned, moved, table full, the
 *		port whose new address evicted), or NULL; MIRROR_REMOVED:
 *		the session's destination
 * @port:	port events: the port
 * @cause:	port events: why
 * @why:	port events: the transport's words for a lost carrier, the
 *		close reason for CLOSING and REMOVED, or NULL
 */
struct sw_event_info {
	enum sw_event ev;
	uint16_t vid;
	const uint8_t *mac;
	struct port *from;
	struct port *to;
	struct port *port;
	enum sw_cause cause;
	const char *why;
};

/**
 * enum sw_dir - which way a frame passes a port, for sw->capture_cb
 */
enum sw_dir {
	SW_DIR_RX,
	SW_DIR_TX,
};

/**
 * enum sw_mirror_dir - what a mirror session copies (a bit set)
 * @SW_MIRROR_RX:	frames the source port receives
 * @SW_MIRROR_TX:	frames queued to the source port (that it sends)
 * @SW_MIRROR_BOTH:	both
 */
enum sw_mirror_dir {
	SW_MIRROR_RX = 1,
	SW_MIRROR_TX = 2,
	SW_MIRROR_BOTH = 3,
};

/**
 * struct sw_mirror - one mirror session (SPAN)
 * @src:	the mirrored port
 * @dst:	the port that gets the copies
 * @dir:	enum sw_mirror_dir bits
 */
struct sw_mirror {
	struct port *src;
	struct port *dst;
	unsigned dir;
};

/**
 * struct sw - one switch
 * @prm:	tunables
 * @mt:		learned addresses
 * @ports:	live ports, dense
 * @nports:	number of live ports
 * @pending:	ports that got frames since the last sw_flush()
 * @npending:	number of those
 * @id_used:	bitmap of port ids in use (bit 0 unused)
 * @table_full_latched:	table-full event reported, not yet cleared
 * @event_cb:	optional observer: every MAC event, and every change of a
 *		port's p->up (with its cause) and every removal, reported by
 *		the only writer of p->up; may be NULL. Context: called from
 *		the forwarding path and the port setters: it must not
 *		change ports or the table
 * @event_opaque: its argument
 * @capture_cb:	called for each frame received on a port whose capture
 *		flag is set, and for each frame queued to one while
 *		@capture_tx is set; may be NULL while no flag is set
 * @capture_opaque: its argument
 * @capture_new_ports: new ports start with their capture flag set
 * @capture_tx:	queued frames are wanted too (a capture of one port
 *		records both ways; a whole-switch one only what is received)
 * @by_id:	live ports by id (index 0 unused)
 * @throttled:	ports whose input is throttled (see sw_throttle_update())
 * @nthrottled:	number of those
 * @flood:	the ports that are up, dense, in no particular order: a
 *		flood goes to each of them but its input port. Invariant:
 *		p->up if and only if p is listed, at sw->flood[p->fidx];
 *		kept by the only writer of p->up (sw_port_add(),
 *		sw_port_remove(), sw_port_set_enabled(),
 *		sw_port_set_carrier(), sw_port_set_closing()), so no flood
 *		scans the ports that are down
 * @nflood:	number of those
 * @impaired:	ports with an impairment (sw_port_impair()), allocated
 *		with the first
 * @nimpaired:	number of those
 * @now_ms:	time of the frame being forwarded (fwd_input()'s), for
 *		impairment decisions
 * @queued_bytes: frame bytes waiting on all ports: every port's txq.bytes
 *		(each queue keeps it through txq.total) plus the bytes
 *		their impairments hold; at most prm.queue_budget when set
 * @budget_cap:	prm.queue_budget, or SIZE_MAX without one (one compare
 *		per queued frame either way)
 * @vlan:	VLAN member lists and retagged copies (core/vlan.c), there
 *		only while some port has a VLAN mode; NULL: every frame is
 *		forwarded as it is, to sw->flood
 * @mirrors:	mirror sessions, in the order they were added
 * @nmirrors:	number of those
 * @stp:	spanning tree (core/stp.c), or NULL when off
 * @nguard:	ports with a BPDU guard
 * @bpdu_watch:	@stp or @nguard: frames to the bridge group address are
 *		looked at before forwarding
 */
struct sw {
	struct sw_params prm;
	struct mac_table mt;
	struct port **ports;
	uint32_t nports;
	struct port **pending;
	uint32_t npending;
	uint8_t *id_used;
	bool table_full_latched;
	void (*event_cb)(void *opaque, const struct sw_event_info *e);
	void *event_opaque;
	void (*capture_cb)(void *opaque, struct port *p, enum sw_dir dir,
			   const uint8_t *frame, size_t len);
	void *capture_opaque;
	bool capture_new_ports;
	bool capture_tx;
	struct port **by_id;
	struct port **throttled;
	uint32_t nthrottled;
	struct port **flood;
	uint32_t nflood;
	struct port **impaired;
	uint32_t nimpaired;
	uint64_t now_ms;
	size_t queued_bytes;
	size_t budget_cap;
	struct sw_vlan *vlan;
	struct sw_mirror mirrors[SW_MIRROR_MAX];
	uint32_t nmirrors;
	struct stp *stp;
	uint32_t nguard;
	bool bpdu_watch;
};

void sw_params_default(struct sw_params *prm);
int sw_init(struct sw *sw, const struct sw_params *prm);
void sw_fini(struct sw *sw);
int sw_reset(struct sw *sw, const struct sw_params *prm);
int sw_set_params(struct sw *sw, const struct sw_params *prm);
int sw_port_add(struct sw *sw, struct port *p, const struct port_ops *ops,
		uint32_t want_id);
void sw_port_remove(struct sw *sw, struct port *p);
void sw_port_set_enabled(struct sw *sw, struct port *p, bool enabled);
void sw_port_set_carrier(struct sw *sw, struct port *p, bool carrier,
			 const char *why);
void sw_port_set_closing(struct sw *sw, struct port *p);
int sw_port_set_storm_limit(struct sw *sw, struct port *p, uint32_t fps);
struct port *sw_port_by_id(const struct sw *sw, uint32_t id);
void fwd_input(struct sw *sw, struct port *in, const uint8_t *frame, size_t len,
	       uint64_t now_ms);
void fwd_drop(struct port *in, size_t len, enum port_drop why);
void sw_flush(struct sw *sw);
unsigned sw_expire(struct sw *sw, uint64_t now_ms);
uint32_t sw_throttle_update(struct sw *sw, uint64_t now_ms);
int sw_port_impair(struct sw *sw, struct port *p, const struct impair_cfg *cfg);
void sw_impair_release(struct sw *sw, uint64_t now_ms);
uint64_t sw_impair_next_due(const struct sw *sw);
int sw_mirror_add(struct sw *sw, struct port *src, struct port *dst,
		  unsigned dir);
int sw_mirror_remove(struct sw *sw, const struct port *src,
		     const struct port *dst);

/* Core-internal: between sw.c and stp.c. */
void sw_send_local(struct sw *sw, struct port *p, const uint8_t *frame,
		   size_t len);
void sw_port_stp_changed(struct sw *sw, struct port *p);
void sw_stp_event(struct sw *sw, enum sw_event ev, struct port *p);
void stp_input(struct sw *sw, struct port *in, const uint8_t *frame,
	       size_t len);
void stp_port_oper(struct sw *sw, struct port *p, bool oper);
int stp_port_attach(struct sw *sw, struct port *p);
void stp_port_detach(struct sw *sw, struct port *p);
bool stp_port_forwarding(const struct port *p);
bool stp_port_learning(const struct port *p);

#define port_foreach(sw, p, i) \
	for ((i) = 0; (i) < (sw)->nports && ((p) = (sw)->ports[(i)], 1); (i)++)

#endif /* SOCKSWITCH_SW_H */
