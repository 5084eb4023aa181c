/* Small helpers shared by the library and the command. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

/* A large buffer not yet touched asks for transparent huge pages
 * (lib/util/huge.c); below 2 MiB, or without THP, nothing happens. */
void vhive_huge_hint(void *p, size_t len);
/* Faults in a fresh buffer's pages writable in one call (huge.c). */
void vhive_populate_hint(void *p, size_t len);

static inline uint16_t vhive_le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t vhive_le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t vhive_le64(const uint8_t *p)
{
        return (uint64_t)vhive_le32(p) | (uint64_t)vhive_le32(p + 4) << 32;
}

static inline void vhive_put_le32(uint8_t *p, uint32_t v)
{
        p[0] = v;
        p[1] = v >> 8;
        p[2] = v >> 16;
        p[3] = v >> 24;
}

static inline uint32_t vhive_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t vhive_be64(const uint8_t *p)
{
        return (uint64_t)vhive_be32(p) << 32 | vhive_be32(p + 4);
}
