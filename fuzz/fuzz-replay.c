/* Fuzz target: transaction-log replay.
 *
 * Input: byte 0 flags, bytes 1-4 and 5-8 the lengths of LOG1 and LOG2
 * (little-endian, clipped to what is left), then LOG1, LOG2, and the rest
 * is the primary.  Flag bit 0 recomputes the base-block checksums of all
 * three, bit 1 the Marvin32 hashes of every HvLE entry chained from
 * sector 1 of each log, so that mutations reach the replay itself; bit 2
 * passes LOG2 as missing (NULL) rather than as given.
 *
 * A log may legitimately grow the hive to almost 2 GiB (VHIVE_HBINS_MAX);
 * inputs asking for more than FUZZ_MAX_HBINS are skipped so that the
 * fuzzer measures parsing, not memset. */
#include <stdint.h>

#include "fuzz-common.h"
#include "log-replay-internal.h"
#include "macro.h"
#include "safe-file.h"
#include "scrub.h"

#define FUZZ_MAX_HBINS (64u << 20)

static void fix_hashes(uint8_t *log, size_t len)
{
        size_t off = VHIVE_LOG_SECTOR;

        while (off <= len && len - off >= VHIVE_HVLE_HEADER && memcmp(log + off, "HvLE", 4) == 0) {
                uint32_t size = vhive_le32(log + off + 4);
                uint64_t h;

                if (size < VHIVE_LOG_SECTOR || size % VHIVE_LOG_SECTOR || size > len - off)
                        break;
                h = vhive_marvin32(VHIVE_HVLE_SEED, log + off + VHIVE_HVLE_HEADER,
                                   size - VHIVE_HVLE_HEADER);
                vhive_put_le32(log + off + 24, (uint32_t)h);
                vhive_put_le32(log + off + 28, (uint32_t)(h >> 32));
                h = vhive_marvin32(VHIVE_HVLE_SEED, log + off, 32);
                vhive_put_le32(log + off + 32, (uint32_t)h);
                vhive_put_le32(log + off + 36, (uint32_t)(h >> 32));
                off += size;
        }
}

/* Largest hive-bins size the logs could grow the image to. */
static uint64_t max_hbins(const uint8_t *log, size_t len)
{
        uint64_t max = len >= 44 ? vhive_le32(log + 40) : 0;

        for (size_t off = VHIVE_LOG_SECTOR; off + 20 <= len; off += VHIVE_LOG_SECTOR)
                if (memcmp(log + off, "HvLE", 4) == 0 && vhive_le32(log + off + 16) > max)
                        max = vhive_le32(log + off + 16);
        return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vhive_replay_result res;
        struct vhive_error err;
        uint8_t *buf, *out = NULL, flags;
        size_t l1, l2, lp, out_len = 0;

        if (size < 9)
                return 0;
        flags = data[0];
        l1 = vhive_le32(data + 1);
        l2 = vhive_le32(data + 5);
        data += 9;
        size -= 9;
        l1 = l1 > size ? size : l1;
        l2 = l2 > size - l1 ? size - l1 : l2;
        lp = size - l1 - l2;
        buf = malloc(size ? size : 1);
        if (!buf)
                abort();
        memcpy(buf, data, size);
        uint8_t *log1 = buf, *log2 = buf + l1, *primary = buf + l1 + l2;

        if (flags & 1) {
                if (lp >= VHIVE_REGF_BASE_BLOCK)
                        vhive_regf_store_checksum(primary);
                /* A log's base block is one sector; the checksum covers 508 bytes. */
                if (l1 >= VHIVE_LOG_SECTOR)
                        vhive_regf_store_checksum(log1);
                if (l2 >= VHIVE_LOG_SECTOR)
                        vhive_regf_store_checksum(log2);
        }
        if (flags & 2) {
                fix_hashes(log1, l1);
                fix_hashes(log2, l2);
        }
        if (max_hbins(log1, l1) <= FUZZ_MAX_HBINS && max_hbins(log2, l2) <= FUZZ_MAX_HBINS) {
                const uint8_t *p2 = flags & 4 ? NULL : log2;

                vhive_logs_describe(primary, lp, log1, l1, p2, l2, &res);
                (void)vhive_logs_check_readable(primary, lp, log1, l1, p2, l2, &err);
                if (vhive_replay(primary, lp, log1, l1, p2, l2, &out, &out_len, &res, &err) == 0) {
                        struct vhive_regf_header hdr;

                        /* The result must be a clean hive. */
                        if (vhive_regf_parse(out, out_len, &hdr) < 0 || vhive_regf_is_dirty(&hdr))
                                abort();
                        free(out);
                } else if (out) {
                        abort();
                }
        }
        free(buf);
        return 0;
}
