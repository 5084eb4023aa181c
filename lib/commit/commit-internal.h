/* Pieces of the logged commit that the tests share: building log records
 * from a hive image and a list of 4 KiB pages. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive.h"

#define VHIVE_PAGE 4096u /* Windows tracks dirty hive data in 4 KiB blocks */

/* Offsets (relative to the hive bins, multiples of 4096, ascending) of the
 * pages of img that a commit logs and writes. */
struct vhive_pages {
        uint32_t *off;
        unsigned n;
};

/* The first sector of a log: the hive's base block with the log's file
 * type, both sequence numbers seq, and its own checksum. */
void vhive_log_base_block(const uint8_t *hive_base, uint32_t type, uint32_t seq, uint8_t out[512]);

/* One HvLE entry carrying the pages of img (a whole hive, base block
 * first); *len is a multiple of 512.  -ENOMEM only. */
int vhive_hvle_build(const uint8_t *img, const struct vhive_pages *p, uint32_t seq, uint32_t hbins,
                     uint32_t flags, uint8_t **out, size_t *len);

/* The body of an old-format log (from offset 512): "DIRT", the bitmap of
 * dirty 512-byte pages for hbins bytes of hive bins, padded to a sector,
 * then the pages.  -ENOMEM only. */
int vhive_dirt_build(const uint8_t *img, const struct vhive_pages *p, uint32_t hbins, uint8_t **out,
                     size_t *len);

/* The log format that the logs' base blocks announce (file type 6: new,
 * 1 or 2: old); VHIVE_LOG_NONE when no log tells. */
enum vhive_log_format vhive_log_format_of(const uint8_t *log1, size_t len1, const uint8_t *log2,
                                          size_t len2);
