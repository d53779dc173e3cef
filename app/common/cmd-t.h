/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_CMD_T_H
#define ACES_APP_CMD_T_H

/**
 * @file
 * Commands from telemetry threads to the control lcore (cmd.c).
 */

#include <stdint.h>

#include "common/worker-t.h"

/* Commands from telemetry threads to the control lcore. */
enum aces_cmd_type {
	ACES_CMD_ASSIGN = 0,	/**< set an endpoint's replacement weight (pins it) */
	ACES_CMD_AUTO,		/**< hand a pinned endpoint back to the manager */
	ACES_CMD_START,		/**< start a transition */
	ACES_CMD_ABORT,		/**< abort the running transition */
	ACES_CMD_STATE_READY,	/**< a replicating endpoint's state is in place */
	ACES_CMD_BACKEND_LOAD,	/**< backend-reported CPU percent */
	ACES_CMD_RELOAD,	/**< re-read the configuration file */
	ACES_CMD_FLOW,		/**< one flow: show, hold, release, re-point (flow_op) */
	ACES_CMD_DRAIN,		/**< withdraw every VIP (weight 1) or announce again (0) */
	ACES_CMD_MAX
};

struct aces_cmd {
	enum aces_cmd_type type;
	uint32_t ep;		/**< endpoint (or backend for BACKEND_LOAD) */
	int weight;		/**< 0..100 (ASSIGN), percent (BACKEND_LOAD) */
	int result;		/**< 0 or -errno, set by control */
	uint32_t flow_op;	/**< FLOW: enum aces_flow_op */
	uint32_t client_ip;	/**< FLOW: the client's end, network order */
	uint16_t client_port;
	uint16_t backend;	/**< FLOW, re-point: the new backend */
	struct aces_flow_ack ack; /**< FLOW: the owner worker's answer */
	uint64_t cfg_gen;	/**< the configuration its indexes refer to (set by submit) */
	char msg[512];		/**< reason when result != 0 (what a reload did when 0) */
	int done;		/**< set by control (release) */
	int refs;		/**< 2 at submit: handler + control; last one frees */
};

#endif /* ACES_APP_CMD_T_H */
