// SPDX-License-Identifier: MIT
/*
 * impair_opts.c - parse, check and print impairment settings
 *
 * One setting is KEY=VALUE, as `sockswitchctl impair PORT SETTING...`
 * takes them and as a listener's "impair" object holds them (a number
 * there is a value without its unit: percent, milliseconds, bytes):
 *   loss=P%                   Bernoulli loss
 *   loss=ge:P%:R%[:B%[:G%]]   Gilbert-Elliott: P good->bad, R bad->good,
 *                             loss B in the bad state (100 %), G in the
 *                             good one (0 %)
 *   delay=Tms  jitter=Tms[:uniform|:normal]  reorder=P%  duplicate=P%
 *   corrupt=P%  rate=R(bit|kbit|mbit|gbit)  mtu=N  seed=N
 * Percentages take up to four decimals, times ms or s. The checks that
 * need more than one setting (reorder needs a delay) are in
 * impair_opts_check().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/impair_opts.h"

/* A decimal number with up to @dec decimals, scaled by 10^dec; the
 * rest of the text is left in *@end. */
static int decimal(const char *s, unsigned dec, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	unsigned d = 0;
	bool digits = false, point = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			if (point && d == dec)
				return -EINVAL;
			if (v > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			v = v * 10 + (uint64_t)(*s - '0');
			d += point;
			digits = true;
		} else if (*s == '.' && !point) {
			point = true;
		} else {
			break;
		}
	}
	if (!digits)
		return -EINVAL;
	for (; d < dec; d++) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v *= 10;
	}
	*out = v;
	*end = s;
	return 0;
}

/* P, P% (0-100, four decimals) into parts per million. */
static int percent(const char *key, const char *s, const char *stop,
		   uint32_t *ppm, char *err, size_t errlen)
{
	const char *end;
	uint64_t v;

	if (decimal(s, 4, &v, &end) < 0 || v > 1000000 ||
	    (*end == '%' ? end + 1 : end) != stop)
		return config_errf(
			err, errlen,
			"%s: `%.*s' is not a percentage from 0 to 100 (up to four decimals, e.g. 1%% or 0.5%%)",
			key, (int)(stop - s), s);
	*ppm = (uint32_t)v;
	return 0;
}

static int msecs(const char *key, const char *s, const char *stop, uint32_t *ms,
		 char *err, size_t errlen)
{
	const char *end;
	uint64_t v;
	size_t unit;

	if (decimal(s, 3, &v, &end) < 0)
		goto bad;
	unit = (size_t)(stop - end);
	if (unit == 1 && *end == 's')
		v *= 1000;
	else if (!(unit == 0 || (unit == 2 && !strncmp(end, "ms", 2))))
		goto bad;
	v /= 1000; /* back from the three decimals: whole milliseconds */
	if (v > IMPAIR_DELAY_MAX_MS)
		goto bad;
	*ms = (uint32_t)v;
	return 0;
bad:
	return config_errf(
		err, errlen,
		"%s: `%.*s' is not a time from 0 to %ums (e.g. 20ms, 1.5s)",
		key, (int)(stop - s), s, IMPAIR_DELAY_MAX_MS);
}

static int rate(const char *s, uint64_t *bps, char *err, size_t errlen)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = { { "bit", 1 },
		      { "kbit", 1000 },
		      { "mbit", 1000000 },
		      { "gbit", 1000000000 } };
	const char *end;
	uint64_t v;
	size_t i;

	if (decimal(s, 3, &v, &end) == 0)
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].unit) &&
			    v <= UINT64_MAX / units[i].mult) {
				v = v * units[i].mult / 1000;
				if (v < 8000 || v > 100000000000ull)
					break;
				*bps = v;
				return 0;
			}
	return config_errf(
		err, errlen,
		"rate: `%s' is not a rate from 8kbit to 100gbit with a unit (bit, kbit, mbit or gbit, e.g. 10mbit)",
		s);
}

static int unsigned_num(const char *key, const char *s, uint64_t min,
			uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	const char *end;
	uint64_t v;

	if (decimal(s, 0, &v, &end) < 0 || *end || v < min || v > max)
		return config_errf(
			err, errlen,
			"%s: `%s' is not a whole number from %" PRIu64
			" to %" PRIu64,
			key, s, min, max);
	*out = v;
	return 0;
}

/* loss=ge:P%:R%[:B%[:G%]] */
static int loss_ge(struct impair_cfg *c, const char *s, char *err,
		   size_t errlen)
{
	uint32_t *field[] = { &c->ge_p, &c->ge_r, &c->ge_loss_bad,
			      &c->ge_loss_good };
	const char *stop;
	int i, rc;

	c->ge_loss_bad = IMPAIR_PPM;
	c->ge_loss_good = 0;
	for (i = 0; i < 4 && *s; i++) {
		stop = strchr(s, ':');
		if (!stop)
			stop = s + strlen(s);
		rc = percent("loss=ge", s, stop, field[i], err, errlen);
		if (rc < 0)
			return rc;
		s = *stop ? stop + 1 : stop;
	}
	if (i < 2 || *s)
		return config_errf(
			err, errlen,
			"loss=ge: expected ge:P%%:R%%[:LOSS_BAD%%[:LOSS_GOOD%%]] (P: good to bad, R: bad to good, per frame)");
	c->ge = true;
	c->loss = 0;
	return 0;
}

static int jitter(struct impair_cfg *c, const char *v, char *err, size_t errlen)
{
	const char *colon = strchr(v, ':');
	const char *stop = colon ? colon : v + strlen(v);

	c->jitter_dist = IMPAIR_JITTER_UNIFORM;
	if (colon) {
		if (!strcmp(colon + 1, "normal"))
			c->jitter_dist = IMPAIR_JITTER_NORMAL;
		else if (strcmp(colon + 1, "uniform"))
			return config_errf(
				err, errlen,
				"jitter: `%s' has an unknown distribution (uniform or normal)",
				colon + 1);
	}
	return msecs("jitter", v, stop, &c->jitter_ms, err, errlen);
}

/**
 * impair_opts_set() - apply one KEY=VALUE setting to @c
 * @c:		settings being built
 * @setting:	the text
 * @err:	message on failure, naming the key
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL with @err set
 */
int impair_opts_set(struct impair_cfg *c, const char *setting, char *err,
		    size_t errlen)
{
	const char *eq = strchr(setting, '='), *v;
	size_t klen;
	uint64_t n = 0;
	int rc;

	if (!eq || eq == setting)
		return config_errf(
			err, errlen,
			"`%s': expected KEY=VALUE (loss, delay, jitter, reorder, duplicate, corrupt, rate, mtu or seed), or off",
			setting);
	klen = (size_t)(eq - setting);
	v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && !strncmp(setting, k, klen))
	if (KEY("loss")) {
		if (!strncmp(v, "ge:", 3))
			return loss_ge(c, v + 3, err, errlen);
		c->ge = false;
		return percent("loss", v, v + strlen(v), &c->loss, err, errlen);
	}
	if (KEY("delay"))
		return msecs("delay", v, v + strlen(v), &c->delay_ms, err,
			     errlen);
	if (KEY("jitter"))
		return jitter(c, v, err, errlen);
	if (KEY("reorder"))
		return percent("reorder", v, v + strlen(v), &c->reorder, err,
			       errlen);
	if (KEY("duplicate"))
		return percent("duplicate", v, v + strlen(v), &c->duplicate,
			       err, errlen);
	if (KEY("corrupt"))
		return percent("corrupt", v, v + strlen(v), &c->corrupt, err,
			       errlen);
	if (KEY("rate"))
		return rate(v, &c->rate_bps, err, errlen);
	if (KEY("mtu")) {
		rc = unsigned_num("mtu", v, 68, 65535, &n, err, errlen);
		if (rc == 0)
			c->mtu = (uint32_t)n;
		return rc;
	}
	if (KEY("seed"))
		return unsigned_num("seed", v, 0, UINT64_MAX, &c->seed, err,
				    errlen);
#undef KEY
	return config_errf(
		err, errlen,
		"unknown impairment `%.*s' (loss, delay, jitter, reorder, duplicate, corrupt, rate, mtu or seed)",
		(int)klen, setting);
}

/**
 * impair_opts_check() - rules between settings
 * @c:		the settings
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL with @err set
 */
int impair_opts_check(const struct impair_cfg *c, char *err, size_t errlen)
{
	if (c->reorder && !c->delay_ms)
		return config_errf(
			err, errlen,
			"reorder needs a delay: reordered frames are the ones sent without it (e.g. delay=10ms reorder=25%%)");
	return 0;
}

static void put(char *out, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *out, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

/* A percentage in ppm, shortest form: 1%, 0.5%, 0.0001%. */
static void put_pct(char *out, size_t len, size_t *off, const char *sep,
		    uint32_t ppm)
{
	char frac[8];
	int i;

	snprintf(frac, sizeof(frac), "%04u", ppm % 10000);
	for (i = 3; i >= 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	put(out, len, off, "%s%u%s%s%%", sep, ppm / 10000, frac[0] ? "." : "",
	    frac);
}

/**
 * impair_opts_format() - the settings as KEY=VALUE words, those that are on
 * @c:		the settings
 * @out:	text, "off" when nothing is set; the seed is always shown
 *		(with it, the same settings give the same decisions)
 * @len:	its size (IMPAIR_SETTINGS_LEN is always enough)
 */
void impair_opts_format(const struct impair_cfg *c, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	if (!impair_cfg_active(c)) {
		snprintf(out, len, "off");
		return;
	}
	if (c->ge) {
		put_pct(out, len, &off, "loss=ge:", c->ge_p);
		put_pct(out, len, &off, ":", c->ge_r);
		put_pct(out, len, &off, ":", c->ge_loss_bad);
		put_pct(out, len, &off, ":", c->ge_loss_good);
		put(out, len, &off, " ");
	} else if (c->loss) {
		put_pct(out, len, &off, "loss=", c->loss);
		put(out, len, &off, " ");
	}
	if (c->delay_ms)
		put(out, len, &off, "delay=%ums ", c->delay_ms);
	if (c->jitter_ms)
		put(out, len, &off, "jitter=%ums%s ", c->jitter_ms,
		    c->jitter_dist == IMPAIR_JITTER_NORMAL ? ":normal" : "");
	if (c->reorder) {
		put_pct(out, len, &off, "reorder=", c->reorder);
		put(out, len, &off, " ");
	}
	if (c->duplicate) {
		put_pct(out, len, &off, "duplicate=", c->duplicate);
		put(out, len, &off, " ");
	}
	if (c->corrupt) {
		put_pct(out, len, &off, "corrupt=", c->corrupt);
		put(out, len, &off, " ");
	}
	if (c->rate_bps % 1000)
		put(out, len, &off, "rate=%" PRIu64 "bit ", c->rate_bps);
	else if (c->rate_bps % 1000000)
		put(out, len, &off, "rate=%" PRIu64 "kbit ",
		    c->rate_bps / 1000);
	else if (c->rate_bps)
		put(out, len, &off, "rate=%" PRIu64 "mbit ",
		    c->rate_bps / 1000000);
	if (c->mtu)
		put(out, len, &off, "mtu=%u ", c->mtu);
	put(out, len, &off, "seed=%" PRIu64, c->seed);
}
