/*
 * test_bench.c - timing helpers for the benchmarks (see test_bench.h).
 */
#include "test/lib/test_bench.h"

#include <stdlib.h>
#include <time.h>

uint64_t
test_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
test_bench_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

test_bench_stats_t
test_bench_stats(uint64_t *ns, size_t n)
{
    qsort(ns, n, sizeof(*ns), test_bench_cmp);
    test_bench_stats_t s;
    s.median_us = (double)ns[n / 2] / 1000.0;
    s.p99_us = (double)ns[(n * 99) / 100] / 1000.0;
    return s;
}
