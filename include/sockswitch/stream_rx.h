/* SPDX-License-Identifier: MIT */
/*
 * stream_rx.h - reassembly of length-prefixed frames from a byte stream
 *
 * QEMU's -netdev socket/stream, passt and socket_vmnet all send each frame
 * as a 32-bit big-endian length and the frame. Bytes arrive in any chunking;
 * this module splits a buffer into frames in place and carries an incomplete
 * tail over to the next read.
 */
#ifndef SOCKSWITCH_STREAM_RX_H
#define SOCKSWITCH_STREAM_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_HDR_LEN 4

/**
 * struct stream_rx - per-connection reassembly state
 * @carry:	bytes of an incomplete header or frame from the last read
 * @carry_len:	how many
 * @carry_cap:	allocated size of @carry
 * @stop:	set by the frame callback to stop delivering: the rest of
 *		the buffer, complete frames included, is carried over
 *		(backpressure: the port's input was throttled)
 */
struct stream_rx {
	uint8_t *carry;
	size_t carry_len;
	size_t carry_cap;
	bool stop;
};

/**
 * stream_frame_cb - called for each complete frame
 * @opaque:	caller's argument
 * @frame:	the frame (borrowed: valid until the buffer is reused)
 * @len:	its length, which may be below 14 (a runt; caller counts it)
 */
typedef void (*stream_frame_cb)(void *opaque, const uint8_t *frame, size_t len);

void stream_rx_init(struct stream_rx *rx);
void stream_rx_fini(struct stream_rx *rx);
size_t stream_rx_restore(struct stream_rx *rx, uint8_t *buf);
int stream_rx_consume(struct stream_rx *rx, const uint8_t *buf, size_t len,
		      size_t max_frame, stream_frame_cb cb, void *opaque,
		      uint32_t *bad_len);

#endif /* SOCKSWITCH_STREAM_RX_H */
