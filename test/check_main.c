/*
 * check_main.c - the test runner. Built twice: once with the unit suites,
 * once with the integration suites (the Makefile generates suites.gen.h
 * from the file names). Exits with the number of failed tests.
 *
 * Skipped checks are never reported as passing silently: each is listed
 * with its reason before Check's summary line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "test/lib/test_util.h"

#define SUITE(n) Suite *n##_suite(void);
#include "suites.gen.h"
#undef SUITE

int
main(void)
{
    test_skip_begin();
    SRunner *sr = srunner_create(NULL);
#define SUITE(n) srunner_add_suite(sr, n##_suite());
#include "suites.gen.h"
#undef SUITE
    srunner_run_all(sr, CK_SILENT);
    test_skip_report();
    srunner_print(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_skip_end();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
