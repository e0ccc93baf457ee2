// SPDX-License-Identifier: MIT
/*
 * test_impair.c - egress impairment decisions with a fixed seed and a
 * clock the test moves: loss rates, bursts, delay and jitter, reordering,
 * duplication, corruption, the rate shaper, the MTU, bounds, and the same
 * seed giving the same decisions
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/impair.h"

#define PCT(x) ((uint32_t)((x) * (IMPAIR_PPM / 100)))

static uint8_t frame[1514];

static void mkframe(size_t len, uint32_t tag)
{
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	frame[6] = 2;
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, &tag, sizeof(tag));
	(void)len;
}

/* Offer @n frames at @now_ms; returns the number held (copies). */
static unsigned offer(struct impair *im, unsigned n, size_t len,
		      uint64_t now_ms)
{
	unsigned i, held, total = 0;

	for (i = 0; i < n; i++) {
		mkframe(len, i);
		impair_frame(im, frame, len, now_ms, &held);
		total += held;
	}
	return total;
}

static unsigned drain(struct impair *im, uint64_t now_ms)
{
	struct impair_ent *e;
	unsigned n = 0;

	while ((e = impair_pop(im, now_ms))) {
		free(e);
		n++;
	}
	return n;
}

/* Offer @n frames with nothing delayed, taking each out as it is held
 * (more than the hold queue's bound); returns the copies held. */
static unsigned offer_drain(struct impair *im, unsigned n)
{
	unsigned i, total = 0;

	for (i = 0; i < n; i++) {
		total += offer(im, 1, 64, i);
		drain(im, i);
	}
	return total;
}

Test(impair, nothing_set_holds_every_frame_due_now)
{
	struct impair_cfg c = { .seed = 1 };
	struct impair im;

	cr_assert(!impair_cfg_active(&c));
	impair_init(&im, &c);
	cr_assert_eq(offer(&im, 100, 64, 5), 100);
	cr_assert_eq(impair_next_due(&im), 5);
	cr_assert_eq(drain(&im, 5), 100);
	cr_assert_eq(impair_next_due(&im), UINT64_MAX);
	impair_fini(&im);
}

Test(impair, bernoulli_loss_rate_within_tolerance)
{
	struct impair_cfg c = { .loss = PCT(10), .seed = 42 };
	struct impair im;
	unsigned held;

	impair_init(&im, &c);
	held = offer_drain(&im, 100000);
	/* 10 % of 100,000: sd 95, so +-600 is over 6 sigma. */
	cr_assert(held > 90000 - 600 && held < 90000 + 600, "held %u", held);
	impair_fini(&im);
}

Test(impair, gilbert_elliott_loses_in_bursts)
{
	struct impair_cfg c = { .ge = true,
				.ge_p = PCT(1),
				.ge_r = PCT(20),
				.ge_loss_bad = PCT(100),
				.seed = 7 };
	struct impair im;
	unsigned i, held, lost = 0, bursts = 0;
	bool prev_lost = false;

	impair_init(&im, &c);
	for (i = 0; i < 100000; i++) {
		mkframe(64, i);
		impair_frame(&im, frame, 64, 0, &held);
		if (!held) {
			lost++;
			if (!prev_lost)
				bursts++;
		}
		prev_lost = !held;
		drain(&im, 0);
	}
	/* Stationary bad share p/(p+r) = 1/21: about 4.8 % lost, in
	 * bursts of 1/r = 5 frames on average. */
	cr_assert(lost > 3800 && lost < 5800, "lost %u", lost);
	cr_assert((double)lost / bursts > 3.5, "mean burst %.2f",
		  (double)lost / bursts);
	impair_fini(&im);
}

Test(impair, fixed_delay)
{
	struct impair_cfg c = { .delay_ms = 20, .seed = 1 };
	struct impair im;

	impair_init(&im, &c);
	offer(&im, 10, 64, 100);
	cr_assert_eq(impair_next_due(&im), 120);
	cr_assert_eq(drain(&im, 119), 0);
	cr_assert_eq(drain(&im, 120), 10);
	impair_fini(&im);
}

Test(impair, uniform_jitter_stays_in_its_window_and_spreads)
{
	struct impair_cfg c = { .delay_ms = 50, .jitter_ms = 10, .seed = 3 };
	struct impair im;
	struct impair_ent *e;
	uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
	unsigned n = 0;

	impair_init(&im, &c);
	offer(&im, 4000, 64, 1000);
	while ((e = impair_pop(&im, UINT64_MAX - 1))) {
		lo = e->due_ms < lo ? e->due_ms : lo;
		hi = e->due_ms > hi ? e->due_ms : hi;
		sum += e->due_ms - 1000;
		n++;
		free(e);
	}
	cr_assert_eq(n, 4000);
	cr_assert_eq(lo, 1040);
	cr_assert_eq(hi, 1060);
	cr_assert(sum / n >= 49 && sum / n <= 51, "mean %llu",
		  (unsigned long long)(sum / n));
	impair_fini(&im);
}

Test(impair, normal_jitter_has_its_spread)
{
	struct impair_cfg c = { .delay_ms = 100,
				.jitter_ms = 10,
				.jitter_dist = IMPAIR_JITTER_NORMAL,
				.seed = 9 };
	struct impair im;
	struct impair_ent *e;
	double sum = 0, sq = 0, d;
	unsigned n = 0, within = 0;

	impair_init(&im, &c);
	offer(&im, 4000, 64, 0);
	while ((e = impair_pop(&im, UINT64_MAX - 1))) {
		d = (double)e->due_ms;
		sum += d;
		sq += d * d;
		within += d >= 90 && d <= 110;
		n++;
		free(e);
	}
	d = sq / n - (sum / n) * (sum / n);
	cr_assert(sum / n > 99 && sum / n < 101, "mean %.2f", sum / n);
	cr_assert(d > 80 && d < 120, "variance %.1f", d);
	/* About 68 % within one sigma (rounded to whole ms: a little more). */
	cr_assert(within > 2600 && within < 3100, "within %u", within);
	impair_fini(&im);
}

Test(impair, reorder_sends_some_frames_ahead_of_the_delayed)
{
	struct impair_cfg c = { .delay_ms = 30, .reorder = PCT(25), .seed = 5 };
	struct impair im;
	unsigned early;

	impair_init(&im, &c);
	offer(&im, 8000, 64, 0);
	early = drain(&im, 0);
	cr_assert(early > 1800 && early < 2200, "early %u", early);
	cr_assert_eq(im.reordered, early);
	cr_assert_eq(drain(&im, 30), 8000 - early);
	impair_fini(&im);
}

Test(impair, duplicate_holds_two_copies)
{
	struct impair_cfg c = { .duplicate = PCT(5), .seed = 11 };
	struct impair im;
	unsigned held;

	impair_init(&im, &c);
	held = offer_drain(&im, 20000);
	cr_assert_eq(held, 20000 + im.duplicated);
	cr_assert(im.duplicated > 800 && im.duplicated < 1200, "dup %llu",
		  (unsigned long long)im.duplicated);
	impair_fini(&im);
}

Test(impair, corrupt_flips_exactly_one_bit)
{
	struct impair_cfg c = { .corrupt = PCT(100), .seed = 13 };
	struct impair im;
	struct impair_ent *e;
	unsigned held, i, bits;

	impair_init(&im, &c);
	mkframe(200, 77);
	impair_frame(&im, frame, 200, 0, &held);
	cr_assert_eq(held, 1);
	e = impair_pop(&im, 0);
	cr_assert_not_null(e);
	for (i = 0, bits = 0; i < 200; i++)
		bits += (unsigned)__builtin_popcount(e->data[i] ^ frame[i]);
	cr_assert_eq(bits, 1);
	cr_assert_eq(im.corrupted, 1);
	free(e);
	impair_fini(&im);
}

Test(impair, rate_spaces_frames_and_drops_at_the_tail)
{
	/* 1 Mbit/s: a 1250-byte frame takes 10 ms; backlog bound 64 KiB. */
	struct impair_cfg c = { .rate_bps = 1000000, .seed = 1 };
	struct impair im;
	struct impair_ent *e;
	unsigned held, i, kept = 0;
	uint64_t prev = 0;

	impair_init(&im, &c);
	for (i = 0; i < 100; i++) {
		mkframe(1250, i);
		if (impair_frame(&im, frame, 1250, 0, &held) == IMPAIR_QUEUED)
			kept++;
	}
	/* 65536 / 1250 = 52 frames fit the backlog (plus the one sent). */
	cr_assert(kept >= 52 && kept <= 54, "kept %u", kept);
	for (i = 0; (e = impair_pop(&im, UINT64_MAX - 1)); i++) {
		cr_assert_eq(e->due_ms, 10ull * (i + 1), "frame %u due %llu", i,
			     (unsigned long long)e->due_ms);
		cr_assert(e->due_ms >= prev);
		prev = e->due_ms;
		free(e);
	}
	impair_fini(&im);
}

Test(impair, mtu_counts_the_payload)
{
	struct impair_cfg c = { .mtu = 1000, .seed = 1 };
	struct impair im;
	unsigned held;

	impair_init(&im, &c);
	mkframe(1014, 1);
	cr_assert_eq(impair_frame(&im, frame, 1014, 0, &held), IMPAIR_QUEUED);
	cr_assert_eq(impair_frame(&im, frame, 1015, 0, &held), IMPAIR_TOO_BIG);
	frame[12] = 0x81; /* tagged: four more bytes allowed */
	frame[13] = 0x00;
	cr_assert_eq(impair_frame(&im, frame, 1018, 0, &held), IMPAIR_QUEUED);
	impair_fini(&im);
}

Test(impair, hold_queue_is_bounded)
{
	struct impair_cfg c = { .delay_ms = 1000, .seed = 1 };
	struct impair im;
	unsigned held;

	impair_init(&im, &c);
	cr_assert_eq(offer(&im, IMPAIR_QUEUE_FRAMES + 10, 64, 0),
		     IMPAIR_QUEUE_FRAMES);
	mkframe(64, 0);
	cr_assert_eq(impair_frame(&im, frame, 64, 0, &held), IMPAIR_FULL);
	impair_fini(&im);
}

/* Which of @n frames survive, as a bitmap, with these settings. */
static void survivors(const struct impair_cfg *c, unsigned n, uint8_t *map)
{
	struct impair im;
	unsigned i, held;

	impair_init(&im, c);
	for (i = 0; i < n; i++) {
		mkframe(64, i);
		impair_frame(&im, frame, 64, i, &held);
		map[i] = (uint8_t)held;
		drain(&im, i);
	}
	impair_fini(&im);
}

Test(impair, same_seed_same_decisions)
{
	struct impair_cfg c = { .loss = PCT(30),
				.duplicate = PCT(10),
				.seed = 1234 };
	static uint8_t a[5000], b[5000], d[5000];

	survivors(&c, 5000, a);
	survivors(&c, 5000, b);
	cr_assert_arr_eq(a, b, sizeof(a));
	c.seed = 1235;
	survivors(&c, 5000, d);
	cr_assert(memcmp(a, d, sizeof(a)) != 0);
}
