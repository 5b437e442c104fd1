/*
 * test_bench.h - timing helpers shared by the benchmarks: a monotonic
 * nanosecond clock and median/p99 of a series of runs.
 */
#ifndef WADM_TEST_BENCH_H
#define WADM_TEST_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct test_bench_stats {
    double median_us;
    double p99_us;
} test_bench_stats_t;

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t test_bench_now_ns(void);

/* Sorts the n durations (ns) in place; their median and p99 in us. */
test_bench_stats_t test_bench_stats(uint64_t *ns, size_t n);

#endif
