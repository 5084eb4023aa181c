/* Registry values as text: type names, UTF-16LE <-> UTF-8, rendering. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive.h"
#include "macro.h"

static const char *const type_names[] = {
        "REG_NONE",
        "REG_SZ",
        "REG_EXPAND_SZ",
        "REG_BINARY",
        "REG_DWORD",
        "REG_DWORD_BIG_ENDIAN",
        "REG_LINK",
        "REG_MULTI_SZ",
        "REG_RESOURCE_LIST",
        "REG_FULL_RESOURCE_DESCRIPTOR",
        "REG_RESOURCE_REQUIREMENTS_LIST",
        "REG_QWORD",
};

const char *vhive_type_name(hive_type t)
{
        if ((unsigned)t < ARRAY_SIZE(type_names))
                return type_names[t];
        return "REG_UNKNOWN";
}

static size_t put_utf8(char *out, uint32_t cp)
{
        if (cp < 0x80) {
                out[0] = cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = 0xc0 | cp >> 6;
                out[1] = 0x80 | (cp & 0x3f);
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = 0xe0 | cp >> 12;
                out[1] = 0x80 | (cp >> 6 & 0x3f);
                out[2] = 0x80 | (cp & 0x3f);
                return 3;
        }
        out[0] = 0xf0 | cp >> 18;
        out[1] = 0x80 | (cp >> 12 & 0x3f);
        out[2] = 0x80 | (cp >> 6 & 0x3f);
        out[3] = 0x80 | (cp & 0x3f);
        return 4;
}

/* Converts up to the first NUL (or len); lone surrogates become U+FFFD. */
char *vhive_utf16le_to_utf8(const char *data, size_t len)
{
        const uint8_t *p = (const uint8_t *)data;
        size_t n = len / 2, o = 0;
        char *out = malloc(n * 3 + 1);

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                uint32_t cp = p[2 * i] | p[2 * i + 1] << 8;

                if (cp == 0)
                        break;
                if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < n) {
                        uint32_t lo = p[2 * i + 2] | p[2 * i + 3] << 8;

                        if (lo >= 0xdc00 && lo < 0xe000) {
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                i++;
                        } else {
                                cp = 0xfffd;
                        }
                } else if (cp >= 0xd800 && cp < 0xe000) {
                        cp = 0xfffd;
                }
                o += put_utf8(out + o, cp);
        }
        out[o] = '\0';
        return out;
}

static int next_codepoint(const uint8_t **pp, uint32_t *cp)
{
        const uint8_t *p = *pp;
        int extra;

        if (p[0] < 0x80) {
                *cp = p[0];
                extra = 0;
        } else if ((p[0] & 0xe0) == 0xc0) {
                *cp = p[0] & 0x1f;
                extra = 1;
        } else if ((p[0] & 0xf0) == 0xe0) {
                *cp = p[0] & 0x0f;
                extra = 2;
        } else if ((p[0] & 0xf8) == 0xf0) {
                *cp = p[0] & 0x07;
                extra = 3;
        } else {
                return -EILSEQ;
        }
        for (int i = 1; i <= extra; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return -EILSEQ;
                *cp = *cp << 6 | (p[i] & 0x3f);
        }
        *pp = p + extra + 1;
        return 0;
}

char *vhive_utf8_to_utf16le(const char *s, size_t *out_len)
{
        const uint8_t *p = (const uint8_t *)s;
        uint8_t *out = malloc(strlen(s) * 4 + 2);
        size_t o = 0;

        if (!out)
                return NULL;
        while (*p) {
                uint32_t cp;

                if (next_codepoint(&p, &cp) < 0) {
                        free(out);
                        errno = EILSEQ;
                        return NULL;
                }
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        uint32_t hi = 0xd800 + (cp >> 10), lo = 0xdc00 + (cp & 0x3ff);
                        out[o++] = hi;
                        out[o++] = hi >> 8;
                        cp = lo;
                }
                out[o++] = cp;
                out[o++] = cp >> 8;
        }
        out[o++] = 0;
        out[o++] = 0;
        *out_len = o;
        return (char *)out;
}

bool vhive_multi_sz_next(const char *data, size_t len, size_t *pos, const char **s, size_t *n)
{
        size_t i = *pos, j = i;

        if (i + 1 >= len || !(data[i] || data[i + 1]))
                return false;
        while (j + 1 < len && (data[j] || data[j + 1]))
                j += 2;
        *s = data + i;
        *n = j - i;
        *pos = j + 2;
        return true;
}

/* REG_MULTI_SZ: strings separated by NULs, ended by an empty one. */
static char *multi_sz_to_text(const char *data, size_t len)
{
        size_t cap = len * 3 + 1, o = 0, pos = 0, n;
        char *out = malloc(cap + 1);
        const char *p;

        if (!out)
                return NULL;
        out[0] = '\0';
        while (vhive_multi_sz_next(data, len, &pos, &p, &n)) {
                _cleanup_free_ char *s = vhive_utf16le_to_utf8(p, n);

                if (!s) {
                        free(out);
                        return NULL;
                }
                o += snprintf(out + o, cap + 1 - o, "%s%s", o ? ", " : "", s);
        }
        return out;
}

static char *hex_to_text(const char *data, size_t len)
{
        char *out = malloc(len * 3 + 1);
        size_t o = 0;

        if (!out)
                return NULL;
        out[0] = '\0';
        for (size_t i = 0; i < len; i++)
                o += sprintf(out + o, "%s%02x", i ? "," : "", (uint8_t)data[i]);
        return out;
}

char *vhive_value_to_text(hive_type t, const char *data, size_t len)
{
        char *out;
        const uint8_t *u = (const uint8_t *)data;

        switch (t) {
        case hive_t_REG_SZ:
        case hive_t_REG_EXPAND_SZ:
        case hive_t_REG_LINK:
                return vhive_utf16le_to_utf8(data, len);
        case hive_t_REG_MULTI_SZ:
                return multi_sz_to_text(data, len);
        case hive_t_REG_DWORD:
        case hive_t_REG_DWORD_BIG_ENDIAN:
                if (len != 4)
                        break;
                if (asprintf(&out, "%u", t == hive_t_REG_DWORD ? vhive_le32(u) : vhive_be32(u)) < 0)
                        return NULL;
                return out;
        case hive_t_REG_QWORD:
                if (len != 8)
                        break;
                if (asprintf(&out, "%llu", (unsigned long long)vhive_le64(u)) < 0)
                        return NULL;
                return out;
        default:
                break;
        }
        return hex_to_text(data, len);
}
