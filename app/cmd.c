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
	cmd->result = aces_epm_cmd(cmd, aces_now_ms());
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

	cmd->refs = 2;
	cmd->done = 0;
	if (rte_ring_mp_enqueue(aces.cmd_ring, cmd) != 0) {
		snprintf(err, errlen, "control plane busy: command queue full");
		free(cmd);
		return -EBUSY;
	}
	for (i = 0; i < ACES_CMD_TIMEOUT_MS; i++) {
		if (__atomic_load_n(&cmd->done, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	if (!__atomic_load_n(&cmd->done, __ATOMIC_ACQUIRE)) {
		snprintf(err, errlen, "control plane did not answer within %d ms",
			 ACES_CMD_TIMEOUT_MS);
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
