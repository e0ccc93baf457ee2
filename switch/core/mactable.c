// SPDX-License-Identifier: MIT
/*
 * mactable.c - MAC learning table
 *
 * DOC: Theory of Operation
 * {VLAN, MAC} is packed into one 64-bit key (VLAN in bits 48-59) and
 * hashed with a per-run secret through a Murmur3 finaliser, so a guest
 * cannot pick addresses that pile into one bucket. Slots are probed
 * linearly; deletion shifts later entries back, so there are no
 * tombstones and a lookup ends at the first free slot. The table holds
 * at most @max entries in 2 * @max (rounded up to a power of two) slots:
 * at that load factor probes stay short. Time is the caller's: entries
 * older than the ageing time are invisible to lookups and are removed by
 * mac_table_expire(), which the daemon calls from one periodic timer.
 *
 * Under attack (a guest spraying source addresses) a new address is
 * still always learned. Each port may hold at most its share of the
 * table (port->mac_max, or @port_share: half the table by default); a
 * port at its share that learns a new address evicts its own oldest
 * entry, so a sprayer churns within its share. When the table is full,
 * a new address evicts the oldest entry of the port with the most
 * entries. Each port's entry count (port->mac_count) is kept exact
 * where entries are added, moved and deleted, so the limit check costs
 * one comparison. A victim is chosen from a bounded sample taken by a
 * cursor that sweeps the table like a clock (mac_victim()): the oldest
 * of the sample, which is the exact oldest in a small table and close
 * to it in a large one. That happens only when an entry is evicted:
 * never on the forwarding of known addresses, and for a new address only
 * when its port is at its share or the table is full. A port given an
 * explicit limit (port->mac_limit, a listener's "max_macs") is the
 * exception: at its limit it learns nothing new and evicts nothing, and
 * the caller drops the frame, until its entries age out.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/mactable.h"
#include "sockswitch/port.h"

static uint64_t mac_key(uint16_t vid, const uint8_t *mac)
{
	uint32_t hi;
	uint16_t lo;

	/* Two loads and byte swaps instead of six shifts: the address in
	 * network order, most significant byte first, in bits 0-47. */
	memcpy(&hi, mac, sizeof(hi));
	memcpy(&lo, mac + 4, sizeof(lo));
	return (uint64_t)vid << 48 | /* every caller's vid is below 4096 */
	       (uint64_t)be32toh(hi) << 16 | be16toh(lo);
}

static uint32_t mac_slot(const struct mac_table *t, uint64_t key)
{
	uint64_t h = key ^ t->secret;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h & t->mask;
}

/**
 * mac_table_init() - allocate an empty table
 * @t:		the table
 * @max:	bound on entries, at least 1
 * @ageing_ms:	lifetime of an entry without traffic
 * @hold_ms:	hold-down before an entry may move to another port
 * @secret:	hash key
 *
 * Return: 0 on success, negative error code on failure
 */
int mac_table_init(struct mac_table *t, uint32_t max, uint64_t ageing_ms,
		   uint64_t hold_ms, uint64_t secret)
{
	uint64_t slots = 16;

	memset(t, 0, sizeof(*t));
	if (max == 0 || max > (1u << 30))
		return -EINVAL;
	while (slots < 2ULL * max)
		slots <<= 1;
	t->slots = calloc(slots, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = (uint32_t)(slots - 1);
	t->max = max;
	t->port_share = max / 2 ? max / 2 : 1;
	t->ageing_ms = ageing_ms;
	t->hold_ms = hold_ms;
	t->secret = secret;
	return 0;
}

/** mac_table_fini() - free the table's memory; safe on a zeroed table */
void mac_table_fini(struct mac_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->count = 0;
}

/**
 * mac_table_port_limit() - most entries @port may hold
 * @t:		the table
 * @port:	the port
 *
 * Return: port->mac_limit if set, else port->mac_max if set, else the
 *	   table's default share
 */
uint32_t mac_table_port_limit(const struct mac_table *t,
			      const struct port *port)
{
	if (port->mac_limit)
		return port->mac_limit;
	return port->mac_max ? port->mac_max : t->port_share;
}

static struct mac_entry *mac_find(const struct mac_table *t, uint64_t key)
{
	uint32_t i = mac_slot(t, key);

	for (;;) {
		struct mac_entry *e = &t->slots[i];

		if (e->key == key)
			return e;
		if (e->key == 0)
			return NULL;
		i = (i + 1) & t->mask;
	}
}

/* Remove the entry in slot @i, shifting back the entries probed past it. */
static void mac_delete(struct mac_table *t, uint32_t i)
{
	uint32_t hole = i, j = i;

	t->slots[i].port->mac_count--;
	for (;;) {
		uint32_t home;

		j = (j + 1) & t->mask;
		if (t->slots[j].key == 0)
			break;
		home = mac_slot(t, t->slots[j].key);
		/* Entry j may fill the hole if its home is not cyclically
		 * within (hole, j]. */
		if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
			t->slots[hole] = t->slots[j];
			hole = j;
		}
	}
	memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
	t->count--;
}

static bool mac_expired(const struct mac_table *t, const struct mac_entry *e,
			uint64_t now_ms)
{
	return now_ms >= e->seen_ms && now_ms - e->seen_ms >= t->ageing_ms;
}

/*
 * The victim for an eviction, from a bounded sample: walking from the
 * table's cursor (where the last search stopped), look at up to
 * MAC_EVICT_SAMPLE entries of @only (a port at its share), or, if @only
 * is NULL (the table is full), up to MAC_EVICT_SAMPLE_FULL entries of any
 * port; take the oldest entry of @only, or the oldest entry of the port
 * with the most entries among those seen. A port over its share or a
 * full table is dense, so the walk is short (about twice the sample in
 * slots); a small table is covered whole, and then the choice is exact.
 * The cursor moves on, so successive evictions sweep the table like a
 * clock instead of rescanning it: a guest spraying source addresses
 * costs a bounded amount per frame, not O(slots).
 */
static struct mac_entry *mac_victim(struct mac_table *t,
				    const struct port *only)
{
	uint32_t want = t->sample ? t->sample
			: only	  ? MAC_EVICT_SAMPLE
				  : MAC_EVICT_SAMPLE_FULL;
	uint32_t i = t->cursor & t->mask, n, seen = 0;
	struct mac_entry *e, *best = NULL;

	for (n = 0; n <= t->mask && seen < want; n++, i = (i + 1) & t->mask) {
		e = &t->slots[i];
		if (e->key == 0 || (only && e->port != only))
			continue;
		seen++;
		if (!best ||
		    (!only && e->port->mac_count > best->port->mac_count)) {
			best = e;
			continue;
		}
		if ((only || e->port->mac_count == best->port->mac_count) &&
		    e->seen_ms < best->seen_ms)
			best = e;
	}
	t->cursor = i;
	return best;
}

/**
 * mac_evict() - remove one entry to make room for @incoming
 * @t:		the table
 * @only:	evict the oldest entry of this port (it is at its share), or
 *		NULL: the table is full, evict the oldest entry of the
 *		port with the most entries
 * @incoming:	the address being learned, for t->evicted
 *
 * Return: true if an entry was evicted (false only on an empty table,
 *	   or if @only holds no entry)
 */
static bool mac_evict(struct mac_table *t, const struct port *only,
		      const struct mac_entry *incoming)
{
	struct mac_entry *v = mac_victim(t, only);
	struct mac_entry victim;

	if (!v)
		return false;
	victim = *v;
	mac_delete(t, (uint32_t)(v - t->slots));
	if (t->evicted)
		t->evicted(t->evict_opaque, &victim, incoming, !only);
	return true;
}

/* Make room on @port for one more entry: evict its own oldest while it
 * is at its limit (more than once only if the limit was lowered). */
static void mac_make_room_on(struct mac_table *t, struct port *port,
			     const struct mac_entry *incoming)
{
	while (port->mac_count >= mac_table_port_limit(t, port))
		if (!mac_evict(t, port, incoming))
			break;
}

/* @port has its own limit ("max_macs") and holds that many entries. */
static bool mac_at_limit(const struct port *port)
{
	return port->mac_limit && port->mac_count >= port->mac_limit;
}

static enum mac_learn mac_insert(struct mac_table *t, uint64_t key,
				 struct port *port, uint64_t now_ms)
{
	const struct mac_entry in = { key, port, now_ms };
	uint32_t i;

	if (port->mac_count >= mac_table_port_limit(t, port))
		mac_make_room_on(t, port, &in);
	if (t->count >= t->max)
		mac_evict(t, NULL, &in);
	i = mac_slot(t, key);
	while (t->slots[i].key != 0)
		i = (i + 1) & t->mask;
	t->slots[i] = in;
	t->count++;
	port->mac_count++;
	return MAC_LEARN_NEW;
}

/**
 * mac_table_learn() - note that @mac was seen as a source on @port
 * @t:		the table
 * @vid:	VLAN the frame belongs to
 * @mac:	source address
 * @port:	port it arrived on
 * @now_ms:	current time
 * @old:	set to the previous port when the result is MAC_LEARN_MOVED
 *		or MAC_LEARN_HELD
 *
 * A known address moves to a new port only if it has not been seen on
 * its old port for the hold-down time; an address that flaps between two
 * ports therefore stays on the first one instead of thrashing. A new
 * address is always learned: if @port is at its share it evicts its own
 * oldest entry, and if the table is full the oldest entry of the port
 * with the most entries goes (each reported through t->evicted). A port
 * with a mac_limit that holds that many learns nothing new (nor moves
 * an address to itself) and evicts nothing.
 *
 * Return: what happened, see enum mac_learn
 */
enum mac_learn mac_table_learn(struct mac_table *t, uint16_t vid,
			       const uint8_t *mac, struct port *port,
			       uint64_t now_ms, struct port **old)
{
	uint64_t key;
	struct mac_entry *e;

	if (mac_is_multicast(mac) || mac_is_zero(mac))
		return MAC_LEARN_IGNORED;
	key = mac_key(vid, mac);
	e = mac_find(t, key);
	if (!e)
		return mac_at_limit(port) ? MAC_LEARN_REFUSED
					  : mac_insert(t, key, port, now_ms);
	if (e->port == port) {
		e->seen_ms = now_ms;
		return MAC_LEARN_REFRESH;
	}
	if (old)
		*old = e->port;
	if (!mac_expired(t, e, now_ms) && now_ms >= e->seen_ms &&
	    now_ms - e->seen_ms < t->hold_ms)
		return MAC_LEARN_HELD;
	if (mac_at_limit(port))
		return MAC_LEARN_REFUSED;
	if (port->mac_count >= mac_table_port_limit(t, port)) {
		const struct mac_entry in = { key, port, now_ms };

		mac_make_room_on(t, port, &in);
		e = mac_find(t, key); /* a deletion may have shifted it */
	}
	e->port->mac_count--;
	port->mac_count++;
	e->port = port;
	e->seen_ms = now_ms;
	return MAC_LEARN_MOVED;
}

/**
 * mac_table_lookup() - which port is @mac on
 * @t:		the table
 * @vid:	VLAN
 * @mac:	destination address
 * @now_ms:	current time: an entry past its ageing time is not returned
 *
 * Return: the port, or NULL if unknown
 */
struct port *mac_table_lookup(const struct mac_table *t, uint16_t vid,
			      const uint8_t *mac, uint64_t now_ms)
{
	const struct mac_entry *e = mac_find(t, mac_key(vid, mac));

	if (!e || mac_expired(t, e, now_ms))
		return NULL;
	return e->port;
}

/**
 * mac_table_flush_port() - forget every address learned on @port
 * @t:		the table
 * @port:	the port, or NULL for every port
 *
 * Return: number of entries removed
 */
unsigned mac_table_flush_port(struct mac_table *t, const struct port *port)
{
	unsigned n = 0;
	uint32_t i = 0;

	/* A deletion may shift a later entry into slot i: look again. */
	while (i <= t->mask) {
		if (t->slots[i].key != 0 &&
		    (!port || t->slots[i].port == port)) {
			mac_delete(t, i);
			n++;
			continue;
		}
		i++;
	}
	return n;
}

/**
 * mac_table_expire() - remove entries not seen for the ageing time
 * @t:		the table
 * @now_ms:	current time
 * @aged:	called for each entry before it is removed, may be NULL
 * @opaque:	its argument
 *
 * Return: number of entries removed
 */
unsigned mac_table_expire(struct mac_table *t, uint64_t now_ms,
			  void (*aged)(void *opaque, const struct mac_entry *e),
			  void *opaque)
{
	unsigned n = 0;
	uint32_t i = 0;

	while (i <= t->mask) {
		if (t->slots[i].key != 0 &&
		    mac_expired(t, &t->slots[i], now_ms)) {
			if (aged)
				aged(opaque, &t->slots[i]);
			mac_delete(t, i);
			n++;
			continue;
		}
		i++;
	}
	return n;
}

/**
 * mac_entry_mac() - the MAC address of an entry
 * @e:		the entry
 * @mac:	output
 */
void mac_entry_mac(const struct mac_entry *e, uint8_t mac[static MAC_LEN])
{
	int i;

	for (i = 0; i < MAC_LEN; i++)
		mac[i] = (uint8_t)(e->key >> (8 * (MAC_LEN - 1 - i)));
}
