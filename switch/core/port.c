// SPDX-License-Identifier: MIT
/*
 * port.c - port counters: names of the drop reasons and totals
 */
#include <assert.h>

#include "sockswitch/port.h"

/* Names used in logs, stats dumps and (later) the control socket. */
const char *const port_drop_name[PORT_DROP__MAX] = {
	[PORT_DROP_RX_RUNT] = "rx_runt",
	[PORT_DROP_RX_OVERSIZE] = "rx_oversize",
	[PORT_DROP_RX_FRAMING] = "rx_framing",
	[PORT_DROP_RX_DISABLED] = "rx_disabled",
	[PORT_DROP_RX_LOCAL] = "rx_local",
	[PORT_DROP_RX_DEST_DOWN] = "rx_dest_down",
	[PORT_DROP_TX_QUEUE_FULL] = "tx_queue_full",
	[PORT_DROP_TX_CLOSED] = "tx_closed",
	[PORT_DROP_TX_NOMEM] = "tx_nomem",
	[PORT_DROP_RX_BACKLOG] = "rx_backlog",
	[PORT_DROP_TX_TOO_BIG] = "tx_too_big",
	[PORT_DROP_IMPAIR_LOSS] = "impair_loss",
	[PORT_DROP_IMPAIR_MTU] = "impair_mtu",
	[PORT_DROP_IMPAIR_RATE] = "impair_rate",
	[PORT_DROP_IMPAIR_QUEUE_FULL] = "impair_queue_full",
	[PORT_DROP_TX_BUDGET] = "tx_budget",
	[PORT_DROP_TX_MIRROR] = "tx_mirror",
};

static_assert(PORT_DROP__MAX == 17, "port_drop_name[] out of step with enum");

/**
 * port_rx_drops() - frames received on @p and dropped
 * @p:		the port
 *
 * Return: sum of the rx_* drop counters
 */
uint64_t port_rx_drops(const struct port *p)
{
	uint64_t n = 0;
	int i;

	for (i = PORT_DROP_RX_RUNT; i <= PORT_DROP_RX_DEST_DOWN; i++)
		n += p->st.drops[i];
	return n + p->st.drops[PORT_DROP_RX_BACKLOG];
}

/**
 * port_tx_drops() - frames meant for @p and dropped
 * @p:		the port
 *
 * Return: sum of the tx_* drop counters
 */
uint64_t port_tx_drops(const struct port *p)
{
	uint64_t n = 0;
	int i;

	for (i = PORT_DROP_TX_QUEUE_FULL; i <= PORT_DROP_TX_NOMEM; i++)
		n += p->st.drops[i];
	for (i = PORT_DROP_TX_TOO_BIG; i <= PORT_DROP_TX_MIRROR; i++)
		n += p->st.drops[i];
	return n;
}
