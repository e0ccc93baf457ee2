// SPDX-License-Identifier: MIT
/*
 * test_mactable.c - learning, ageing, bounds, hold-down, deletion, per-port
 * shares and eviction
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/mactable.h"
#include "sockswitch/port.h"

/* The table keeps each port's entry count, so the ports are real. */
static struct port ports[3];
#define P1 (&ports[0])
#define P2 (&ports[1])
#define P3 (&ports[2])

/**
 * struct evictions - what t->evicted reported
 * @n:		how many
 * @full:	of which because the table was full
 * @key:	the last victim's key
 * @port:	its port
 * @by:		the port that learned the incoming address
 */
static struct evictions {
	unsigned n;
	unsigned full;
	uint64_t key;
	struct port *port;
	struct port *by;
} ev;

static void on_evicted(void *opaque, const struct mac_entry *victim,
		       const struct mac_entry *incoming, bool full)
{
	(void)opaque;
	cr_assert_neq(victim->key, incoming->key);
	ev.n++;
	ev.full += full;
	ev.key = victim->key;
	ev.port = victim->port;
	ev.by = incoming->port;
}

static void reset(void)
{
	memset(ports, 0, sizeof(ports));
	memset(&ev, 0, sizeof(ev));
}

TestSuite(mac_table, .init = reset);

/* Each port's count is its number of entries, and they sum to the count. */
static void check_counts(const struct mac_table *t)
{
	const struct mac_entry *e;
	uint32_t n[3] = { 0 }, i;

	mac_table_foreach(t, e) {
		cr_assert(e->port >= P1 && e->port <= P3);
		n[e->port - P1]++;
	}
	cr_assert_eq(n[0] + n[1] + n[2], t->count);
	for (i = 0; i < 3; i++)
		cr_assert_eq(ports[i].mac_count, n[i], "port %u: %u, holds %u",
			     i, ports[i].mac_count, n[i]);
}

static uint64_t key_of(uint32_t n)
{
	return 0x020000000000ULL | n;
}

static void mac_of(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

Test(mac_table, never_learns_broadcast_multicast_or_zero_sources)
{
	uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t zero[6] = { 0 };
	struct mac_table t;

	mac_table_init(&t, 16, 300000, 3000, 42);
	cr_assert_eq(mac_table_learn(&t, 0, bc, P1, 0, NULL),
		     MAC_LEARN_IGNORED);
	cr_assert_eq(mac_table_learn(&t, 0, mc, P1, 0, NULL),
		     MAC_LEARN_IGNORED);
	cr_assert_eq(mac_table_learn(&t, 0, zero, P1, 0, NULL),
		     MAC_LEARN_IGNORED);
	cr_assert_eq(t.count, 0);
	mac_table_fini(&t);
}

Test(mac_table, keys_on_vlan_and_mac)
{
	struct mac_table t;
	uint8_t m[6];

	mac_of(1, m);
	mac_table_init(&t, 16, 300000, 3000, 42);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 0, NULL), MAC_LEARN_NEW);
	cr_assert_eq(mac_table_learn(&t, 100, m, P2, 0, NULL), MAC_LEARN_NEW);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 1), P1);
	cr_assert_eq(mac_table_lookup(&t, 100, m, 1), P2);
	cr_assert_null(mac_table_lookup(&t, 200, m, 1));
	mac_table_fini(&t);
}

Test(mac_table, evicts_entry_after_ageing_time)
{
	struct mac_table t;
	uint8_t m[6];

	mac_of(7, m);
	mac_table_init(&t, 16, 300000, 3000, 1);
	mac_table_learn(&t, 0, m, P1, 1000, NULL);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 300999), P1);
	cr_assert_null(mac_table_lookup(&t, 0, m, 301000),
		       "an aged entry must not be used before the sweep");
	cr_assert_eq(mac_table_expire(&t, 300999, NULL, NULL), 0);
	cr_assert_eq(mac_table_expire(&t, 301000, NULL, NULL), 1);
	cr_assert_eq(t.count, 0);
	mac_table_fini(&t);
}

Test(mac_table, traffic_refreshes_the_age)
{
	struct mac_table t;
	uint8_t m[6];

	mac_of(7, m);
	mac_table_init(&t, 16, 10000, 3000, 1);
	mac_table_learn(&t, 0, m, P1, 0, NULL);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 9000, NULL),
		     MAC_LEARN_REFRESH);
	cr_assert_eq(mac_table_expire(&t, 15000, NULL, NULL), 0);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 18999), P1);
	mac_table_fini(&t);
}

Test(mac_table, default_share_is_half_the_table_and_at_least_one)
{
	struct mac_table t;

	mac_table_init(&t, 8192, 300000, 3000, 1);
	cr_assert_eq(mac_table_port_limit(&t, P1), 4096);
	P1->mac_max = 10;
	cr_assert_eq(mac_table_port_limit(&t, P1), 10,
		     "a port's own limit wins over the default share");
	mac_table_fini(&t);
	mac_table_init(&t, 1, 300000, 3000, 1);
	cr_assert_eq(t.port_share, 1);
	mac_table_fini(&t);
}

Test(mac_table, port_at_its_share_evicts_its_own_oldest)
{
	struct mac_table t;
	uint8_t m[6];
	uint32_t i;

	mac_table_init(&t, 8, 300000, 3000, 99); /* share: 4 */
	t.evicted = on_evicted;
	for (i = 1; i <= 4; i++) {
		mac_of(i, m);
		cr_assert_eq(mac_table_learn(&t, 0, m, P1, i, NULL),
			     MAC_LEARN_NEW);
	}
	cr_assert_eq(ev.n, 0);
	mac_of(5, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 5, NULL), MAC_LEARN_NEW);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 5), P1, "new one learned");
	cr_assert_eq(ev.n, 1);
	cr_assert_eq(ev.full, 0);
	cr_assert_eq(ev.key, key_of(1), "the oldest goes");
	cr_assert_eq(ev.port, P1);
	cr_assert_eq(ev.by, P1);
	mac_of(1, m);
	cr_assert_null(mac_table_lookup(&t, 0, m, 5));
	/* Traffic makes an entry young again: 3 is now the oldest. */
	mac_of(2, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 6, NULL), MAC_LEARN_REFRESH);
	mac_of(6, m);
	mac_table_learn(&t, 0, m, P1, 7, NULL);
	cr_assert_eq(ev.key, key_of(3));
	cr_assert_eq(P1->mac_count, 4);
	/* The rest of the table is still there for another port. */
	for (i = 10; i < 14; i++) {
		mac_of(i, m);
		cr_assert_eq(mac_table_learn(&t, 0, m, P2, 8, NULL),
			     MAC_LEARN_NEW);
	}
	cr_assert_eq(ev.n, 2, "P2 evicted nothing");
	cr_assert_eq(t.count, 8);
	check_counts(&t);
	mac_table_fini(&t);
}

Test(mac_table, full_table_evicts_oldest_of_the_port_with_most)
{
	struct mac_table t;
	uint8_t m[6];
	uint32_t i;

	mac_table_init(&t, 8, 300000, 3000, 99);
	t.port_share = 8; /* uneven ports: P1 5, P2 3 */
	t.evicted = on_evicted;
	for (i = 1; i <= 3; i++) {
		mac_of(i, m);
		mac_table_learn(&t, 0, m, P2, i, NULL); /* P2's are oldest */
	}
	for (i = 11; i <= 15; i++) {
		mac_of(i, m);
		mac_table_learn(&t, 0, m, P1, i, NULL);
	}
	cr_assert_eq(t.count, 8);
	/* A new guest is learned at once, at the biggest port's expense. */
	mac_of(100, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P3, 20, NULL), MAC_LEARN_NEW);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 20), P3);
	cr_assert_eq(ev.n, 1);
	cr_assert_eq(ev.full, 1);
	cr_assert_eq(ev.key, key_of(11), "P1's oldest, not P2's older one");
	cr_assert_eq(ev.port, P1);
	cr_assert_eq(ev.by, P3);
	mac_of(101, m);
	mac_table_learn(&t, 0, m, P3, 21, NULL);
	cr_assert_eq(ev.key, key_of(12));
	/* P1 and P2 now hold 3 each: the older entry of the two goes. */
	mac_of(102, m);
	mac_table_learn(&t, 0, m, P3, 22, NULL);
	cr_assert_eq(ev.key, key_of(1));
	cr_assert_eq(ev.port, P2);
	cr_assert_eq(t.count, 8);
	check_counts(&t);
	/* Known addresses still refresh when full, evicting nothing. */
	mac_of(13, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 23, NULL),
		     MAC_LEARN_REFRESH);
	cr_assert_eq(ev.n, 3);
	mac_table_fini(&t);
}

Test(mac_table, move_onto_a_port_at_its_share_evicts_its_oldest)
{
	struct port *old = NULL;
	struct mac_table t;
	uint8_t m[6];

	mac_table_init(&t, 4, 300000, 0, 7); /* share: 2 */
	t.evicted = on_evicted;
	mac_of(1, m);
	mac_table_learn(&t, 0, m, P1, 1, NULL);
	mac_of(2, m);
	mac_table_learn(&t, 0, m, P1, 2, NULL);
	mac_of(3, m);
	mac_table_learn(&t, 0, m, P2, 3, NULL);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 10, &old), MAC_LEARN_MOVED);
	cr_assert_eq(old, P2);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 10), P1);
	cr_assert_eq(ev.n, 1);
	cr_assert_eq(ev.key, key_of(1));
	cr_assert_eq(P1->mac_count, 2);
	cr_assert_eq(P2->mac_count, 0);
	check_counts(&t);
	mac_table_fini(&t);
}

Test(mac_table, lowered_port_limit_is_reached_on_the_next_new_address)
{
	struct mac_table t;
	uint8_t m[6];
	uint32_t i;

	mac_table_init(&t, 64, 300000, 3000, 7);
	t.evicted = on_evicted;
	for (i = 1; i <= 10; i++) {
		mac_of(i, m);
		mac_table_learn(&t, 0, m, P1, i, NULL);
	}
	P1->mac_max = 3;
	mac_of(11, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 11, NULL), MAC_LEARN_NEW);
	cr_assert_eq(P1->mac_count, 3);
	cr_assert_eq(ev.n, 8);
	for (i = 9; i <= 11; i++) {
		mac_of(i, m);
		cr_assert_eq(mac_table_lookup(&t, 0, m, 11), P1,
			     "the newest stay: %u", i);
	}
	check_counts(&t);
	mac_table_fini(&t);
}

Test(mac_table, port_at_its_mac_limit_learns_nothing_new_and_evicts_nothing)
{
	struct mac_table t;
	uint8_t m[6];
	uint32_t i;

	mac_table_init(&t, 64, 10000, 3000, 7);
	t.evicted = on_evicted;
	P1->mac_limit = 3;
	for (i = 1; i <= 3; i++) {
		mac_of(i, m);
		cr_assert_eq(mac_table_learn(&t, 0, m, P1, i, NULL),
			     MAC_LEARN_NEW);
	}
	mac_of(4, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 4, NULL), MAC_LEARN_REFUSED);
	cr_assert_null(mac_table_lookup(&t, 0, m, 4));
	mac_of(2, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 5, NULL), MAC_LEARN_REFRESH,
		     "a known address is still refreshed");
	/* An address of another port does not move onto a full port. */
	mac_of(9, m);
	mac_table_learn(&t, 0, m, P2, 6, NULL);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 5000, NULL),
		     MAC_LEARN_REFUSED);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 5000), P2);
	cr_assert_eq(ev.n, 0, "nothing evicted");
	check_counts(&t);
	/* Entries 1 and 3 age out (2 was refreshed later): room again. */
	mac_table_expire(&t, 10004, NULL, NULL);
	cr_assert_eq(P1->mac_count, 1);
	mac_of(4, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 10004, NULL), MAC_LEARN_NEW);
	check_counts(&t);
	mac_table_fini(&t);
}

Test(mac_table, counts_follow_flush_and_expiry)
{
	struct mac_table t;
	uint8_t m[6];
	uint32_t i;

	mac_table_init(&t, 64, 1000, 0, 3);
	for (i = 1; i <= 30; i++) {
		mac_of(i, m);
		mac_table_learn(&t, 0, m, &ports[i % 3], i * 10, NULL);
	}
	check_counts(&t);
	mac_table_flush_port(&t, P2);
	cr_assert_eq(P2->mac_count, 0);
	check_counts(&t);
	mac_table_expire(&t, 1150, NULL, NULL);
	check_counts(&t);
	mac_table_flush_port(&t, NULL);
	cr_assert_eq(P1->mac_count + P3->mac_count, 0);
	mac_table_fini(&t);
}

Test(mac_table, move_is_held_down_then_allowed)
{
	struct port *old = NULL;
	struct mac_table t;
	uint8_t m[6];

	mac_of(9, m);
	mac_table_init(&t, 16, 300000, 3000, 5);
	mac_table_learn(&t, 0, m, P1, 10000, NULL);
	/* Seen on P2 while P1 still sends: flapping, stays on P1. */
	cr_assert_eq(mac_table_learn(&t, 0, m, P2, 11000, &old),
		     MAC_LEARN_HELD);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 11000), P1);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 12000, NULL),
		     MAC_LEARN_REFRESH);
	cr_assert_eq(mac_table_learn(&t, 0, m, P2, 14999, &old),
		     MAC_LEARN_HELD);
	/* Quiet on P1 for the hold-down: it moves, and the old port is told. */
	old = NULL;
	cr_assert_eq(mac_table_learn(&t, 0, m, P2, 15000, &old),
		     MAC_LEARN_MOVED);
	cr_assert_eq(old, P1);
	cr_assert_eq(mac_table_lookup(&t, 0, m, 15000), P2);
	mac_table_fini(&t);
}

Test(mac_table, zero_hold_down_moves_at_once)
{
	struct mac_table t;
	uint8_t m[6];

	mac_of(9, m);
	mac_table_init(&t, 16, 300000, 0, 5);
	mac_table_learn(&t, 0, m, P1, 10000, NULL);
	cr_assert_eq(mac_table_learn(&t, 0, m, P2, 10000, NULL),
		     MAC_LEARN_MOVED);
	mac_table_fini(&t);
}

Test(mac_table, flush_port_removes_only_that_port)
{
	struct mac_table t;
	uint8_t m[6];
	uint32_t i;

	mac_table_init(&t, 64, 300000, 3000, 77);
	for (i = 0; i < 60; i++) {
		mac_of(i, m);
		m[5] ^= 0x80; /* avoid the all-zero MAC for i = 0 */
		mac_table_learn(&t, 0, m, i % 2 ? P1 : P2, 0, NULL);
	}
	cr_assert_eq(mac_table_flush_port(&t, P1), 30);
	cr_assert_eq(t.count, 30);
	for (i = 0; i < 60; i++) {
		mac_of(i, m);
		m[5] ^= 0x80;
		cr_assert_eq(mac_table_lookup(&t, 0, m, 0), i % 2 ? NULL : P2,
			     "entry %u after flush", i);
	}
	mac_table_fini(&t);
}

/* The model's victim: the oldest entry of @only, or of the port with the
 * most entries (ties: the oldest of those ports' entries). */
static int model_victim(struct port *const *model, const uint64_t *seen,
			const uint32_t *cnt, int n, struct port *only)
{
	int i, best = -1;

	for (i = 0; i < n; i++) {
		uint32_t c, bc;

		if (!model[i] || (only && model[i] != only))
			continue;
		if (best < 0) {
			best = i;
			continue;
		}
		c = cnt[model[i] - P1];
		bc = cnt[model[best] - P1];
		if ((!only && c > bc) ||
		    ((only || c == bc) && seen[i] < seen[best]))
			best = i;
	}
	return best;
}

/* Random learn/expire/flush against a plain array model: probing and
 * backward-shift deletion must never lose or invent an entry, and shares,
 * eviction and per-port counts must match the model. */
Test(mac_table, matches_a_reference_model_under_churn)
{
	enum { N = 300, MAX = 200, SHARE = 80 };
	struct port *model[N] = { 0 };
	uint64_t seen[N] = { 0 };
	uint32_t cnt[3] = { 0 };
	struct mac_table t;
	uint32_t count = 0, i, step, evicted = 0;
	uint8_t m[6];
	int v;

	srand(12345);
	mac_table_init(&t, MAX, 1000, 0, 0xdeadbeef);
	t.evicted = on_evicted;
	t.port_share = SHARE; /* 3 x 80 > 200: both paths */
	t.sample = UINT32_MAX; /* the model evicts the exact oldest */
	for (step = 0; step < 20000; step++) {
		uint64_t now = step;
		uint32_t k = (uint32_t)rand() % N;
		struct port *p = &ports[rand() % 3];
		enum mac_learn r;

		mac_of(k + 1, m);
		r = mac_table_learn(&t, 0, m, p, now, NULL);
		if (model[k] != p) {
			while (cnt[p - P1] >= SHARE) {
				v = model_victim(model, seen, cnt, N, p);
				cnt[p - P1]--;
				model[v] = NULL;
				count--;
				evicted++;
			}
		}
		if (!model[k]) {
			cr_assert_eq(r, MAC_LEARN_NEW);
			if (count >= MAX) {
				v = model_victim(model, seen, cnt, N, NULL);
				cnt[model[v] - P1]--;
				model[v] = NULL;
				count--;
				evicted++;
			}
			count++;
		} else if (model[k] != p) {
			cr_assert_eq(r, MAC_LEARN_MOVED);
			cnt[model[k] - P1]--;
		} else {
			cr_assert_eq(r, MAC_LEARN_REFRESH);
			cnt[p - P1]--;
		}
		cnt[p - P1]++;
		model[k] = p;
		seen[k] = now;
		if (step % 97 == 0) {
			mac_table_expire(&t, now, NULL, NULL);
			for (i = 0; i < N; i++)
				if (model[i] && now - seen[i] >= 1000) {
					cnt[model[i] - P1]--;
					model[i] = NULL;
					count--;
				}
		}
		if (step % 1013 == 0) {
			mac_table_flush_port(&t, P1);
			for (i = 0; i < N; i++)
				if (model[i] == P1) {
					model[i] = NULL;
					count--;
				}
			cnt[0] = 0;
		}
		cr_assert_eq(t.count, count, "step %u", step);
		cr_assert_eq(ev.n, evicted, "step %u", step);
		for (i = 0; i < 3; i++)
			cr_assert_eq(ports[i].mac_count, cnt[i],
				     "step %u port %u", step, i);
	}
	cr_assert_gt(ev.full, 0, "the full-table path was exercised");
	cr_assert_gt(ev.n - ev.full, 0, "the share path was exercised");
	check_counts(&t);
	for (i = 0; i < N; i++) {
		mac_of(i + 1, m);
		cr_assert_eq(mac_table_lookup(&t, 0, m, 19999),
			     (model[i] && 19999 - seen[i] < 1000) ? model[i]
								  : NULL);
	}
	mac_table_fini(&t);
}
