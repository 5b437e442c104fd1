/*
 * test_bench.h - timing helpers shared by the benchmarks in test/bench/.
 */
#ifndef WADM_TEST_BENCH_H
#define WADM_TEST_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct test_bench_stats {
    double p50_us;
    double p99_us;
} test_bench_stats_t;

/* Monotonic nanoseconds. */
uint64_t test_bench_now_ns(void);

/* Median and 99th percentile of n samples in ns (sorts them in place). */
test_bench_stats_t test_bench_stats(uint64_t *ns, size_t n);

#endif
