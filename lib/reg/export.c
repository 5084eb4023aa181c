/* Exporting keys as regedit writes them: REGEDIT5 header, CRLF, strings
 * with \\ and \" escaped, dword:, and hex(N): wrapped at regedit's widths.
 * Anything a string or dword: line would not give back byte for byte is
 * written as hex, so merging an export restores the same values.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "reg.h"

#define HEX_WRAP 77 /* regedit breaks a hex line once it reaches this width */
#define CRLF "\r\n"

struct sbuf {
        char *s;
        size_t len, cap;
        bool oom;
};

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
        if (b->oom)
                return;
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->cap ? b->cap * 2 : 256) + n;
                char *p = realloc(b->s, cap);

                if (!p) {
                        b->oom = true;
                        return;
                }
                b->s = p;
                b->cap = cap;
        }
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

static void sb_add(struct sbuf *b, const char *s)
{
        sb_addn(b, s, strlen(s));
}

static void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_addf(struct sbuf *b, const char *fmt, ...)
{
        char buf[64];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        sb_addn(b, buf, n < 0 ? 0 : (size_t)n);
}

static void sb_escaped(struct sbuf *b, const char *s)
{
        sb_add(b, "\"");
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        sb_add(b, "\\");
                sb_addn(b, s, 1);
        }
        sb_add(b, "\"");
}

/* Characters, not bytes: regedit counts UTF-16 units of the line. */
static size_t width(const char *s, size_t n)
{
        size_t w = 0;

        for (size_t i = 0; i < n; i++)
                w += ((unsigned char)s[i] & 0xc0) != 0x80;
        return w;
}

/* The UTF-8 text of a REG_SZ that a "string" line gives back exactly:
 * UTF-16LE ending in its only NUL, no line breaks.  NULL otherwise. */
static char *plain_string(const char *data, size_t len)
{
        char *text, *back;
        size_t back_len;

        if (len < 2 || len % 2 || data[len - 1] || data[len - 2])
                return NULL;
        for (size_t i = 0; i + 2 < len; i += 2)
                if (!data[i + 1] && (!data[i] || data[i] == '\r' || data[i] == '\n'))
                        return NULL;
        text = vhive_utf16le_to_utf8(data, len - 2);
        if (!text)
                return NULL;
        back = vhive_utf8_to_utf16le(text, &back_len);
        if (!back || back_len != len || memcmp(back, data, len) != 0) {
                free(text);
                text = NULL;
        }
        free(back);
        return text;
}

/* start: where the value's line begins in b. */
static void add_hex(struct sbuf *b, hive_type t, const char *data, size_t len, size_t start)
{
        size_t line;

        if (t == hive_t_REG_BINARY)
                sb_add(b, "hex:");
        else
                sb_addf(b, "hex(%x):", (unsigned)t);
        if (b->oom)
                return;
        line = width(b->s + start, b->len - start);
        for (size_t i = 0; i < len; i++) {
                sb_addf(b, "%02x", (unsigned char)data[i]);
                if (i + 1 == len)
                        break;
                sb_add(b, ",");
                line += 3;
                if (line >= HEX_WRAP) {
                        sb_add(b, "\\" CRLF "  ");
                        line = 2;
                }
        }
}

static void add_value(struct sbuf *b, const char *name, hive_type t, const char *data, size_t len)
{
        size_t start = b->len;
        char *text;

        if (*name)
                sb_escaped(b, name);
        else
                sb_add(b, "@");
        sb_add(b, "=");
        if (t == hive_t_REG_SZ && (text = plain_string(data, len))) {
                sb_escaped(b, text);
                free(text);
        } else if (t == hive_t_REG_DWORD && len == 4) {
                sb_addf(b, "dword:%08x", vhive_le32((const uint8_t *)data));
        } else {
                add_hex(b, t, data, len, start);
        }
}

char *vhive_export_value(const char *name, hive_type t, const char *data, size_t len)
{
        struct sbuf b = { 0 };

        add_value(&b, name, t, data, len);
        if (b.oom || !b.s) {
                free(b.s);
                return NULL;
        }
        return b.s;
}

static int export_values(hive_h *h, hive_node_h node, struct sbuf *b, size_t max_bytes,
                         struct vhive_error *err)
{
        _cleanup_free_ hive_value_h *vs = NULL;

        errno = 0;
        vs = hivex_node_values(h, node);
        if (!vs)
                return vhive_fail(err, errno, "reading values: %s", strerror(errno));
        for (size_t i = 0; vs[i]; i++) {
                _cleanup_free_ char *name = hivex_value_key(h, vs[i]);
                _cleanup_free_ char *data = NULL;
                hive_type t;
                size_t len;

                data = name ? hivex_value_value(h, vs[i], &t, &len) : NULL;
                if (!data)
                        return vhive_fail(err, errno, "reading a value: %s", strerror(errno));
                add_value(b, name, t, data, len);
                sb_add(b, CRLF);
                /* A value list may name one big value many times over. */
                if (b->len > max_bytes)
                        return vhive_fail(err, EFBIG, "export: the text passed %zu bytes",
                                          max_bytes);
        }
        return 0;
}

/* One walk over a subtree: the keys reached and the bounds. */
struct walk {
        hive_h *h;
        struct sbuf *b;
        struct vhive_node_seen seen;
        size_t max_bytes;
        struct vhive_error *err;
};

/* A hostile hive must not make the walk loop, recurse without end or
 * multiply (a subkey list pointing back up, or shared by many keys). */
static int walk_check(struct walk *w, hive_node_h node, const char *path, unsigned depth)
{
        int r;

        if (depth > VHIVE_MAX_KEY_DEPTH)
                return vhive_fail(w->err, ELOOP,
                                  "the hive's key tree is damaged: deeper than "
                                  "%u levels at %.200s...",
                                  VHIVE_MAX_KEY_DEPTH, path);
        r = vhive_node_seen_add(&w->seen, node);
        if (r < 0)
                return vhive_fail(w->err, ENOMEM, "out of memory");
        if (r > 0)
                return vhive_fail(w->err, ELOOP,
                                  "the hive's key tree is damaged: key %.400s "
                                  "is reached twice (a cycle or a shared subkey list)",
                                  path);
        if (w->b->len > w->max_bytes)
                return vhive_fail(w->err, EFBIG, "export: the text passed %zu bytes at %.400s",
                                  w->max_bytes, path);
        return 0;
}

static int export_key(struct walk *w, hive_node_h node, const char *path, unsigned depth)
{
        _cleanup_free_ hive_node_h *kids = NULL;
        hive_h *h = w->h;
        struct sbuf *b = w->b;
        struct vhive_error *err = w->err;
        int r = walk_check(w, node, path, depth);

        if (r < 0)
                return r;
        sb_add(b, "[");
        sb_add(b, path);
        sb_add(b, "]" CRLF);
        r = export_values(h, node, b, w->max_bytes, err);
        if (r < 0)
                return r;
        sb_add(b, CRLF);
        errno = 0;
        kids = hivex_node_children(h, node);
        if (!kids)
                return vhive_fail(err, errno, "reading subkeys: %s", strerror(errno));
        for (size_t i = 0; kids[i] && r == 0; i++) {
                _cleanup_free_ char *name = hivex_node_name(h, kids[i]);
                _cleanup_free_ char *sub = NULL;

                if (!name || asprintf(&sub, "%s\\%s", path, name) < 0)
                        return vhive_fail(err, ENOMEM, "out of memory");
                r = export_key(w, kids[i], sub, depth + 1);
        }
        return r;
}

static int to_utf16(struct sbuf *b, char **out, size_t *out_len, struct vhive_error *err)
{
        size_t len;
        _cleanup_free_ char *w = vhive_utf8_to_utf16le(b->s, &len);

        if (!w)
                return vhive_fail(err, errno ? errno : EINVAL, "export: cannot encode as UTF-16");
        *out = malloc(len);
        if (!*out)
                return vhive_fail(err, ENOMEM, "out of memory");
        (*out)[0] = (char)0xff;
        (*out)[1] = (char)0xfe;
        memcpy(*out + 2, w, len - 2); /* without the NUL */
        *out_len = len;
        return 0;
}

int vhive_export(hive_h *h, const hive_node_h *nodes, size_t n, const struct vhive_export_opts *o,
                 char **out, size_t *out_len, struct vhive_error *err)
{
        struct sbuf b = { 0 };
        struct walk w = { .h = h,
                          .b = &b,
                          .err = err,
                          .max_bytes = o->max_bytes ? o->max_bytes : VHIVE_EXPORT_MAX_BYTES };
        int r = 0;

        sb_add(&b, "Windows Registry Editor Version 5.00" CRLF CRLF);
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *path = NULL;
                char *rel;

                errno = 0;
                rel = vhive_node_path(h, nodes[i]);
                if (!rel && errno == ELOOP)
                        r = vhive_fail(err, ELOOP,
                                       "the hive's key tree is damaged: a key "
                                       "is more than %u levels deep",
                                       VHIVE_MAX_KEY_DEPTH);
                else if (!rel || asprintf(&path, "%s%s%s", o->prefix, *rel ? "\\" : "", rel) < 0)
                        r = vhive_fail(err, errno ? errno : ENOMEM, "reading a key's path: %s",
                                       strerror(errno ? errno : ENOMEM));
                else
                        r = export_key(&w, nodes[i], path, 0);
                free(rel);
                /* Each node is a subtree of its own; they may overlap. */
                vhive_node_seen_free(&w.seen);
        }
        if (r == 0 && b.len > w.max_bytes)
                r = vhive_fail(err, EFBIG, "export: the text passed %zu bytes", w.max_bytes);
        if (r == 0 && b.oom)
                r = vhive_fail(err, ENOMEM, "out of memory");
        if (r == 0 && o->utf16)
                r = to_utf16(&b, out, out_len, err);
        else if (r == 0) {
                *out = b.s;
                *out_len = b.len;
                return 0;
        }
        free(b.s);
        return r;
}
