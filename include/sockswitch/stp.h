/* SPDX-License-Identifier: MIT */
/*
 * stp.h - 802.1D spanning tree in the forwarding core
 *
 * The core runs IEEE 802.1D-1998 STP (as the Linux bridge and Open
 * vSwitch's lib/stp.c do): config and TCN BPDUs, root election, root /
 * designated / blocked ports, the blocking -> listening -> learning ->
 * forwarding states and topology change. Time comes in as an argument
 * (sw_stp_tick()), frames go out only into transmit queues, and what
 * changes is reported through sw->event_cb.
 */
#ifndef SOCKSWITCH_STP_H
#define SOCKSWITCH_STP_H

#include <stdbool.h>
#include <stdint.h>

#define STP_PRIORITY_DEFAULT 32768
#define STP_HELLO_DEFAULT_S 2
#define STP_MAX_AGE_DEFAULT_S 20
#define STP_FWD_DELAY_DEFAULT_S 15
#define STP_PATH_COST_DEFAULT 100 /* Linux's for a port of unknown speed */
#define STP_PORT_PRIORITY_DEFAULT 128
#define STP_TICK_MS 100 /* how often the daemon calls sw_stp_tick() */

struct sw;
struct port;

/**
 * enum stp_state - a port's 802.1D state
 */
enum stp_state {
	STP_DISABLED,
	STP_BLOCKING,
	STP_LISTENING,
	STP_LEARNING,
	STP_FORWARDING,
};

/**
 * enum stp_role - what the tree makes of a port
 */
enum stp_role {
	STP_ROLE_DISABLED,
	STP_ROLE_ROOT,
	STP_ROLE_DESIGNATED,
	STP_ROLE_BLOCKED,
};

/**
 * struct stp_cfg - the bridge's settings (the config's "stp" object)
 * @priority:	bridge priority, 0-61440 in steps of 4096 (802.1D-2004) or
 *		any 0-65535 (802.1D-1998); default 32768
 * @hello_s:	hello time, 1-10 s
 * @max_age_s:	max age, 6-40 s
 * @fwd_delay_s: forward delay, 4-30 s
 */
struct stp_cfg {
	uint32_t priority;
	uint32_t hello_s;
	uint32_t max_age_s;
	uint32_t fwd_delay_s;
};

/**
 * struct stp_port - a port's spanning-tree state (port->stp)
 * @state:	802.1D state
 * @edge:	edge port now: forwards at once; lost when a BPDU arrives
 * @edge_cfg:	edge when it (re)starts: ports accepted on listeners
 * @port_id:	port identifier (priority in the top 4 bits, number below)
 * @path_cost:	cost of reaching the root through this port
 * @droot:	designated root, as this port last heard or sent it
 * @dcost:	designated cost
 * @dbridge:	designated bridge
 * @dport:	designated port
 * @tc_ack:	a TCN was received: the next config BPDU acknowledges it
 * @config_pending: a config BPDU waits for the hold timer
 * @msg_age_ms:	message age timer: time the received information has
 *		been held (it expires at max age), or -1 when stopped
 * @msg_age_rx_ms: the message age the information came with
 * @fwd_delay_ms: forward delay timer remaining, -1 when stopped
 * @hold_ms:	hold timer remaining, -1 when stopped
 * @rx_bpdu:	config BPDUs received and taken
 * @rx_tcn:	TCN BPDUs received and taken
 * @rx_bad:	BPDUs refused: short, wrong LLC or protocol, unknown type,
 *		timers outside the 802.1D ranges, this bridge's id through a
 *		port it does not have
 * @tx_bpdu:	config BPDUs sent
 * @tx_tcn:	TCN BPDUs sent
 * @transitions: state changes into forwarding
 */
struct stp_port {
	enum stp_state state;
	bool edge;
	bool edge_cfg;
	uint16_t port_id;
	uint32_t path_cost;
	uint64_t droot;
	uint32_t dcost;
	uint64_t dbridge;
	uint16_t dport;
	bool tc_ack;
	bool config_pending;
	int64_t msg_age_ms;
	int64_t msg_age_rx_ms;
	int64_t fwd_delay_ms;
	int64_t hold_ms;
	uint64_t rx_bpdu, rx_tcn, rx_bad, tx_bpdu, tx_tcn, transitions;
};

/**
 * struct stp - the bridge's spanning-tree state (sw->stp)
 * @cfg:	settings
 * @mac:	the bridge's address (BPDUs' source, bridge id's low 48 bits)
 * @bridge_id:	priority << 48 | mac
 * @root_id:	the root as this bridge sees it
 * @root_cost:	path cost to it
 * @root_port:	port towards it, NULL on the root
 * @max_age_ms: max age in use (the root's)
 * @hello_ms:	hello time in use
 * @fwd_delay_ms: forward delay in use
 * @tc_detected: a topology change was seen and not yet acknowledged
 * @tc:		topology change flag: addresses age in forward delay
 * @hello_timer_ms: hello timer remaining, -1 when stopped
 * @tcn_timer_ms: TCN timer remaining, -1 when stopped
 * @tc_timer_ms: topology change timer remaining, -1 when stopped
 * @last_ms:	time of the last sw_stp_tick()
 * @tc_count:	topology changes detected
 * @tc_last_ms:	when the last one was
 */
struct stp {
	struct stp_cfg cfg;
	uint8_t mac[6];
	uint64_t bridge_id;
	uint64_t root_id;
	uint32_t root_cost;
	struct port *root_port;
	int64_t max_age_ms, hello_ms, fwd_delay_ms;
	bool tc_detected, tc;
	int64_t hello_timer_ms, tcn_timer_ms, tc_timer_ms;
	uint64_t last_ms;
	uint64_t tc_count;
	uint64_t tc_last_ms;
};

void stp_cfg_default(struct stp_cfg *c);
int stp_cfg_check(const struct stp_cfg *c, const char **why);
const char *stp_state_name(enum stp_state s);
const char *stp_role_name(enum stp_role r);
enum stp_role stp_port_role(const struct sw *sw, const struct port *p);
void stp_id_format(uint64_t id, char *buf, unsigned long len);

int sw_stp_enable(struct sw *sw, const struct stp_cfg *cfg,
		  const uint8_t mac[6], uint64_t now_ms);
void sw_stp_disable(struct sw *sw);
void sw_stp_tick(struct sw *sw, uint64_t now_ms);
void sw_port_set_edge(struct sw *sw, struct port *p, bool edge);
void sw_port_set_bpdu_guard(struct sw *sw, struct port *p, bool guard);

/* The bridge group address, 01:80:C2:00:00:00, that BPDUs are sent to. */
static inline bool stp_is_bpdu_dst(const uint8_t *frame)
{
	return frame[0] == 0x01 && frame[1] == 0x80 && frame[2] == 0xc2 &&
	       frame[3] == 0 && frame[4] == 0 && frame[5] == 0;
}

#endif /* SOCKSWITCH_STP_H */
