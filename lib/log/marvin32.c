/* Marvin32, the keyed hash Windows uses to protect new-format log
 * entries (HvLE hash-1 and hash-2).  Written from the published
 * description of the algorithm: two 32-bit lanes seeded from the 64-bit
 * seed (low half first), one mixing round per little-endian dword, then a
 * padded final dword and two more rounds.  The result is lane 1 in the
 * high half and lane 0 in the low half, which is how the hashes are stored
 * in a log entry. */
#include "hive.h"
#include "macro.h"

static inline uint32_t rotl32(uint32_t x, unsigned k)
{
        return x << k | x >> (32 - k);
}

static inline void marvin_round(uint32_t *p0, uint32_t *p1)
{
        *p1 ^= *p0;
        *p0 = rotl32(*p0, 20);
        *p0 += *p1;
        *p1 = rotl32(*p1, 9);
        *p1 ^= *p0;
        *p0 = rotl32(*p0, 27);
        *p0 += *p1;
        *p1 = rotl32(*p1, 19);
}

uint64_t vhive_marvin32(uint64_t seed, const uint8_t *data, size_t len)
{
        uint32_t p0 = (uint32_t)seed, p1 = (uint32_t)(seed >> 32);
        uint32_t last = 0x80;
        size_t i;

        for (i = 0; i + 4 <= len; i += 4) {
                p0 += vhive_le32(data + i);
                marvin_round(&p0, &p1);
        }
        /* The 0-3 trailing bytes, little-endian, followed by a 0x80 byte. */
        for (size_t n = len - i; n > 0; n--)
                last = last << 8 | data[i + n - 1];
        p0 += last;
        marvin_round(&p0, &p1);
        marvin_round(&p0, &p1);
        return (uint64_t)p1 << 32 | p0;
}
