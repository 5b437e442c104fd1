/*
 * check_disp_status.c - the memory that keeps dispatch from publishing a
 * status twice: it compares with the last status queued for a subject,
 * so a status queued behind a different one always goes out.
 */
#include <check.h>
#include <stdlib.h>

#include "common/map.h"
#include "workers/dispatch/disp_int.h"

#define SUBJ "wadm.status.alpha.app1"
#define DEPLOYED "{\"status\":{\"type\":\"deployed\"},\"version\":\"\"}"
#define DEPLOYED_REORDERED                                                   \
    "{\"version\":\"\",\"status\":{\"type\":\"deployed\"}}"
#define RECONCILING                                                          \
    "{\"status\":{\"type\":\"reconciling\",\"message\":\"Scaling component " \
    "on 1 host(s)\"},\"version\":\"\"}"

/*
 * deployed (published), reconciling (queued, its publish not done yet),
 * deployed again: the last one must be published. Compared with the last
 * *published* status it was dropped, and the stream kept "reconciling"
 * for good (found by make chaos).
 */
START_TEST(test_disp_status_back_to_published_behind_another_goes_out)
{
    map_t last;
    map_init(&last);
    ck_assert(disp_status_note(&last, SUBJ, DEPLOYED));
    ck_assert(disp_status_note(&last, SUBJ, RECONCILING));
    ck_assert(disp_status_note(&last, SUBJ, DEPLOYED));
    map_destroy(&last, free);
}
END_TEST

START_TEST(test_disp_status_same_again_skipped_key_order_ignored)
{
    map_t last;
    map_init(&last);
    ck_assert(disp_status_note(&last, SUBJ, DEPLOYED));
    ck_assert(!disp_status_note(&last, SUBJ, DEPLOYED));
    ck_assert(!disp_status_note(&last, SUBJ, DEPLOYED_REORDERED));
    /* subjects are apart */
    ck_assert(disp_status_note(&last, "wadm.status.alpha.app2", DEPLOYED));
    map_destroy(&last, free);
}
END_TEST

START_TEST(test_disp_status_failed_publish_forgotten_unless_newer)
{
    map_t last;
    map_init(&last);
    ck_assert(disp_status_note(&last, SUBJ, DEPLOYED));
    ck_assert(disp_status_note(&last, SUBJ, RECONCILING));
    /* the publish of DEPLOYED failed, RECONCILING is queued: kept */
    disp_status_forget(&last, SUBJ, DEPLOYED);
    ck_assert(!disp_status_note(&last, SUBJ, RECONCILING));
    /* the publish of RECONCILING failed: the same one goes out again */
    disp_status_forget(&last, SUBJ, RECONCILING);
    ck_assert(disp_status_note(&last, SUBJ, RECONCILING));
    map_destroy(&last, free);
}
END_TEST

Suite *
disp_status_suite(void)
{
    Suite *s = suite_create("disp_status");
    TCase *tc = tcase_create("dedup");
    tcase_set_timeout(tc, 10);
    tcase_add_test(
        tc, test_disp_status_back_to_published_behind_another_goes_out);
    tcase_add_test(tc, test_disp_status_same_again_skipped_key_order_ignored);
    tcase_add_test(tc, test_disp_status_failed_publish_forgotten_unless_newer);
    suite_add_tcase(s, tc);
    return s;
}
