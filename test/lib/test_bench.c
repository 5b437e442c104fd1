/*
 * test_bench.c - timing helpers for the benchmarks (see test_bench.h).
 */
#include "test/lib/test_bench.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    s.p50_us = (double)ns[n / 2] / 1000.0;
    s.p99_us = (double)ns[(n * 99) / 100] / 1000.0;
    return s;
}

/* ---- memory of a process tree ------------------------------------------ */

#define TB_MAX_PROCS 64

int
test_bench_tree_pids(pid_t root, pid_t *pids, int cap)
{
    int n = 0;
    pids[n++] = root;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && n < cap && (e = readdir(d)) != NULL) {
        long pid = strtol(e->d_name, NULL, 10);
        if (pid <= 0)
            continue;
        char path[64], stat[512];
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t got = fread(stat, 1, sizeof(stat) - 1, f);
        fclose(f);
        stat[got] = '\0';
        char *rp = strrchr(stat, ')');
        long ppid = 0;
        if (rp && sscanf(rp + 2, "%*c %ld", &ppid) == 1 && ppid == root)
            pids[n++] = (pid_t)pid;
    }
    if (d)
        closedir(d);
    return n;
}

/* "Rss:" or "Pss:" of /proc/pid/smaps_rollup in kB, -1 if unreadable. */
static long
tb_rollup_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long kb = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            kb = strtol(line + fl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* A set of file pages: open addressing over (dev, inode, page). */
typedef struct tb_page {
    uint64_t ino;
    uint64_t pg;
    uint32_t dev;
    bool used;
} tb_page_t;

typedef struct tb_pageset {
    tb_page_t *slot;
    size_t cap; /* a power of two */
    size_t n;
} tb_pageset_t;

static bool
tb_pageset_add(tb_pageset_t *s, uint32_t dev, uint64_t ino, uint64_t pg)
{
    if (s->n * 2 >= s->cap) {
        tb_pageset_t g = {calloc(s->cap * 2, sizeof(tb_page_t)), s->cap * 2,
                          0};
        if (g.slot == NULL)
            return false;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i].used)
                tb_pageset_add(&g, s->slot[i].dev, s->slot[i].ino,
                               s->slot[i].pg);
        free(s->slot);
        *s = g;
    }
    uint64_t h = (ino * 0x9E3779B97F4A7C15ull) ^ (pg * 0xC2B2AE3D27D4EB4Full) ^
                 dev;
    h ^= h >> 29;
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        tb_page_t *p = &s->slot[i];
        if (!p->used) {
            *p = (tb_page_t){ino, pg, dev, true};
            s->n++;
            return true;
        }
        if (p->ino == ino && p->pg == pg && p->dev == dev)
            return true;
    }
}

/* Adds pid's resident pages: file pages to set, the rest to *priv. */
static int
tb_scan_pages(pid_t pid, tb_pageset_t *set, long *priv)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
    FILE *maps = fopen(path, "r");
    snprintf(path, sizeof(path), "/proc/%ld/pagemap", (long)pid);
    FILE *pm = fopen(path, "rb");
    if (maps == NULL || pm == NULL) {
        if (maps)
            fclose(maps);
        if (pm)
            fclose(pm);
        return -1;
    }
    long psz = sysconf(_SC_PAGESIZE);
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), maps)) {
        unsigned long start, end, off, ino;
        unsigned maj, min;
        if (sscanf(line, "%lx-%lx %*4s %lx %x:%x %lu", &start, &end, &off,
                   &maj, &min, &ino) != 6) {
            rc = -1;
            break;
        }
        if (strstr(line, "[vsyscall]"))
            continue; /* not in the page tables of the process */
        uint64_t first = start / (unsigned long)psz;
        uint64_t npages = (end - start) / (unsigned long)psz;
        uint64_t ent[512];
        for (uint64_t i = 0; i < npages && rc == 0;) {
            size_t want = npages - i < 512 ? (size_t)(npages - i) : 512;
            if (fseeko(pm, (off_t)((first + i) * 8), SEEK_SET) != 0 ||
                fread(ent, 8, want, pm) != want) {
                rc = -1;
                break;
            }
            for (size_t k = 0; k < want; k++) {
                bool is_present = (ent[k] >> 63) & 1;
                bool is_file = (ent[k] >> 61) & 1;
                if (!is_present)
                    continue;
                if (is_file && ino != 0) {
                    uint64_t pg = off / (unsigned long)psz + i + k;
                    if (!tb_pageset_add(set, (maj << 20) | min, ino, pg))
                        rc = -1;
                } else {
                    (*priv)++;
                }
            }
            i += want;
        }
    }
    fclose(maps);
    fclose(pm);
    return rc;
}

int
test_bench_tree_mem(pid_t root, test_bench_mem_t *out)
{
    *out = (test_bench_mem_t){0, -1, -1, -1, -1, -1};
    pid_t pids[TB_MAX_PROCS];
    int n = test_bench_tree_pids(root, pids, TB_MAX_PROCS);
    tb_pageset_t set = {calloc(4096, sizeof(tb_page_t)), 4096, 0};
    if (set.slot == NULL)
        return -1;
    long rss = 0, pss = 0, priv = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        long r = tb_rollup_kb(pids[i], "Rss");
        long p = tb_rollup_kb(pids[i], "Pss");
        if (r < 0 || p < 0 || tb_scan_pages(pids[i], &set, &priv) != 0)
            rc = -1;
        rss += r;
        pss += p;
    }
    long kb_per_page = sysconf(_SC_PAGESIZE) / 1024;
    if (rc == 0) {
        out->nproc = n;
        out->rss_sum_kb = rss;
        out->pss_sum_kb = pss;
        out->unique_file_kb = (long)set.n * kb_per_page;
        out->unique_private_kb = priv * kb_per_page;
        out->unique_kb = out->unique_file_kb + out->unique_private_kb;
    }
    free(set.slot);
    return rc;
}
