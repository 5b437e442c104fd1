/*
 * clk.h - clocks: monotonic milliseconds for windows and ages, wall clock
 * only for timestamps shown to people or written on the wire.
 */
#ifndef WADM_CLK_H
#define WADM_CLK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds (CLOCK_MONOTONIC); never goes backwards. */
uint64_t clk_now_ms(void);

/* Monotonic microseconds, for benchmarks. */
uint64_t clk_now_us(void);

/* Wall-clock microseconds since the epoch (CLOCK_REALTIME). */
uint64_t clk_wall_us(void);

/*
 * Formats wall-clock microseconds as RFC 3339 UTC with microseconds:
 * "2024-01-22T20:13:22.611283Z". buf needs CLK_RFC3339_LEN bytes.
 */
#define CLK_RFC3339_LEN 32
void clk_rfc3339(char *buf, size_t cap, uint64_t wall_us);

/*
 * Parses an RFC 3339 timestamp (fraction optional, "Z" or +hh:mm offset)
 * into wall-clock microseconds. Returns 0 or ERR_INVALID.
 */
int clk_rfc3339_parse(const char *s, uint64_t *wall_us);

#endif
