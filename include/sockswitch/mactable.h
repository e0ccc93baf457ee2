/* SPDX-License-Identifier: MIT */
/*
 * mactable.h - MAC learning table: {VLAN, MAC} -> port, bounded, with ageing
 */
#ifndef SOCKSWITCH_MACTABLE_H
#define SOCKSWITCH_MACTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockswitch/frame.h"

struct port;

/**
 * struct mac_entry - one learned address
 * @key:	VLAN id in bits 48-59, MAC in bits 0-47; 0 marks a free slot
 *		(the all-zero MAC on VLAN 0 is never learned)
 * @port:	port the address was last seen on
 * @seen_ms:	time it was last seen there (caller's clock, milliseconds)
 */
struct mac_entry {
	uint64_t key;
	struct port *port;
	uint64_t seen_ms;
};

/**
 * struct mac_table - open-addressing hash with linear probing
 * @slots:	2 * @max rounded up to a power of two slots
 * @mask:	number of slots minus one
 * @count:	entries in use
 * @max:	hard bound on entries; when reached, a new address evicts
 *		the oldest entry of the port with the most entries
 * @port_share:	entries a port may hold when its port->mac_max is 0:
 *		half of @max (at least 1) unless set otherwise
 * @ageing_ms:	an entry not refreshed for this long is gone
 * @hold_ms:	an entry refreshed within this long does not move port
 * @secret:	per-run hash key, so peers cannot aim at one bucket
 * @cursor:	where the last search for an eviction victim stopped
 * @sample:	entries an eviction looks at; 0: MAC_EVICT_SAMPLE (a port at
 *		its share) or MAC_EVICT_SAMPLE_FULL (a full table);
 *		UINT32_MAX: all of them, the exact oldest (tests)
 * @evicted:	optional: told of each entry evicted to make room for
 *		@incoming (not yet in the table); @full is true when the
 *		table was full, false when the port was at its share.
 *		Context: must not change the table
 * @evict_opaque: its argument
 *
 * The table keeps port->mac_count of every port it points at exact:
 * entries are added, moved, deleted, flushed and aged only here.
 */
#define MAC_EVICT_SAMPLE 16 /* entries of a port at its share looked at */
#define MAC_EVICT_SAMPLE_FULL 64 /* entries looked at when the table is full */

struct mac_table {
	struct mac_entry *slots;
	uint32_t mask;
	uint32_t count;
	uint32_t max;
	uint32_t port_share;
	uint64_t ageing_ms;
	uint64_t hold_ms;
	uint64_t secret;
	uint32_t cursor;
	uint32_t sample;
	void (*evicted)(void *opaque, const struct mac_entry *victim,
			const struct mac_entry *incoming, bool full);
	void *evict_opaque;
};

/**
 * enum mac_learn - outcome of mac_table_learn()
 * @MAC_LEARN_REFRESH:	known on this port, timestamp refreshed
 * @MAC_LEARN_NEW:	a new entry was added (after evicting one, through
 *			t->evicted, if the port was at its share or the
 *			table was full: a new address is always learned)
 * @MAC_LEARN_MOVED:	entry moved from another port (*@old set); the new
 *			port, if at its share, evicted its oldest entry
 * @MAC_LEARN_HELD:	seen on another port within the hold-down; not moved
 * @MAC_LEARN_IGNORED:	multicast, broadcast or all-zero source; not learned
 * @MAC_LEARN_REFUSED:	new to @port, which holds its port->mac_limit
 *			already: not learned (nor moved), nothing evicted
 */
enum mac_learn {
	MAC_LEARN_REFRESH,
	MAC_LEARN_NEW,
	MAC_LEARN_MOVED,
	MAC_LEARN_HELD,
	MAC_LEARN_IGNORED,
	MAC_LEARN_REFUSED,
};

int mac_table_init(struct mac_table *t, uint32_t max, uint64_t ageing_ms,
		   uint64_t hold_ms, uint64_t secret);
void mac_table_fini(struct mac_table *t);
uint32_t mac_table_port_limit(const struct mac_table *t,
			      const struct port *port);
enum mac_learn mac_table_learn(struct mac_table *t, uint16_t vid,
			       const uint8_t *mac, struct port *port,
			       uint64_t now_ms, struct port **old);
struct port *mac_table_lookup(const struct mac_table *t, uint16_t vid,
			      const uint8_t *mac, uint64_t now_ms);
unsigned mac_table_flush_port(struct mac_table *t, const struct port *port);
unsigned mac_table_expire(struct mac_table *t, uint64_t now_ms,
			  void (*aged)(void *opaque, const struct mac_entry *e),
			  void *opaque);

/* Key helpers, for walking the table (e.g. query-macs). */
static inline uint16_t mac_entry_vid(const struct mac_entry *e)
{
	return (uint16_t)(e->key >> 48);
}

void mac_entry_mac(const struct mac_entry *e, uint8_t mac[static MAC_LEN]);

/* Visit every entry in use: for (i = 0; ...; ) style iterator. */
#define mac_table_foreach(t, e)                                         \
	for ((e) = (t)->slots; (e) < (t)->slots + (t)->mask + 1; (e)++) \
		if ((e)->key != 0)

#endif /* SOCKSWITCH_MACTABLE_H */
