/* SPDX-License-Identifier: MIT */
/*
 * impair.h - per-port egress impairment: loss, delay, jitter, reordering,
 * duplication, corruption, rate and MTU, decided without a clock
 *
 * The caller passes the time (milliseconds) with every call; randomness
 * comes from a generator seeded by the caller (impair_set()), so the same
 * seed and the same frames give the same decisions. Frames that survive
 * are copied into a bounded queue ordered by the time they are due
 * (a binary heap on due time, then arrival); impair_pop() hands them back
 * once due.
 */
#ifndef SOCKSWITCH_IMPAIR_H
#define SOCKSWITCH_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPAIR_PPM 1000000u /* probabilities: parts per million */
#define IMPAIR_QUEUE_FRAMES 8192 /* bound on frames held per port */
#define IMPAIR_QUEUE_BYTES (8u * 1024 * 1024) /* and on their bytes */
#define IMPAIR_RATE_BACKLOG_MS 100 /* shaper queue: this long at the rate */
#define IMPAIR_RATE_BACKLOG_MIN (64u * 1024) /* but at least this much */
#define IMPAIR_DELAY_MAX_MS 60000

/**
 * enum impair_jitter - distribution of the delay's variation
 * @IMPAIR_JITTER_UNIFORM:	uniform in [delay - jitter, delay + jitter]
 * @IMPAIR_JITTER_NORMAL:	normal, mean delay, standard deviation jitter
 */
enum impair_jitter {
	IMPAIR_JITTER_UNIFORM,
	IMPAIR_JITTER_NORMAL,
};

/**
 * struct impair_cfg - what to do to frames leaving one port
 * @loss:	Bernoulli loss probability (ppm), when not @ge
 * @ge:		Gilbert-Elliott loss instead: a good and a bad state
 * @ge_p:	probability of good -> bad per frame (ppm)
 * @ge_r:	probability of bad -> good per frame (ppm)
 * @ge_loss_bad: loss probability in the bad state (ppm)
 * @ge_loss_good: loss probability in the good state (ppm)
 * @delay_ms:	fixed delay
 * @jitter_ms:	variation of the delay (never below zero in total)
 * @jitter_dist: its distribution
 * @reorder:	probability a frame skips the delay (ppm); needs @delay_ms
 * @duplicate:	probability a frame is sent twice (ppm)
 * @corrupt:	probability one bit of a frame is flipped (ppm)
 * @rate_bps:	link rate in bit/s, or 0 for no shaping
 * @mtu:	frames whose payload (after the Ethernet header and one
 *		802.1Q tag, if any) is longer are dropped; 0: no limit
 * @seed:	seed of the decisions
 */
struct impair_cfg {
	uint32_t loss;
	bool ge;
	uint32_t ge_p;
	uint32_t ge_r;
	uint32_t ge_loss_bad;
	uint32_t ge_loss_good;
	uint32_t delay_ms;
	uint32_t jitter_ms;
	enum impair_jitter jitter_dist;
	uint32_t reorder;
	uint32_t duplicate;
	uint32_t corrupt;
	uint64_t rate_bps;
	uint32_t mtu;
	uint64_t seed;
};

/**
 * struct impair_ent - one frame held until it is due
 * @due_ms:	when it may leave
 * @seq:	arrival order, to keep frames due together in order
 * @len:	bytes in @data
 * @data:	the frame (a copy)
 */
struct impair_ent {
	uint64_t due_ms;
	uint64_t seq;
	uint32_t len;
	uint8_t data[];
};

/**
 * enum impair_verdict - what became of a frame given to impair_frame()
 * @IMPAIR_QUEUED:	held (once, or twice when duplicated)
 * @IMPAIR_LOST:	dropped by the loss model
 * @IMPAIR_TOO_BIG:	longer than the MTU
 * @IMPAIR_RATE:	the shaper's queue was full (tail drop)
 * @IMPAIR_FULL:	the hold queue was at its bound
 * @IMPAIR_NOMEM:	no memory for the copy
 */
enum impair_verdict {
	IMPAIR_QUEUED,
	IMPAIR_LOST,
	IMPAIR_TOO_BIG,
	IMPAIR_RATE,
	IMPAIR_FULL,
	IMPAIR_NOMEM,
};

/**
 * struct impair - impairment state of one port
 * @cfg:	the settings
 * @rng:	generator state (splitmix64), from @cfg.seed
 * @ge_bad:	Gilbert-Elliott model in the bad state
 * @link_free_us: when the shaped link has sent everything given to it
 * @heap:	held frames, a min-heap on (due_ms, seq)
 * @n:		frames in @heap
 * @cap:	slots allocated in @heap
 * @bytes:	bytes of the frames held
 * @seq:	next arrival number
 * @duplicated:	frames sent twice
 * @corrupted:	frames with a bit flipped
 * @reordered:	frames that skipped the delay
 */
struct impair {
	struct impair_cfg cfg;
	uint64_t rng;
	bool ge_bad;
	uint64_t link_free_us;
	struct impair_ent **heap;
	uint32_t n;
	uint32_t cap;
	size_t bytes;
	uint64_t seq;
	uint64_t duplicated;
	uint64_t corrupted;
	uint64_t reordered;
};

void impair_init(struct impair *im, const struct impair_cfg *cfg);
void impair_set(struct impair *im, const struct impair_cfg *cfg);
void impair_fini(struct impair *im);
bool impair_cfg_active(const struct impair_cfg *cfg);
enum impair_verdict impair_frame(struct impair *im, const uint8_t *frame,
				 size_t len, uint64_t now_ms, unsigned *held);
struct impair_ent *impair_pop(struct impair *im, uint64_t now_ms);
uint64_t impair_next_due(const struct impair *im);

#endif /* SOCKSWITCH_IMPAIR_H */
