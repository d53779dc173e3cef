/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_FUZZ_H
#define ACES_FUZZ_H

/* libFuzzer targets: a broken promise is a crash, with the promise's text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PROMISE(c) do { \
		if (!(c)) { \
			fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, __LINE__, #c); \
			abort(); \
		} \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* ACES_FUZZ_H */
