/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_MANAGER_EPM_H
#define ACES_APP_MANAGER_EPM_H

/**
 * @file
 * The load and counter state the Endpoint Manager keeps (endpoint_mgr.c writes it, on the
 * control lcore) and the snapshot copies for telemetry threads (snapshot.c, same lcore).
 * Private to app/manager.
 */

#include "aces/manager-t.h"
#include "aces/tmsg-t.h"

struct aces_epm_state {
	struct aces_mgr_ep_load *ep_load;	/**< per endpoint: windowed load */
	struct aces_ctr *ctr_sum;		/**< per entity: counters summed over workers */
	double *be_pps;				/**< per backend: windowed packet rate */
};

extern struct aces_epm_state aces_epm;

#endif /* ACES_APP_MANAGER_EPM_H */
