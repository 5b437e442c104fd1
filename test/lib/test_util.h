/*
 * test_util.h - helpers shared by the test suites: visible skips, fixture
 * paths, files, deadlines.
 */
#ifndef WADM_TEST_UTIL_H
#define WADM_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runner only: set up and print the skip list. */
void test_skip_begin(void);
void test_skip_report(void);
void test_skip_end(void);

/*
 * Records that the current test could not check what it is for, and why.
 * The runner prints every skip before its summary. Call, then return.
 */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Directory of the shared fixtures ($WADM_FIXTURES, else
 * ../shared/fixtures), or NULL when it does not exist.
 */
const char *test_fixtures_dir(void);

/*
 * Path of a fixture relative to the fixtures dir, in a static buffer
 * overwritten by the next call; NULL when the fixtures are absent.
 */
const char *test_fixture_path(const char *rel);

/* Reads a whole file; caller frees. NULL if it cannot be read. */
char *test_read_file(const char *path, size_t *len);

/* Writes data to a new temporary file; returns its path (caller frees). */
char *test_write_temp(const char *data, size_t len, const char *suffix);

/* Monotonic milliseconds. */
uint64_t test_now_ms(void);

/* Waits ms milliseconds without busy looping (for polling loops only). */
void test_pause_ms(unsigned ms);

/*
 * Polls cond(arg) every few milliseconds until it is true (returns true)
 * or timeout_ms passes (returns false).
 */
bool test_wait_until(bool (*cond)(void *), void *arg, unsigned timeout_ms);

#endif
