/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_ASSIGN_T_H
#define ACES_APP_ASSIGN_T_H

/**
 * @file
 * The assignment table the control lcore publishes (assign.c) and workers read.
 */

#include <stdint.h>

#include "aces/chash.h"
#include "aces/config-t.h"
#include "aces/manager-t.h"

/** Immutable assignment table, published by the control lcore with RCU. */
struct aces_assign {
	uint64_t version;
	/** per side: bucket -> backend index in cfg->backends, or ACES_CHASH_NONE */
	uint16_t chash[ACES_SIDE_MAX][ACES_CHASH_SIZE];
	/** per endpoint: replacement weight 0..100 (0 = original, 100 = replacement) */
	uint8_t weight[ACES_MAX_ENDPOINTS];
};

#endif /* ACES_APP_ASSIGN_T_H */
