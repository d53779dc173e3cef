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
#include <unistd.h>

#include <rte_ring.h>

#include "aces.h"

void
aces_cmd_run(struct aces_cmd *cmd)
{
	if (cmd->type == ACES_CMD_RELOAD) {
		cmd->result = aces_reload("telemetry command", cmd->msg, sizeof(cmd->msg));
	} else if (cmd->cfg_gen != aces.cfg_gen) {
		/* its endpoint or backend index is of the configuration before a reload */
		cmd->result = -EAGAIN;
		snprintf(cmd->msg, sizeof(cmd->msg), "the configuration was reloaded meanwhile: "
			 "nothing done, ask again");
	} else {
		cmd->result = aces_epm_cmd(cmd, aces_now_ms());
	}
	aces_assign_sync();	/* its answer comes with its table in place */
	aces_snap_publish(aces_now_ms());	/* and with what telemetry shows */
	aces.ctl[cmd->result == 0 ? ACES_CTL_COMMANDS : ACES_CTL_COMMANDS_FAILED]++;
	__atomic_store_n(&cmd->done, 1, __ATOMIC_RELEASE);
	if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(cmd);
}

int
aces_cmd_submit(struct aces_cmd *cmd, char *err, size_t errlen)
{
	int i, rc;

	int held = aces_tel_read_held;
	int limit = cmd->type == ACES_CMD_RELOAD ? 10 * ACES_CMD_TIMEOUT_MS : ACES_CMD_TIMEOUT_MS;

	cmd->refs = 2;
	cmd->done = 0;
	cmd->cfg_gen = __atomic_load_n(&aces.cfg_gen, __ATOMIC_ACQUIRE);
	if (rte_ring_mp_enqueue(aces.cmd_ring, cmd) != 0) {
		snprintf(err, errlen, "control plane busy: command queue full");
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
