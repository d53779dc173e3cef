/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands: telemetry threads hand every change to the control lcore through a
 * multi-producer ring and wait (bounded) for its answer; the control lcore carries
 * them out between its other jobs, so it stays the only writer of the state they
 * change. A command and its handler share one allocation, freed by the last of the
 * two to let go (a handler that timed out leaves it to the control lcore).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>

#include "common/aces.h"
#include "datapath/datapath.h"
#include "manager/manager.h"
#include "routing/routing.h"
#include "lifecycle/lifecycle.h"
#include "control/control.h"

/*
 * One flow, for a move: the worker that owns it carries the command out between two
 * bursts and answers in its flow_ack; waited for here (bounded, sleeping: the worker
 * may share this CPU).
 */
static int
flow_cmd(struct aces_cmd *cmd)
{
	static uint32_t seq;
	const struct aces_config *c = aces.cfg;
	struct aces_worker *w;
	struct aces_wmsg m = { .type = ACES_WMSG_FLOW, .ep = cmd->ep, .op = cmd->flow_op,
			       .client_ip = cmd->client_ip, .client_port = cmd->client_port,
			       .backend = cmd->backend, .seq = ++seq };
	int i;

	if (cmd->ep >= aces.n_ep_live || (cmd->flow_op == ACES_FLOW_OP_REPOINT &&
					  cmd->backend >= aces.n_be_live)) {
		snprintf(cmd->msg, sizeof(cmd->msg), "no such endpoint or backend");
		return -EINVAL;
	}
	w = &aces.workers[aces_flow_owner_of(cmd->client_ip, cmd->client_port,
					     c->endpoints[cmd->ep].proto)];
	if (rte_ring_mp_enqueue_elem(w->msg_ring, &m, sizeof(m)) != 0) {
		snprintf(cmd->msg, sizeof(cmd->msg), "the flow's worker has too many commands queued");
		return -EBUSY;
	}
	for (i = 0; i < 5000; i++) {	/* 500 ms */
		if (__atomic_load_n(&w->flow_ack.seq, __ATOMIC_ACQUIRE) == m.seq)
			break;
		usleep(100);
	}
	if (__atomic_load_n(&w->flow_ack.seq, __ATOMIC_ACQUIRE) != m.seq) {
		snprintf(cmd->msg, sizeof(cmd->msg), "worker %u did not answer within 500 ms",
			 w->idx);
		return -ETIMEDOUT;
	}
	cmd->ack = w->flow_ack;
	switch (cmd->ack.rc) {
	case 0:
		return 0;
	case -ENOENT:
		snprintf(cmd->msg, sizeof(cmd->msg), "no such flow");
		break;
	case -EALREADY:
		snprintf(cmd->msg, sizeof(cmd->msg), "the flow is held already");
		break;
	case -EEXIST:
		snprintf(cmd->msg, sizeof(cmd->msg), "another flow of this client already has that "
			 "backend's end: the replies could not be told apart");
		break;
	default:
		snprintf(cmd->msg, sizeof(cmd->msg), "%s", cmd->flow_op == ACES_FLOW_OP_RELEASE ?
			 "the flow is not held" : strerror(-cmd->ack.rc));
		break;
	}
	return cmd->ack.rc;
}

void
aces_cmd_run(struct aces_cmd *cmd)
{
	if (cmd->type == ACES_CMD_RELOAD) {
		cmd->result = aces_reload("telemetry command", cmd->msg, sizeof(cmd->msg));
	} else if (cmd->cfg_gen != aces_cp.cfg_gen) {
		/* its endpoint or backend index is of the configuration before a reload */
		cmd->result = -EAGAIN;
		snprintf(cmd->msg, sizeof(cmd->msg), "the configuration was reloaded meanwhile: "
			 "nothing done, ask again");
	} else if (cmd->type == ACES_CMD_FLOW) {
		cmd->result = flow_cmd(cmd);
	} else if (cmd->type == ACES_CMD_DRAIN) {
		cmd->result = aces_routing_drain(cmd->weight, cmd->msg, sizeof(cmd->msg));
	} else {
		cmd->result = aces_epm_cmd(cmd, aces_now_ms());
	}
	aces_assign_sync();	/* its answer comes with its table in place */
	aces_snap_publish(aces_now_ms());	/* and with what telemetry shows */
	aces_cp.ctl[cmd->result == 0 ? ACES_CTL_COMMANDS : ACES_CTL_COMMANDS_FAILED]++;
	__atomic_store_n(&cmd->done, 1, __ATOMIC_RELEASE);
	if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(cmd);
}

int
aces_cmd_submit(struct aces_cmd *cmd, char *err, size_t errlen)
{
	int i, rc, held = aces_tel_read_held;
	int limit = cmd->type == ACES_CMD_RELOAD ? 10 * ACES_CMD_TIMEOUT_MS : ACES_CMD_TIMEOUT_MS;

	cmd->refs += 2;		/* handler + control (a caller may hold one more: read after) */
	cmd->done = 0;
	cmd->cfg_gen = __atomic_load_n(&aces_cp.cfg_gen, __ATOMIC_ACQUIRE);
	if (rte_ring_mp_enqueue(aces.cmd_ring, cmd) != 0) {
		snprintf(err, errlen, "control plane busy: command queue full");
		cmd->refs -= 2;		/* never queued: only the caller's own may be left */
		if (cmd->refs == 0)
			free(cmd);
		return -EBUSY;
	}
	/* a reload takes the configuration for writing: never wait holding it for reading */
	if (held)
		pthread_rwlock_unlock(&aces_cfg_lock);
	for (i = 0; i < limit; i++) {
		if (__atomic_load_n(&cmd->done, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	if (held)
		pthread_rwlock_rdlock(&aces_cfg_lock);
	if (!__atomic_load_n(&cmd->done, __ATOMIC_ACQUIRE)) {
		snprintf(err, errlen, "control plane did not answer within %d ms", limit);
		rc = -ETIMEDOUT;
	} else {
		rc = cmd->result;
		if (rc != 0)
			snprintf(err, errlen, "%s", cmd->msg);
	}
	if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(cmd);
	return rc;
}

/* At shutdown: commands still queued are answered as refused, so no handler waits in vain. */
void
aces_cmd_fini(void)
{
	void *obj;

	while (aces.cmd_ring != NULL && rte_ring_sc_dequeue(aces.cmd_ring, &obj) == 0) {
		struct aces_cmd *cmd = obj;

		cmd->result = -ESHUTDOWN;
		snprintf(cmd->msg, sizeof(cmd->msg), "appliance is shutting down");
		__atomic_store_n(&cmd->done, 1, __ATOMIC_RELEASE);
		if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0)
			free(cmd);
	}
}
