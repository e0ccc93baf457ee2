// SPDX-License-Identifier: MIT
/*
 * storm.c - storm control: a bound on the frames a port may have flooded
 *
 * DOC: Theory of Operation
 * A port with a limit (port->storm_fps, a listener's "broadcast_limit")
 * has a token bucket of one second's worth of frames. fwd_lookup() takes
 * one frame from it for every frame it is about to flood (broadcast,
 * multicast, unknown unicast; every frame in hub mode), after learning
 * the source and before any copy is made; an empty bucket drops the
 * frame (rx_storm). The bucket refills at storm_fps frames per second
 * from the now_ms of the port's frames, in thousandths of a frame so
 * that a limit below 1000 per second still refills every millisecond
 * without rounding frames away. Known unicast never takes from it, and
 * a port without a limit pays one test, on the flood path only.
 */
#include <errno.h>

#include "sockswitch/sw.h"

#define STORM_FRAME 1000 /* one frame, in the bucket's units */

/**
 * sw_port_set_storm_limit() - bound the frames a port may have flooded
 * @sw:		the switch (its last frame's time starts the bucket)
 * @p:		the port, attached or not
 * @fps:	frames per second, 1..SW_STORM_FPS_MAX, or 0: no limit
 *
 * A new limit starts with a full bucket (@fps frames, one second's
 * worth); the same limit again changes nothing, so a reload that keeps it
 * does not refill a port in the middle of a storm.
 *
 * Return: 0 on success, -EINVAL if @fps is over SW_STORM_FPS_MAX
 */
int sw_port_set_storm_limit(struct sw *sw, struct port *p, uint32_t fps)
{
	if (fps > SW_STORM_FPS_MAX)
		return -EINVAL;
	if (p->storm_fps == fps)
		return 0;
	p->storm_fps = fps;
	p->storm_credit = (uint64_t)fps * STORM_FRAME;
	p->storm_ms = sw->now_ms;
	return 0;
}

/**
 * port_storm_take() - one flooded frame from @p's bucket, if there is one
 * @p:		the port the frame came in on, with a limit (storm_fps)
 * @now_ms:	the frame's time
 *
 * Return: true if the frame may be flooded, false if it is over the limit
 */
bool port_storm_take(struct port *p, uint64_t now_ms)
{
	uint64_t full = (uint64_t)p->storm_fps * STORM_FRAME;

	if (now_ms > p->storm_ms) {
		uint64_t dt = now_ms - p->storm_ms;

		/* dt < 1000 keeps dt * storm_fps below 10^10 */
		if (dt >= 1000 || full - p->storm_credit <= dt * p->storm_fps)
			p->storm_credit = full;
		else
			p->storm_credit += dt * p->storm_fps;
		p->storm_ms = now_ms;
	}
	if (p->storm_credit < STORM_FRAME)
		return false;
	p->storm_credit -= STORM_FRAME;
	return true;
}
