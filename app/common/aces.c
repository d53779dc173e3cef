/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared state every room reads (common/aces.h says who writes what) and the names
 * of the drop and control counters, made from their lists.
 */
#include "common/aces.h"

struct aces_app aces;
struct aces_cplane aces_cp;

#define ACES_DROP_NAME(n, s, d) [ACES_DROP_##n] = s,
const char *const aces_drop_names[ACES_DROP_MAX] = { ACES_DROP_LIST(ACES_DROP_NAME) };
#define ACES_CTL_NAME(n, s, d) [ACES_CTL_##n] = s,
const char *const aces_ctl_names[ACES_CTL_MAX] = { ACES_CTL_LIST(ACES_CTL_NAME) };
