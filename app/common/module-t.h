/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_MODULE_T_H
#define ACES_APP_MODULE_T_H

/**
 * @file
 * A module of the appliance as main.c's module table lists it (DPVS's DPVS_MODULES): it
 * starts in table order, stops in the reverse order, and a reload's swap (lifecycle/reload.c)
 * asks each one, in table order, to carry its state over to the new configuration.
 */

#include <stdint.h>

/**
 * What a reload hands each module: how the entities of the running configuration map to
 * the new one's (matched by name), while every worker is parked and the telemetry threads
 * are locked out. The new configuration is aces.cfg when reload() is called; it was not
 * yet when save() was.
 */
struct aces_remap {
	const int32_t *ep_new;		/**< old endpoint index -> new one, -1: gone */
	const int32_t *be_new;		/**< old backend index -> new one, -1: gone */
	const int32_t *ep_src;		/**< new endpoint index -> old one, -1: new */
	const int32_t *be_src;		/**< new backend index -> old one, -1: new */
	uint32_t n_old_ep;		/**< endpoints of the old configuration */
	uint32_t n_old_be;		/**< backends of the old configuration */
	int release;			/**< a release: every backend changes sides */
	int same_backends;		/**< same backends, weights and sides: the same tables */
	uint64_t now;			/**< manager clock */
	uint64_t lost;			/**< out: open flows whose endpoint or backend vanished */
};

/** A row of the module table. Every hook but name may be NULL (nothing to do). */
struct aces_module {
	const char *name;
	int (*init)(void);			/**< at start; 0, or -errno */
	int (*save)(struct aces_remap *r);	/**< a reload, before the new configuration
						 *   is installed: take what reload() needs */
	int (*reload)(struct aces_remap *r);	/**< a reload, after: remap to the new one;
						 *   a failure stops the process (said so) */
	void (*fini)(void);			/**< at stop */
};

#endif /* ACES_APP_MODULE_T_H */
