/* The regf base block: parsing, the checksum as Windows computes it. */
#include <errno.h>
#include <string.h>

#include "hive.h"
#include "macro.h"

uint32_t vhive_regf_checksum(const uint8_t *base_block)
{
        uint32_t sum = 0;

        for (size_t i = 0; i < 508; i += 4)
                sum ^= vhive_le32(base_block + i);
        /* hivex skips this rule; Windows rejects a stored 0 or ~0. */
        if (sum == 0)
                sum = 1;
        else if (sum == 0xffffffffu)
                sum = 0xfffffffeu;
        return sum;
}

int vhive_regf_parse(const uint8_t *buf, size_t len, struct vhive_regf_header *hdr)
{
        if (len < 512 || memcmp(buf, "regf", 4) != 0)
                return -EINVAL;
        hdr->seq_primary = vhive_le32(buf + 4);
        hdr->seq_secondary = vhive_le32(buf + 8);
        hdr->timestamp = vhive_le64(buf + 12);
        hdr->major = vhive_le32(buf + 20);
        hdr->minor = vhive_le32(buf + 24);
        hdr->file_type = vhive_le32(buf + 28);
        hdr->root_offset = vhive_le32(buf + 36);
        hdr->hbins_size = vhive_le32(buf + 40);
        hdr->flags = vhive_le32(buf + 144);
        hdr->checksum_stored = vhive_le32(buf + 508);
        hdr->checksum_computed = vhive_regf_checksum(buf);
        hdr->checksum_ok = hdr->checksum_stored == hdr->checksum_computed;
        return 0;
}

void vhive_regf_store_checksum(uint8_t *base_block)
{
        vhive_put_le32(base_block + 508, vhive_regf_checksum(base_block));
}

bool vhive_regf_is_dirty(const struct vhive_regf_header *hdr)
{
        return !hdr->checksum_ok || hdr->seq_primary != hdr->seq_secondary;
}
