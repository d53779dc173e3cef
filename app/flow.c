/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "flow.h"

_Static_assert(sizeof(struct aces_flow) <= RTE_CACHE_LINE_SIZE, "a flow is one cache line");

struct aces_flow_table *
aces_flow_table_create(const char *name, uint32_t capacity, int socket)
{
	struct rte_hash_parameters hp = {
		.name = name,
		/* two keys per flow; the extendable bucket table makes every slot usable */
		.entries = capacity * 2,
		.key_len = sizeof(struct aces_flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0x5ace5u,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct aces_flow_table *ft;
	uint32_t i;

	ft = rte_zmalloc_socket("aces_ft", sizeof(*ft), RTE_CACHE_LINE_SIZE, socket);
	if (ft == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	ft->capacity = capacity;
	ft->flows = rte_zmalloc_socket("aces_flows", (size_t)capacity * sizeof(struct aces_flow),
				       RTE_CACHE_LINE_SIZE, socket);
	ft->free_stack = rte_malloc_socket("aces_flow_free", (size_t)capacity * sizeof(uint32_t),
					   RTE_CACHE_LINE_SIZE, socket);
	ft->h = rte_hash_create(&hp);
	if (ft->flows == NULL || ft->free_stack == NULL || ft->h == NULL) {
		aces_flow_table_free(ft);
		rte_errno = ENOMEM;
		return NULL;
	}
	/* Lowest indexes on top of the stack: new flows fill the array from the front. */
	for (i = 0; i < capacity; i++)
		ft->free_stack[i] = capacity - 1 - i;
	ft->n_free = capacity;
	return ft;
}

void
aces_flow_table_free(struct aces_flow_table *ft)
{
	if (ft == NULL)
		return;
	rte_hash_free(ft->h);
	rte_free(ft->flows);
	rte_free(ft->free_stack);
	rte_free(ft);
}
