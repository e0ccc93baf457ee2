// SPDX-License-Identifier: MIT
/*
 * test_mactable.c - learning, ageing, bounds, hold-down, deletion
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/mactable.h"

static struct port *const P1 = (struct port *)0x1000;
static struct port *const P2 = (struct port *)0x2000;

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

Test(mac_table, stops_learning_when_full)
{
	struct mac_table t;
	uint8_t m[6];
	uint32_t i;

	mac_table_init(&t, 8, 300000, 3000, 99);
	for (i = 0; i < 8; i++) {
		mac_of(i + 1, m);
		cr_assert_eq(mac_table_learn(&t, 0, m, P1, 0, NULL),
			     MAC_LEARN_NEW);
	}
	mac_of(100, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 0, NULL), MAC_LEARN_FULL);
	cr_assert_null(mac_table_lookup(&t, 0, m, 0));
	cr_assert_eq(t.count, 8);
	/* Known addresses still refresh when full. */
	mac_of(3, m);
	cr_assert_eq(mac_table_learn(&t, 0, m, P1, 5, NULL), MAC_LEARN_REFRESH);
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

/* Random learn/expire/flush against a plain array model: probing and
 * backward-shift deletion must never lose or invent an entry. */
Test(mac_table, matches_a_reference_model_under_churn)
{
	enum { N = 300, MAX = 200 };
	struct port *model[N] = { 0 };
	uint64_t seen[N] = { 0 };
	struct mac_table t;
	uint32_t count = 0, i, step;
	uint8_t m[6];

	srand(12345);
	mac_table_init(&t, MAX, 1000, 0, 0xdeadbeef);
	for (step = 0; step < 20000; step++) {
		uint64_t now = step;
		uint32_t k = (uint32_t)rand() % N;
		struct port *p = rand() % 2 ? P1 : P2;
		enum mac_learn r;

		mac_of(k + 1, m);
		r = mac_table_learn(&t, 0, m, p, now, NULL);
		if (!model[k]) {
			cr_assert_eq(r, count < MAX ? MAC_LEARN_NEW
						    : MAC_LEARN_FULL);
			if (r == MAC_LEARN_NEW)
				count++;
		}
		if (r != MAC_LEARN_FULL) {
			model[k] = p;
			seen[k] = now;
		}
		if (step % 97 == 0) {
			mac_table_expire(&t, now, NULL, NULL);
			for (i = 0; i < N; i++)
				if (model[i] && now - seen[i] >= 1000) {
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
		}
		cr_assert_eq(t.count, count);
	}
	for (i = 0; i < N; i++) {
		mac_of(i + 1, m);
		cr_assert_eq(mac_table_lookup(&t, 0, m, 19999),
			     (model[i] && 19999 - seen[i] < 1000) ? model[i]
								  : NULL);
	}
	mac_table_fini(&t);
}
