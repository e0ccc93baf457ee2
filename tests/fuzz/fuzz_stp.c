// SPDX-License-Identifier: MIT
/*
 * fuzz_stp.c - spanning tree fed BPDUs and time from a script
 *
 * A switch with STP on (hello 1 s, max age 6 s, forward delay 4 s) and
 * four mock ports (two edge, two not) replays the input as a script of
 * steps, one opcode byte each:
 *   0 PORT LEN BYTES...	a frame to the bridge group address on port
 *				PORT&3: the LLC header 42 42 03 and the
 *				BPDU bytes given (at most 64), padded to 60
 *   1 PORT LEN BYTES...	the same without the LLC header (raw after
 *				the destination, source and length field)
 *   2 MS			the clock moves MS x 100 ms, ticking
 *   3 PORT			port PORT&3 loses or regains its carrier
 *   4 PORT			port PORT&3 is disabled or enabled
 *   5 PORT			port PORT&3's edge setting flips
 * After every step: the root port (if any) is an operational port that is
 * not designated, the root is never worse than this bridge, a port is up
 * exactly when it is operational and forwarding, timers stay within max
 * age + forward delay, and every port's queue is flushed (BPDUs sent are
 * well formed: checked by the mock). A malformed BPDU must change nothing
 * it should not; the sanitizers catch any read outside the frame.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/stp.h"
#include "sockswitch/sw.h"

#include "fuzz.h"

#define NP 4

static struct sw sw;
static struct port ports[NP];
static bool made;

static int mock_flush(struct port *p)
{
	struct iovec iov[16];
	size_t n, i, total;

	while (!txq_empty(&p->txq)) {
		n = txq_iov(&p->txq, iov, 16, NULL, false);
		for (i = 0, total = 0; i < n; i++) {
			const uint8_t *f = iov[i].iov_base;

			total += iov[i].iov_len;
			/* What the switch sends itself is a well-formed
			 * BPDU: group address, LLC, protocol 0. */
			FUZZ_ASSERT(iov[i].iov_len == 60 &&
					    stp_is_bpdu_dst(f) &&
					    f[14] == 0x42 && f[15] == 0x42 &&
					    f[16] == 0x03 && !f[17] && !f[18],
				    "a bad BPDU was sent");
		}
		txq_advance(&p->txq, total, false, &p->st.tx_bytes);
	}
	return 0;
}

static void mock_close(struct port *p)
{
	(void)p;
}

static const struct port_ops mock_ops = {
	.name = "mock",
	.flush = mock_flush,
	.close = mock_close,
};

FUZZ_NO_COVERAGE static void check(void)
{
	const struct stp *s = sw.stp;
	unsigned i;

	FUZZ_ASSERT(s, "STP went off");
	if (s->root_port) {
		const struct stp_port *rp = s->root_port->stp;

		FUZZ_ASSERT(rp->state != STP_DISABLED, "disabled root port");
		FUZZ_ASSERT(s->root_id < s->bridge_id,
			    "root port to a worse root");
	} else {
		FUZZ_ASSERT(s->root_id == s->bridge_id,
			    "no root port, not root");
	}
	FUZZ_ASSERT(s->max_age_ms >= 6000 - 4 && s->max_age_ms <= 40004,
		    "max age %lld", (long long)s->max_age_ms);
	FUZZ_ASSERT(s->fwd_delay_ms >= 4000 - 4 && s->fwd_delay_ms <= 30004,
		    "forward delay %lld", (long long)s->fwd_delay_ms);
	for (i = 0; i < NP; i++) {
		const struct port *p = &ports[i];
		bool oper = p->enabled && !p->closing && !p->no_carrier;

		FUZZ_ASSERT(p->up == (oper && p->stp->state == STP_FORWARDING),
			    "port %u up %d, state %d", i, p->up, p->stp->state);
		FUZZ_ASSERT(oper == (p->stp->state != STP_DISABLED),
			    "port %u oper %d, state %d", i, oper,
			    p->stp->state);
		FUZZ_ASSERT(p->stp->fwd_delay_ms <= 30004, "fwd delay timer");
	}
}

static void fresh(void)
{
	struct sw_params prm;
	struct stp_cfg c;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	unsigned i;

	if (made) {
		sw_stp_disable(&sw);
		for (i = 0; i < NP; i++)
			sw_port_remove(&sw, &ports[i]);
		sw_fini(&sw);
	}
	made = true;
	sw_params_default(&prm);
	prm.mac_table_size = 64;
	prm.max_ports = 8;
	if (sw_init(&sw, &prm) < 0)
		abort();
	memset(ports, 0, sizeof(ports));
	for (i = 0; i < NP; i++) {
		ports[i].stp_nonedge = i >= 2;
		if (sw_port_add(&sw, &ports[i], &mock_ops, 0) < 0)
			abort();
	}
	stp_cfg_default(&c);
	c.hello_s = 1;
	c.max_age_s = 6;
	c.fwd_delay_s = 4;
	if (sw_stp_enable(&sw, &c, mac, 0) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 0;
	size_t at = 0;

	fresh();
	while (at < size) {
		uint8_t op = data[at++] % 6, a = at < size ? data[at++] : 0;
		struct port *p = &ports[a & 3];
		uint8_t f[14 + 3 + 64 + 60];
		size_t n, len;

		switch (op) {
		case 0:
		case 1:
			n = at < size ? data[at++] % 65 : 0;
			if (n > size - at)
				n = size - at;
			memset(f, 0, sizeof(f));
			memcpy(f,
			       "\x01\x80\xc2\x00\x00\x00\x02\x00\x00\x00\x00\x07",
			       12);
			len = 14;
			if (op == 0) {
				memcpy(f + 14, "\x42\x42\x03", 3);
				len += 3;
			}
			f[12] = 0;
			f[13] = (uint8_t)(len - 14 + n);
			memcpy(f + len, data + at, n);
			at += n;
			len += n;
			if (len < 60)
				len = 60;
			fwd_input(&sw, p, f, len, now);
			break;
		case 2:
			now += (uint64_t)a * 100;
			sw_stp_tick(&sw, now);
			break;
		case 3:
			sw_port_set_carrier(&sw, p, p->no_carrier, "fuzz");
			break;
		case 4:
			sw_port_set_enabled(&sw, p, !p->enabled);
			break;
		default:
			sw_port_set_edge(&sw, p, p->stp_nonedge);
			break;
		}
		sw_flush(&sw);
		check();
	}
	return 0;
}
