/*
 * clk.c - monotonic and wall clocks, RFC 3339 formatting and parsing.
 */
#include "clk.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"

uint64_t
clk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
clk_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
clk_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
clk_rfc3339(char *buf, size_t cap, uint64_t wall_us)
{
    time_t secs = (time_t)(wall_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06luZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (unsigned long)(wall_us % 1000000u));
}

static int
clk_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return ERR_INVALID;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

int
clk_rfc3339_parse(const char *s, uint64_t *wall_us)
{
    const char *p = s;
    int year, mon, day, hour, min, sec;
    if (clk_digits(&p, 4, &year) || *p++ != '-' || clk_digits(&p, 2, &mon) ||
        *p++ != '-' || clk_digits(&p, 2, &day) ||
        (*p != 'T' && *p != 't' && *p != ' '))
        return ERR_INVALID;
    p++;
    if (clk_digits(&p, 2, &hour) || *p++ != ':' || clk_digits(&p, 2, &min) ||
        *p++ != ':' || clk_digits(&p, 2, &sec))
        return ERR_INVALID;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
        min > 59 || sec > 60)
        return ERR_INVALID;
    uint64_t frac_us = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        if (!isdigit((unsigned char)*p))
            return ERR_INVALID;
        while (isdigit((unsigned char)*p)) {
            if (digits < 6) {
                frac_us = frac_us * 10 + (uint64_t)(*p - '0');
                digits++;
            }
            p++;
        }
        while (digits++ < 6)
            frac_us *= 10;
    }
    long offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om;
        p++;
        if (clk_digits(&p, 2, &oh) || *p++ != ':' || clk_digits(&p, 2, &om))
            return ERR_INVALID;
        offset_s = sign * (oh * 3600L + om * 60L);
    } else {
        return ERR_INVALID;
    }
    if (*p != '\0')
        return ERR_INVALID;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || (long)t - offset_s < 0)
        return ERR_INVALID;
    *wall_us = (uint64_t)((long)t - offset_s) * 1000000u + frac_us;
    return 0;
}
