/*
 * test_bench.h - timing helpers shared by the benchmarks in test/bench/.
 */
#ifndef WADM_TEST_BENCH_H
#define WADM_TEST_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct test_bench_stats {
    double p50_us;
    double p99_us;
} test_bench_stats_t;

/* Monotonic nanoseconds. */
uint64_t test_bench_now_ns(void);

/* Median and 99th percentile of n samples in ns (sorts them in place). */
test_bench_stats_t test_bench_stats(uint64_t *ns, size_t n);

/* pids[0] = root, then the processes whose parent it is, at most cap in
   all; returns how many. */
int test_bench_tree_pids(pid_t root, pid_t *pids, int cap);

/*
 * Memory of a process and its direct children, in kB:
 * - rss_sum: each process's RSS added up. A page of libc that four
 *   processes map counts four times.
 * - pss_sum: each shared page divided among the processes mapping it
 *   (including processes outside the tree).
 * - unique: the pages resident for the tree, each counted once: the RSS
 *   of the tree taken as one, as for one process RSS counts a page once
 *   however often it is mapped. File pages are told apart by (device,
 *   inode, page offset) from /proc/PID/maps and the present and
 *   file-page bits of /proc/PID/pagemap (no privilege needed); private
 *   (anonymous and copied-on-write) pages count for each process.
 * Returns 0, or -1 when /proc could not be read (fields then -1).
 */
typedef struct test_bench_mem {
    int nproc;
    long rss_sum_kb;
    long pss_sum_kb;
    long unique_kb;
    long unique_file_kb;
    long unique_private_kb;
} test_bench_mem_t;

int test_bench_tree_mem(pid_t root, test_bench_mem_t *out);

#endif
