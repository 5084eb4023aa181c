/* Pieces of lib/log-replay.c that tests and fixture generators share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VHIVE_LOG_SECTOR 512u /* log base block; log entry alignment */
#define VHIVE_HVLE_HEADER 40u /* fixed part of a log entry */
#define VHIVE_HVLE_SEED 0x82EF4D887A4E55C5ull
#define VHIVE_HBINS_MAX 0x80000000u /* a hive-bins size must stay below 2 GiB */

struct vhive_hvle {
        const uint8_t *p; /* the entry's first byte, inside the log */
        uint32_t size, flags, seq, hbins_size, count;
};

/* 0 when the HvLE entry at off is sound: signature, size (a multiple of
 * 512 inside the log), hive-bins size, page count, both hashes, and every
 * page inside the entry and inside the hive bins.  -EBADMSG on a hash
 * mismatch, -EINVAL otherwise. */
int vhive_hvle_check(const uint8_t *log, size_t len, size_t off, struct vhive_hvle *e);

/* Non-zero, a multiple of 4096, below VHIVE_HBINS_MAX. */
bool vhive_hbins_size_ok(uint32_t size);
