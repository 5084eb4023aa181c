/* Text from a hive made safe for a terminal: a key or value name, or a
 * string value, may hold escape sequences (ESC ]0;... BEL, ESC [2J) that
 * retitle, clear or reprogram the terminal that prints them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhive.h"

/* Length of the valid UTF-8 sequence at p (1-4), its code point in *cp;
 * 0 when the bytes are not UTF-8 (overlong, surrogate, truncated...). */
static size_t utf8_seq(const uint8_t *p, uint32_t *cp)
{
        static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
        size_t n = p[0] >= 0xf0 && p[0] < 0xf5 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

        if (n == 0 || p[0] >= 0xf5)
                return 0;
        *cp = p[0] & (0x7f >> n);
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                *cp = *cp << 6 | (p[i] & 0x3f);
        }
        if (*cp < min[n] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp < 0xe000))
                return 0;
        return n;
}

char *vhive_escape_text(const char *s)
{
        const uint8_t *p = (const uint8_t *)s;
        char *out = malloc(strlen(s) * 4 + 1), *o = out;

        if (!out)
                return NULL;
        while (*p) {
                uint32_t cp = 0;
                size_t n = *p < 0x80 ? 1 : utf8_seq(p, &cp);

                if (*p < 0x20 || *p == 0x7f || n == 0) {
                        o += sprintf(o, "\\x%02x", *p++);
                } else if (n == 2 && cp < 0xa0) {
                        o += sprintf(o, "\\u%04x", (unsigned)cp);
                        p += 2;
                } else {
                        memcpy(o, p, n);
                        o += n;
                        p += n;
                }
        }
        *o = '\0';
        return out;
}

/* The length of the next character (1 for a byte that is not UTF-8). */
static size_t next_seq(const uint8_t *p, bool *valid)
{
        uint32_t cp = 0;
        size_t n = *p < 0x80 ? 1 : utf8_seq(p, &cp);

        *valid = n != 0;
        return n ? n : 1;
}

bool vhive_utf8_valid(const char *s)
{
        const uint8_t *p = (const uint8_t *)s;
        bool valid = true;

        while (*p && valid)
                p += next_seq(p, &valid);
        return valid;
}

/* s with every byte that is not part of a UTF-8 character (and, when
 * percent, every '%') replaced: by U+FFFD, or by %HH when percent. */
static char *transcode(const char *s, bool percent)
{
        const uint8_t *p = (const uint8_t *)s;
        char *out = malloc(strlen(s) * 3 + 1), *o = out;

        if (!out)
                return NULL;
        while (*p) {
                bool valid;
                size_t n = next_seq(p, &valid);

                if (valid && !(percent && *p == '%')) {
                        memcpy(o, p, n);
                        o += n;
                } else if (percent) {
                        o += sprintf(o, "%%%02X", *p);
                } else {
                        memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
                        o += 3;
                }
                p += n;
        }
        *o = '\0';
        return out;
}

char *vhive_utf8_lossy(const char *s)
{
        return transcode(s, false);
}

char *vhive_percent_bytes(const char *s)
{
        return transcode(s, true);
}
