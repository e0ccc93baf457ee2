/* SPDX-License-Identifier: MIT */
/*
 * port.h - switch port object, its transport vtable and its counters
 *
 * A transport embeds struct port in its own object and reaches back with
 * container_of(). The core only ever queues frames on a port and asks the
 * transport, through port_ops, to write them out.
 */
#ifndef SOCKSWITCH_PORT_H
#define SOCKSWITCH_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockswitch/txq.h"

struct impair;
struct vlan_cfg;

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#endif

#define PORT_NAME_LEN 32
#define PORT_DESCR_LEN 128

struct port;

/**
 * struct port_ops - what a transport provides
 * @name:	transport name shown in listings ("tcp", "unix", ...)
 * @flush:	write out as much of the port's queue as the peer takes now,
 *		without blocking; return 0, or a negative errno if the port is
 *		broken (the transport then arranges its own close).
 *		Context: called by sw_flush(); must not remove any port.
 * @close:	release the transport's descriptors and free the object.
 *		Context: called by the daemon after the port was removed
 *		from the switch, never from the port's own callbacks.
 * @state:	optional: the transport's own state of a live, enabled port
 *		("up", "down", "retrying"...), for listings; NULL means "up".
 *		"disabled" and "closing" are derived by the daemon.
 * @rx_pause:	optional: stop (@pause true) or restart reading the port's
 *		own receive descriptor. A restart also comes when a
 *		throttle ends before the port was paused; it must then
 *		deliver any input held back (idempotent). Ports without it are never
 *		throttled (shared-socket datagram ports, slirp).
 *		Context: called by sw_throttle_update(), never for a
 *		closing port; must not remove any port.
 */
struct port_ops {
	const char *name;
	int (*flush)(struct port *p);
	void (*close)(struct port *p);
	const char *(*state)(const struct port *p);
	void (*rx_pause)(struct port *p, bool pause);
};

/**
 * enum port_drop - why a frame was dropped; counted on the port named
 * @PORT_DROP_RX_RUNT:		received frame shorter than 14 bytes
 * @PORT_DROP_RX_OVERSIZE:	received frame longer than the maximum
 * @PORT_DROP_RX_FRAMING:	stream framing broken; the port is closed
 * @PORT_DROP_RX_DISABLED:	received on a disabled port
 * @PORT_DROP_RX_LOCAL:		destination is on the port it came from
 * @PORT_DROP_RX_DEST_DOWN:	known destination port is down
 * @PORT_DROP_TX_QUEUE_FULL:	destination's queue was full
 * @PORT_DROP_TX_CLOSED:	still queued when the port closed
 * @PORT_DROP_TX_NOMEM:		could not copy a queued frame
 * @PORT_DROP_RX_BACKLOG:	a user-mode stack (slirp) produced frames
 *				faster than the switch took them in
 * @PORT_DROP_TX_TOO_BIG:	queued, but longer than the transport can
 *				send in one piece (a UDP datagram)
 * @PORT_DROP_IMPAIR_LOSS:	lost by the port's impairment (loss=)
 * @PORT_DROP_IMPAIR_MTU:	payload over the impairment's mtu=
 * @PORT_DROP_IMPAIR_RATE:	the impairment's rate= queue was full
 * @PORT_DROP_IMPAIR_QUEUE_FULL: the impairment's hold queue (frames
 *				waiting for their delay) was full, or a copy
 *				found no memory
 * @PORT_DROP_TX_BUDGET:	the switch's queue budget (prm.queue_budget)
 *				was used up, or this port held more than
 *				what was left of it (its fair share)
 * @PORT_DROP_RX_MAC_LIMIT:	from a source address the port may not
 *				learn: it already holds its mac_limit
 *				(the listener's "max_macs")
 * @PORT_DROP_RX_VLAN_TAGGED:	a tagged frame on an access port
 * @PORT_DROP_RX_VLAN_UNTAGGED:	an untagged (or priority-tagged) frame on a
 *				trunk without a native VLAN
 * @PORT_DROP_RX_VLAN_NOT_ALLOWED: a tagged frame of a VLAN the trunk
 *				does not carry
 * @PORT_DROP_RX_VLAN_BAD:	on a port with a VLAN mode: VID 4095, a
 *				second tag, an 802.1ad outer tag, or a tag
 *				cut short
 * @PORT_DROP_RX_BAD_SRC:	on a port with a VLAN mode: a multicast or
 *				all-zero source address
 * @PORT_DROP_RX_VLAN_NOMEM:	no memory for the frame's retagged copy
 * @PORT_DROP_TX_MIRROR:	a mirrored copy (see sw_mirror_add()) found
 *				the port's queue full, the queue budget used
 *				up or no memory; the mirrored port never waits
 * @PORT_DROP_RX_ENCAP_BAD:	a tunnel datagram (VXLAN) whose header Linux
 *				would refuse: flags other than I, or nonzero
 *				reserved bits
 * @PORT_DROP_RX_ENCAP_VNI:	a tunnel datagram from the port's remote with
 *				a VNI no port of that remote has
 * @PORT_DROP_RX_STP:		received on a port that spanning tree keeps
 *				from forwarding (blocking, listening,
 *				learning); BPDUs are taken, not dropped
 * @PORT_DROP_RX_STORM:	storm control: a frame the switch would flood
 *				(broadcast, multicast, unknown unicast) over
 *				the port's storm_fps (the listener's
 *				"broadcast_limit")
 */
enum port_drop {
	PORT_DROP_RX_RUNT,
	PORT_DROP_RX_OVERSIZE,
	PORT_DROP_RX_FRAMING,
	PORT_DROP_RX_DISABLED,
	PORT_DROP_RX_LOCAL,
	PORT_DROP_RX_DEST_DOWN,
	PORT_DROP_TX_QUEUE_FULL,
	PORT_DROP_TX_CLOSED,
	PORT_DROP_TX_NOMEM,
	PORT_DROP_RX_BACKLOG,
	PORT_DROP_TX_TOO_BIG,
	PORT_DROP_IMPAIR_LOSS,
	PORT_DROP_IMPAIR_MTU,
	PORT_DROP_IMPAIR_RATE,
	PORT_DROP_IMPAIR_QUEUE_FULL,
	PORT_DROP_TX_BUDGET,
	PORT_DROP_RX_MAC_LIMIT,
	PORT_DROP_RX_VLAN_TAGGED,
	PORT_DROP_RX_VLAN_UNTAGGED,
	PORT_DROP_RX_VLAN_NOT_ALLOWED,
	PORT_DROP_RX_VLAN_BAD,
	PORT_DROP_RX_BAD_SRC,
	PORT_DROP_RX_VLAN_NOMEM,
	PORT_DROP_TX_MIRROR,
	PORT_DROP_RX_ENCAP_BAD,
	PORT_DROP_RX_ENCAP_VNI,
	PORT_DROP_RX_STP,
	PORT_DROP_RX_STORM,
	PORT_DROP_RX_DESC_BAD,
	PORT_DROP__MAX,
};

extern const char *const port_drop_name[PORT_DROP__MAX];

/**
 * struct port_stats - per-port counters, all monotonic
 * @rx_frames:		frames received (every frame the transport delimited)
 * @rx_bytes:		bytes of those frames
 * @rx_broadcast:	of which broadcast
 * @rx_multicast:	of which multicast (not broadcast)
 * @rx_forwarded:	received frames handed to zero or more destinations
 * @tx_queued:		frames accepted into this port's transmit queue
 * @tx_frames:		frames fully written to the peer
 * @tx_bytes:		bytes of those frames
 * @mac_new:		source addresses learned on this port
 * @mac_moves:		addresses that moved to this port from another
 * @mac_held:		moves refused by the hold-down
 * @mac_table_full:	source addresses learned while the table was full
 *			(each evicted another port's oldest entry)
 * @mac_evicted:	addresses learned on this port that were evicted
 *			to make room for a new one (this port at its share,
 *			or the table full and this port holding the most)
 * @throttled:		times reading this port was paused because a
 *			destination's queue passed its high-water mark
 * @throttle_timeouts:	of which ended by the time bound, not by the
 *			destination draining
 * @mirror_tx:		mirrored copies queued on this port (a mirror
 *			session's destination); also in @tx_queued
 * @drops:		drops by reason
 *
 * Conservation: rx_frames = rx_forwarded + rx drops; every forwarded
 * frame adds one to tx_queued or a tx drop (tx_queue_full, tx_budget, an
 * impair_* reason) on each destination; every mirrored copy adds one to
 * mirror_tx (and tx_queued) or to tx_mirror on the session's destination; and
 * tx_queued = tx_frames + tx_closed + tx_nomem + tx_too_big + frames
 * still queued.
 */
struct port_stats {
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t rx_broadcast;
	uint64_t rx_multicast;
	uint64_t rx_forwarded;
	uint64_t tx_queued;
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t mac_new;
	uint64_t mac_moves;
	uint64_t mac_held;
	uint64_t mac_table_full;
	uint64_t mac_evicted;
	uint64_t throttled;
	uint64_t throttle_timeouts;
	uint64_t mirror_tx;
	uint64_t drops[PORT_DROP__MAX];
};

/**
 * struct port - one switch port
 * @ops:	the transport's vtable
 * @id:		port number, unique among live ports, lowest free from 1
 * @idx:	position in sw->ports (for O(1) removal)
 * @pidx:	position in sw->pending, or -1
 * @fidx:	position in sw->flood, or -1 (listed exactly while @up)
 * @up:		forwards and receives: @enabled, not @closing and not
 *		@no_carrier. Read-only outside the core: only the core's
 *		setters (sw_port_set_enabled(), sw_port_set_carrier(),
 *		sw_port_set_closing()) change it and sw->flood with it
 * @enabled:	administratively enabled
 * @no_carrier:	the transport has no link (an uplink not connected, a
 *		datagram peer gone); enabling the port does not make it up
 *		until the transport calls sw_port_set_carrier(sw, p, true)
 * @rx_framed:	set by the transport: every frame it hands to fwd_input()
 *		has its stream length header (TXQ_HDR_LEN bytes, big-endian)
 *		just before it in the same buffer, so stream ports can send
 *		header and frame as one span (txq_push_framed())
 * @capture:	hand its frames to sw->capture_cb
 * @name:	short name: "p3" unless the transport sets one (a VDE
 *		client's description), or a user's (port-name); see
 *		port_name_check()
 * @descr:	free text: peer address, client description
 * @description: what the client said about itself (the VDE request's
 *		text), or empty
 * @txq:	bounded transmit queue
 * @st:		counters
 * @close_next:	the daemon's list of ports to close after dispatch
 * @closing:	on that list (set through sw_port_set_closing())
 * @close_reason: why it is closing, for the log
 * @throttle_on: id of the destination whose full queue throttles this
 *		port's input, or 0 (see sw_throttle_update())
 * @throttle_since_ms: when that throttle began
 * @tidx:	position in sw->throttled, or -1
 * @rx_paused:	ops->rx_pause(p, true) is in force
 * @tx_stalled:	a sender throttled on this port timed out: nobody is
 *		throttled on it again until its queue falls below the
 *		low-water mark; frames beyond the bound drop as before
 * @held_mac:	the source address of the last frame whose address the
 *		hold-down kept on another port, written by the core; the
 *		daemon reads it to name both ports of a MAC conflict and
 *		zeroes it (all zero: nothing held since it looked)
 * @held_vid:	its VLAN
 * @mac_count:	entries of the MAC table on this port, kept by the table
 * @impair:	egress impairment (sw_port_impair()), or NULL: frames
 *		to the port wait in it and reach @txq when due
 * @iidx:	position in sw->impaired, or -1
 * @origin:	what made the port (the daemon's listener), or NULL;
 *		never looked at by the core
 * @mac_max:	most entries this port may hold, or 0 for the table's
 *		default share (half the table); may be set before
 *		sw_port_add(), which keeps it. A port at its bound that
 *		learns a new address evicts its own oldest entry
 * @mac_limit:	most entries this port may learn (a listener's
 *		"max_macs"), or 0: no limit. Unlike @mac_max nothing is
 *		evicted: a frame from a further source is dropped
 *		(PORT_DROP_RX_MAC_LIMIT) until entries age out. When set,
 *		it is also the port's bound in place of @mac_max
 * @vlan:	VLAN mode (sw_port_set_vlan(), include/sockswitch/vlan.h),
 *		or NULL: every VLAN, frames as they are
 * @pvid:	the VLAN whose frames leave the port untagged: its access
 *		or native VLAN, else 0 (@vlan->vid, kept here for the
 *		forwarding path)
 * @mirror_rx:	mirror sessions copying what this port receives (kept
 *		by sw_mirror_add()/sw_mirror_remove())
 * @mirror_tx:	mirror sessions copying what is queued to this port
 * @stp:	spanning-tree state (core/stp.c) while STP is on, else NULL
 * @stp_nonedge: not an edge port when STP starts on it: set before
 *		sw_port_add() for uplinks and --connect ports, or by
 *		sw_port_set_edge() (a listener's "edge": false); ports accepted
 *		on listeners are edge ports by default
 * @bpdu_guard:	a BPDU arriving disables the port (sw_port_set_bpdu_guard())
 * @bpdu_guard_trips: times that happened
 * @storm_fps:	storm control: frames per second this port may send
 *		that the switch floods (broadcast, multicast, unknown
 *		unicast; a listener's "broadcast_limit"), or 0: no limit.
 *		Set with sw_port_set_storm_limit(); the excess is dropped
 *		(PORT_DROP_RX_STORM). These fields come last, read only on
 *		the flood path, so that the lines every frame reads keep
 *		their layout
 * @storm_credit: its token bucket, in thousandths of a frame: at most
 *		one second's worth (@storm_fps * 1000), one frame costs 1000
 * @storm_ms:	when the bucket was last refilled (a frame's now_ms)
 * @storm_seen:	the daemon's: the port's rx_storm drops when it last
 *		warned about them; the core only zeroes it with @st
 *		(sw_port_add())
 * @storm_warned_ms: the daemon's: when that was (0: never)
 */
struct stp_port;

struct port {
	const struct port_ops *ops;
	uint32_t id;
	uint32_t idx;
	int32_t pidx;
	int32_t fidx;
	bool up;
	bool enabled;
	bool no_carrier;
	bool rx_framed;
	bool capture;
	char name[PORT_NAME_LEN];
	char descr[PORT_DESCR_LEN];
	char description[PORT_DESCR_LEN];
	struct txq txq;
	struct port_stats st;
	struct port *close_next;
	bool closing;
	char close_reason[128];
	uint32_t throttle_on;
	uint64_t throttle_since_ms;
	int32_t tidx;
	bool rx_paused;
	bool tx_stalled;
	uint8_t held_mac[6];
	uint16_t held_vid;
	uint32_t mac_count;
	uint32_t mac_max;
	uint32_t mac_limit;
	struct impair *impair;
	int32_t iidx;
	const void *origin;
	struct vlan_cfg *vlan;
	uint16_t pvid;
	uint8_t mirror_rx;
	uint8_t mirror_tx;
	struct stp_port *stp;
	bool stp_nonedge;
	bool bpdu_guard;
	uint64_t bpdu_guard_trips;
	uint32_t storm_fps;
	uint64_t storm_credit;
	uint64_t storm_ms;
	uint64_t storm_seen;
	uint64_t storm_warned_ms;
};

static inline void port_count_drop(struct port *p, enum port_drop why)
{
	p->st.drops[why]++;
}

uint64_t port_rx_drops(const struct port *p);
uint64_t port_tx_drops(const struct port *p);
bool port_storm_take(struct port *p, uint64_t now_ms);
const char *port_name_check(const char *name, uint32_t id);
bool port_name_from(char out[static PORT_NAME_LEN], const char *text);

struct sw;
struct port *sw_port_by_name(const struct sw *sw, const char *name);
struct port *sw_port_find(const struct sw *sw, const char *text);

#endif /* SOCKSWITCH_PORT_H */
