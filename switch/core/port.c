// SPDX-License-Identifier: MIT
/*
 * port.c - port counters (names of the drop reasons, totals) and port
 * names (what a user may call a port, finding a port by name)
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sockswitch/port.h"
#include "sockswitch/sw.h"

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
	[PORT_DROP_RX_MAC_LIMIT] = "rx_mac_limit",
	[PORT_DROP_RX_VLAN_TAGGED] = "rx_vlan_tagged",
	[PORT_DROP_RX_VLAN_UNTAGGED] = "rx_vlan_untagged",
	[PORT_DROP_RX_VLAN_NOT_ALLOWED] = "rx_vlan_not_allowed",
	[PORT_DROP_RX_VLAN_BAD] = "rx_vlan_bad",
	[PORT_DROP_RX_BAD_SRC] = "rx_bad_src",
	[PORT_DROP_RX_VLAN_NOMEM] = "rx_vlan_nomem",
	[PORT_DROP_TX_MIRROR] = "tx_mirror",
	[PORT_DROP_RX_ENCAP_BAD] = "rx_encap_bad",
	[PORT_DROP_RX_ENCAP_VNI] = "rx_encap_vni",
	[PORT_DROP_RX_STP] = "rx_stp",
	[PORT_DROP_RX_STORM] = "rx_storm",
	[PORT_DROP_RX_DESC_BAD] = "rx_desc_bad",
};

static_assert(PORT_DROP__MAX == 29, "port_drop_name[] out of step with enum");

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
	for (i = PORT_DROP_RX_VLAN_TAGGED; i <= PORT_DROP_RX_VLAN_NOMEM; i++)
		n += p->st.drops[i];
	return n + p->st.drops[PORT_DROP_RX_BACKLOG] +
	       p->st.drops[PORT_DROP_RX_MAC_LIMIT] +
	       p->st.drops[PORT_DROP_RX_ENCAP_BAD] +
	       p->st.drops[PORT_DROP_RX_ENCAP_VNI] +
	       p->st.drops[PORT_DROP_RX_STP] + p->st.drops[PORT_DROP_RX_STORM];
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
	for (i = PORT_DROP_TX_TOO_BIG; i <= PORT_DROP_TX_BUDGET; i++)
		n += p->st.drops[i];
	return n + p->st.drops[PORT_DROP_TX_MIRROR];
}

/* Letters and digits (ASCII, whatever the locale), and a few marks that
 * need no quoting in a shell, a JSON string or a metric label. */
static bool port_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-_.:@+=", c));
}

/**
 * port_name_check() - may a port be called @name
 * @name:	the name
 * @id:		the port's id: its own default name "p<id>" is allowed
 *
 * A name is 1 to PORT_NAME_LEN - 1 bytes of letters, digits and
 * "-_.:@+=", starting with a letter, a digit or "_"; not a number (a
 * PORT argument that is a number is a port id), not "all" (a capture of
 * the whole switch) and not another port's default name ("p" and digits).
 *
 * Return: NULL if it may, else why not (a constant string)
 */
const char *port_name_check(const char *name, uint32_t id)
{
	char own[PORT_NAME_LEN];
	size_t i, len = strlen(name);
	bool digits = true;

	if (!len)
		return "a port name must not be empty";
	if (len >= PORT_NAME_LEN)
		return "a port name is at most 31 bytes";
	if (!port_name_char(name[0]) || strchr("-.:@+=", name[0]))
		return "a port name starts with a letter, a digit or _";
	for (i = 0; i < len; i++) {
		if (!port_name_char(name[i]))
			return "a port name holds only letters, digits and - _ . : @ + =";
		digits = digits && name[i] >= '0' && name[i] <= '9';
	}
	if (digits)
		return "a port name must not be a number (numbers are port ids)";
	if (!strcmp(name, "all"))
		return "`all' is reserved (a capture of the whole switch)";
	snprintf(own, sizeof(own), "p%u", id);
	if (name[0] == 'p' && len > 1 &&
	    strspn(name + 1, "0123456789") == len - 1 && strcmp(name, own))
		return "names p<number> are the ports' default names";
	return NULL;
}

/**
 * port_name_from() - a port name made of free text (a client's description):
 *		      each run of other characters becomes one "_"
 * @out:	the name
 * @text:	the text, NUL-terminated
 *
 * Return: true if @out is not empty (it may still fail port_name_check())
 */
bool port_name_from(char out[static PORT_NAME_LEN], const char *text)
{
	size_t n = 0;

	for (; *text && n < PORT_NAME_LEN - 1; text++) {
		if (port_name_char(*text))
			out[n++] = *text;
		else if (n && out[n - 1] != '_')
			out[n++] = '_';
	}
	while (n && out[n - 1] == '_')
		n--;
	out[n] = '\0';
	return n > 0;
}

/**
 * sw_port_by_name() - the live port called @name
 * @sw:		the switch
 * @name:	the name
 *
 * Return: the port, or NULL
 */
struct port *sw_port_by_name(const struct sw *sw, const char *name)
{
	struct port *p;
	uint32_t i;

	port_foreach(sw, p, i)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* @s is decimal digits without a leading zero, at most SW_MAX_PORTS_LIMIT:
 * store the number in *@id. */
static bool port_number(const char *s, uint32_t *id)
{
	uint32_t n = 0;

	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint32_t)(*s - '0');
		if (n > SW_MAX_PORTS_LIMIT)
			return false;
	}
	*id = n;
	return !*s;
}

/**
 * sw_port_find() - the live port a user's text names
 * @sw:		the switch
 * @text:	a port number ("3"), a name ("web"), or "pN" (port N, also
 *		after it was given another name)
 *
 * A name wins over "pN": port_name_check() lets a port take "pN" only
 * for its own N.
 *
 * Return: the port, or NULL
 */
struct port *sw_port_find(const struct sw *sw, const char *text)
{
	struct port *p;
	uint32_t id;

	if (port_number(text, &id))
		return sw_port_by_id(sw, id);
	p = sw_port_by_name(sw, text);
	if (!p && text[0] == 'p' && port_number(text + 1, &id))
		p = sw_port_by_id(sw, id);
	return p;
}
