// SPDX-License-Identifier: MIT
/*
 * stream_rx.c - reassembly of length-prefixed frames from a byte stream
 *
 * The transport reads into a large buffer, first putting back whatever was
 * left incomplete last time (stream_rx_restore()), then hands the whole
 * buffer to stream_rx_consume(), which delivers every complete frame in
 * place and keeps the incomplete tail for next time. A length prefix split
 * across reads is just a tail shorter than four bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/stream_rx.h"

#define CARRY_KEEP 4096 /* a carry buffer larger than this is freed */

/** stream_rx_init() - no partial data yet */
void stream_rx_init(struct stream_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

/** stream_rx_fini() - free the carry buffer */
void stream_rx_fini(struct stream_rx *rx)
{
	free(rx->carry);
	stream_rx_init(rx);
}

/**
 * stream_rx_restore() - put the incomplete tail of the last read back
 * @rx:		reassembly state
 * @buf:	start of the next read buffer, with room for at least
 *		STREAM_HDR_LEN + max_frame bytes
 *
 * Return: number of bytes written to @buf; read new data after them
 */
size_t stream_rx_restore(struct stream_rx *rx, uint8_t *buf)
{
	size_t n = rx->carry_len;

	if (n)
		memcpy(buf, rx->carry, n);
	rx->carry_len = 0;
	if (rx->carry_cap > CARRY_KEEP) {
		free(rx->carry);
		rx->carry = NULL;
		rx->carry_cap = 0;
	}
	return n;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int stream_rx_keep(struct stream_rx *rx, const uint8_t *p, size_t n)
{
	if (n > rx->carry_cap) {
		size_t cap = (n + 1023) & ~(size_t)1023;
		uint8_t *c = realloc(rx->carry, cap);

		if (!c)
			return -ENOMEM;
		rx->carry = c;
		rx->carry_cap = cap;
	}
	memcpy(rx->carry, p, n);
	rx->carry_len = n;
	return 0;
}

/**
 * stream_rx_consume() - deliver the complete frames in @buf
 * @rx:		reassembly state
 * @buf:	restored tail followed by newly read bytes
 * @len:	bytes in @buf
 * @max_frame:	largest length accepted
 * @cb:		called for each complete frame, in order
 * @opaque:	its first argument
 * @bad_len:	set to the offending length on -EPROTO
 *
 * Frames shorter than 14 bytes (including zero) are delivered too: the
 * stream stays in step, and the caller counts them as runts. A length
 * above @max_frame means the stream cannot be trusted any more. If @cb
 * sets @rx->stop, delivery stops after that frame and the rest is kept
 * for the next call.
 *
 * Return: 0 on success, -EPROTO on an oversize length (frames before it
 * were delivered), -ENOMEM if the tail could not be kept
 */
int stream_rx_consume(struct stream_rx *rx, const uint8_t *buf, size_t len,
		      size_t max_frame, stream_frame_cb cb, void *opaque,
		      uint32_t *bad_len)
{
	size_t off = 0;

	while (len - off >= STREAM_HDR_LEN) {
		uint32_t flen = get_be32(buf + off);

		if (flen > max_frame) {
			*bad_len = flen;
			rx->carry_len = 0;
			return -EPROTO;
		}
		if (len - off - STREAM_HDR_LEN < flen)
			break;
		cb(opaque, buf + off + STREAM_HDR_LEN, flen);
		off += STREAM_HDR_LEN + flen;
		if (rx->stop) {
			rx->stop = false;
			break;
		}
	}
	if (off == len)
		return 0;
	return stream_rx_keep(rx, buf + off, len - off);
}
