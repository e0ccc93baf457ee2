// SPDX-License-Identifier: MIT
/*
 * impair.c - per-port egress impairment, decided without a clock
 *
 * DOC: Theory of Operation
 * A frame leaving through an impaired port passes, in this order (the
 * order of Linux netem): the MTU check, the loss model (Bernoulli, or
 * Gilbert-Elliott with a good and a bad state), duplication, corruption
 * of one bit of the copy, the delay with its jitter (or none, for a frame
 * picked to be reordered), and the rate shaper. The shaper is a virtual
 * link: each frame leaves when the link has finished sending the ones
 * before it (link_free_us), and a frame that would wait longer than
 * IMPAIR_RATE_BACKLOG_MS at the rate is dropped at the tail. Frames that
 * survive are copied into a min-heap on (due time, arrival), bounded in
 * frames and bytes; the daemon pops them when due and queues them on the
 * port as if they had just been switched.
 *
 * Randomness is splitmix64 from the seed the caller gives; every decision
 * draws from it in a fixed order, so the same seed and the same frames
 * give the same result. Time comes in as an argument (milliseconds).
 */
#include <stdlib.h>
#include <string.h>

#include "sockswitch/impair.h"

static uint64_t rng_next(struct impair *im)
{
	uint64_t z = (im->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* True with probability @ppm parts per million (no draw when 0). */
static bool chance(struct impair *im, uint32_t ppm)
{
	if (!ppm)
		return false;
	if (ppm >= IMPAIR_PPM)
		return true;
	return rng_next(im) % IMPAIR_PPM < ppm;
}

/* Uniform in [0, n). */
static uint64_t below(struct impair *im, uint64_t n)
{
	return n ? rng_next(im) % n : 0;
}

/**
 * impair_cfg_active() - do these settings change anything?
 * @cfg:	the settings
 *
 * Return: false if every setting is off (the port needs no state)
 */
bool impair_cfg_active(const struct impair_cfg *cfg)
{
	return cfg->loss || cfg->ge || cfg->delay_ms || cfg->jitter_ms ||
	       cfg->duplicate || cfg->corrupt || cfg->rate_bps || cfg->mtu;
}

/**
 * impair_init() - start impairing with @cfg, nothing held
 * @im:		the state
 * @cfg:	the settings (seed included)
 */
void impair_init(struct impair *im, const struct impair_cfg *cfg)
{
	memset(im, 0, sizeof(*im));
	impair_set(im, cfg);
}

/**
 * impair_set() - change the settings; frames held stay due as they were
 * @im:		the state
 * @cfg:	the new settings; the generator restarts from their seed
 */
void impair_set(struct impair *im, const struct impair_cfg *cfg)
{
	im->cfg = *cfg;
	im->rng = cfg->seed;
	im->ge_bad = false;
	im->link_free_us = 0;
}

/**
 * impair_fini() - free every frame held
 * @im:		the state
 */
void impair_fini(struct impair *im)
{
	uint32_t i;

	for (i = 0; i < im->n; i++)
		free(im->heap[i]);
	free(im->heap);
	im->heap = NULL;
	im->n = im->cap = 0;
	im->bytes = 0;
}

static bool ent_before(const struct impair_ent *a, const struct impair_ent *b)
{
	return a->due_ms < b->due_ms ||
	       (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void heap_up(struct impair *im, uint32_t i)
{
	struct impair_ent *e = im->heap[i];

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (!ent_before(e, im->heap[parent]))
			break;
		im->heap[i] = im->heap[parent];
		i = parent;
	}
	im->heap[i] = e;
}

static void heap_down(struct impair *im, uint32_t i)
{
	struct impair_ent *e = im->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= im->n)
			break;
		if (c + 1 < im->n && ent_before(im->heap[c + 1], im->heap[c]))
			c++;
		if (!ent_before(im->heap[c], e))
			break;
		im->heap[i] = im->heap[c];
		i = c;
	}
	im->heap[i] = e;
}

static enum impair_verdict hold(struct impair *im, const uint8_t *frame,
				size_t len, uint64_t due_ms, bool corrupt)
{
	struct impair_ent *e;

	if (im->n >= IMPAIR_QUEUE_FRAMES ||
	    im->bytes + len > IMPAIR_QUEUE_BYTES)
		return IMPAIR_FULL;
	if (im->n == im->cap) {
		uint32_t cap = im->cap ? im->cap * 2 : 64;
		struct impair_ent **h = realloc(im->heap, cap * sizeof(*h));

		if (!h)
			return IMPAIR_NOMEM;
		im->heap = h;
		im->cap = cap;
	}
	e = malloc(sizeof(*e) + len);
	if (!e)
		return IMPAIR_NOMEM;
	e->due_ms = due_ms;
	e->seq = im->seq++;
	e->len = (uint32_t)len;
	memcpy(e->data, frame, len);
	if (corrupt && len) {
		uint64_t bit = below(im, (uint64_t)len * 8);

		e->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		im->corrupted++;
	}
	im->heap[im->n++] = e;
	im->bytes += len;
	heap_up(im, im->n - 1);
	return IMPAIR_QUEUED;
}

static bool lost(struct impair *im)
{
	const struct impair_cfg *c = &im->cfg;

	if (!c->ge)
		return chance(im, c->loss);
	if (im->ge_bad ? chance(im, c->ge_r) : chance(im, c->ge_p))
		im->ge_bad = !im->ge_bad;
	return chance(im, im->ge_bad ? c->ge_loss_bad : c->ge_loss_good);
}

/* Sum of 12 uniforms less 6: close to a standard normal, within +-6. */
static int64_t normal_ms(struct impair *im, uint32_t sigma_ms)
{
	int64_t sum = 0;
	int i;

	for (i = 0; i < 12; i++)
		sum += (int64_t)below(im, 1000001);
	return (sum - 6000006) * (int64_t)sigma_ms / 1000000;
}

/* The delay of one frame, jitter included, never below zero. */
static uint64_t delay_of(struct impair *im)
{
	const struct impair_cfg *c = &im->cfg;
	int64_t d = c->delay_ms;

	if (c->reorder && c->delay_ms && chance(im, c->reorder)) {
		im->reordered++;
		return 0;
	}
	if (c->jitter_ms) {
		if (c->jitter_dist == IMPAIR_JITTER_NORMAL)
			d += normal_ms(im, c->jitter_ms);
		else
			d += (int64_t)below(im, 2ull * c->jitter_ms + 1) -
			     (int64_t)c->jitter_ms;
	}
	return d > 0 ? (uint64_t)d : 0;
}

/*
 * The virtual link: when a frame of @len bytes, ready at @ready_ms, has
 * left it. UINT64_MAX if it would wait more than the backlog bound.
 */
static uint64_t shape(struct impair *im, size_t len, uint64_t ready_ms)
{
	uint64_t rate = im->cfg.rate_bps, ready_us = ready_ms * 1000;
	uint64_t start =
		im->link_free_us > ready_us ? im->link_free_us : ready_us;
	uint64_t backlog = (start - ready_us) * rate / 8000000;
	uint64_t bound = rate / 8 * IMPAIR_RATE_BACKLOG_MS / 1000;

	if (bound < IMPAIR_RATE_BACKLOG_MIN)
		bound = IMPAIR_RATE_BACKLOG_MIN;
	if (backlog + len > bound)
		return UINT64_MAX;
	im->link_free_us =
		start + ((uint64_t)len * 8 * 1000000 + rate - 1) / rate;
	return (im->link_free_us + 999) / 1000;
}

/* Bytes after the Ethernet header and one 802.1Q tag: what an MTU bounds. */
static size_t payload_len(const uint8_t *frame, size_t len)
{
	size_t hdr = 14;

	if (len >= 18 && frame[12] == 0x81 && frame[13] == 0x00)
		hdr = 18;
	return len > hdr ? len - hdr : 0;
}

/**
 * impair_frame() - decide a frame's fate and hold what survives
 * @im:		the port's state
 * @frame:	the frame (copied if held)
 * @len:	its length
 * @now_ms:	the time
 * @held:	set to the number of copies held: 0, 1 or 2 (duplicated)
 *
 * Return: IMPAIR_QUEUED if at least one copy is held, else why not
 */
enum impair_verdict impair_frame(struct impair *im, const uint8_t *frame,
				 size_t len, uint64_t now_ms, unsigned *held)
{
	const struct impair_cfg *c = &im->cfg;
	unsigned copies = 1, i;
	enum impair_verdict v = IMPAIR_QUEUED;

	*held = 0;
	if (c->mtu && payload_len(frame, len) > c->mtu)
		return IMPAIR_TOO_BIG;
	if (lost(im))
		return IMPAIR_LOST;
	if (chance(im, c->duplicate)) {
		copies = 2;
		im->duplicated++;
	}
	for (i = 0; i < copies; i++) {
		bool corrupt = chance(im, c->corrupt);
		uint64_t due = now_ms + delay_of(im);

		if (c->rate_bps) {
			due = shape(im, len, due);
			if (due == UINT64_MAX) {
				v = IMPAIR_RATE;
				continue;
			}
		}
		v = hold(im, frame, len, due, corrupt);
		if (v != IMPAIR_QUEUED)
			break;
		(*held)++;
	}
	return *held ? IMPAIR_QUEUED : v;
}

/**
 * impair_next_due() - when the first held frame is due
 * @im:		the state
 *
 * Return: its time, or UINT64_MAX when nothing is held
 */
uint64_t impair_next_due(const struct impair *im)
{
	return im->n ? im->heap[0]->due_ms : UINT64_MAX;
}

/**
 * impair_pop() - take the first held frame if it is due
 * @im:		the state
 * @now_ms:	the time
 *
 * Return: the frame (the caller frees it), or NULL if none is due
 */
struct impair_ent *impair_pop(struct impair *im, uint64_t now_ms)
{
	struct impair_ent *e;

	if (!im->n || im->heap[0]->due_ms > now_ms)
		return NULL;
	e = im->heap[0];
	im->heap[0] = im->heap[--im->n];
	if (im->n)
		heap_down(im, 0);
	im->bytes -= e->len;
	return e;
}
