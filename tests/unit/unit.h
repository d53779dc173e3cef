/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_TEST_UNIT_H
#define ACES_TEST_UNIT_H

#include <stdio.h>

#include <CUnit/Basic.h>

/* The start of a minimal valid config, up to (not including) "endpoints": a two-armed
 * appliance with one original and one replacement backend. */
#define ACES_TEST_CFG_HEAD \
	"{\"interfaces\": {\"client\": {\"port\": 0, \"address\": \"10.0.0.1/24\"}," \
	" \"backend\": {\"port\": 1, \"address\": \"10.0.1.1/24\"}}," \
	" \"applications\": {\"original\": {\"backends\": [{\"name\": \"o\", \"address\": \"10.0.1.2\"}]}," \
	" \"replacement\": {\"backends\": [{\"name\": \"r\", \"address\": \"10.0.1.3\"}]}},"

/* Run one CUnit suite; exit status 1 when anything failed or could not run. */
static inline int
aces_unit_run(const char *suite, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {
		{ (char *)(uintptr_t)suite, NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	unsigned int failed, run;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "cannot register suite %s: %s\n", suite, CU_get_error_msg());
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (failed != 0 || run == 0) ? 1 : 0;
}

#endif /* ACES_TEST_UNIT_H */
