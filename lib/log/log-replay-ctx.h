/* The state replay works on, shared by describing the logs
 * (log-describe.c) and planning and applying them (log-replay.c). */
#pragma once

#include "hive.h"

#define N_LOGS 2

struct log_ctx {
        const char *name; /* "LOG1", "LOG2" */
        const uint8_t *buf;
        size_t len;
        struct vhive_log_info *info;
        struct vhive_regf_header hdr; /* its base block, when it parses */
        bool usable;                  /* valid base block of a known log type */
        char why[160];                /* why it is not used, for messages */
        /* old format: where the dirty vector and the pages are */
        size_t bitmap_len, pages_off;
        uint32_t max_hbins; /* the largest hive-bins size its entries claim */
};

struct replay_ctx {
        const uint8_t *primary;
        size_t primary_len;
        struct vhive_regf_header phdr;
        bool primary_ok; /* base block sound: magic, checksum, type 0 */
        char primary_why[96];
        struct log_ctx log[N_LOGS];
        struct vhive_replay_result *res;
        /* the plan */
        enum vhive_log_format format;
        int order[N_LOGS]; /* logs to apply, in order */
        int n_order;
        int base_from; /* log whose base block rebuilds the header, or -1 */
};

/* Records why a log is not used ("LOG2 " + the reason). */
void vhive_log_why(struct log_ctx *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the primary's and both logs' base blocks and entries into c and
 * res, judging each: nothing is planned or applied yet. */
void vhive_replay_describe(struct replay_ctx *c, const uint8_t *primary, size_t primary_len,
                           const uint8_t *log1, size_t log1_len, const uint8_t *log2,
                           size_t log2_len, struct vhive_replay_result *res);
