/* Reading regedit files into a list of key and value operations, and the
 * typed values of "vhive set".  Nothing here touches a hive.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "reg.h"
#include "safe-file.h"

#define HEADER5 "Windows Registry Editor Version 5.00"
#define HEADER4 "REGEDIT4"

struct parser {
        struct vhive_regfile *rf;
        struct vhive_error *err;
        unsigned line; /* of the line being parsed (first of a continued one) */
        char *next;    /* the rest of the text */
        unsigned next_line;
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
        char what[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return vhive_fail(p->err, EINVAL, "%s:%u: %s", p->rf->name, p->line, what);
}

/* ---- text decoding ---------------------------------------------------- */

static int decode(const uint8_t *data, size_t len, char **text, const char *name,
                  struct vhive_error *err)
{
        if (len >= 2 && data[0] == 0xfe && data[1] == 0xff)
                return vhive_fail(err, EINVAL, "%s: UTF-16 big-endian is not supported", name);
        if (len >= 2 && data[0] == 0xff && data[1] == 0xfe) {
                if (len % 2)
                        return vhive_fail(err, EINVAL, "%s: UTF-16 text of odd length", name);
                for (size_t i = 2; i < len; i += 2)
                        if (data[i] == 0 && data[i + 1] == 0)
                                return vhive_fail(err, EINVAL, "%s: NUL character in the text",
                                                  name);
                *text = vhive_utf16le_to_utf8((const char *)data + 2, len - 2);
                if (!*text)
                        return vhive_fail(err, errno, "%s: not valid UTF-16LE: %s", name,
                                          strerror(errno));
                return 0;
        }
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
                data += 3;
                len -= 3;
        }
        if (memchr(data, '\0', len))
                return vhive_fail(err, EINVAL,
                                  "%s: NUL byte in the text (UTF-16 without a byte order mark?)",
                                  name);
        *text = strndup((const char *)data, len);
        if (!*text)
                return vhive_fail(err, ENOMEM, "%s: out of memory", name);
        return 0;
}

/* ---- lines ------------------------------------------------------------ */

static char *skip_ws(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

static void rtrim(char *s)
{
        size_t n = strlen(s);

        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = '\0';
}

/* The next physical line, trimmed; NULL at the end. */
static char *next_line(struct parser *p)
{
        char *line = p->next, *nl;

        if (!line)
                return NULL;
        nl = strchr(line, '\n');
        if (nl) {
                *nl = '\0';
                p->next = nl + 1;
        } else {
                p->next = NULL;
        }
        p->line = ++p->next_line;
        rtrim(line);
        return skip_ws(line);
}

/* Joins the lines that a trailing backslash continues into one malloc'd
 * string. */
static int continued(struct parser *p, const char *first, char **out)
{
        size_t len = strlen(first);
        unsigned start = p->line;
        char *s = strdup(first);

        while (s && len && s[len - 1] == '\\') {
                char *more = next_line(p), *t;

                s[--len] = '\0';
                if (!more)
                        break;
                t = realloc(s, len + strlen(more) + 1);
                if (!t) {
                        free(s);
                        s = NULL;
                        break;
                }
                s = t;
                strcpy(s + len, more);
                len = strlen(s);
        }
        p->line = start;
        *out = s;
        return s ? 0 : vhive_fail(p->err, ENOMEM, "out of memory");
}

/* Only blanks or a comment may follow the data. */
static int end_of_line(struct parser *p, const char *s)
{
        s = skip_ws((char *)s);
        if (*s && *s != ';')
                return perr(p, "unexpected text after the value: '%s'", s);
        return 0;
}

/* ---- keys ------------------------------------------------------------- */

static int add_key(struct parser *p, const char *text, bool remove)
{
        struct vhive_regfile *rf = p->rf;
        struct vhive_reg_key *keys, *k;
        int r;

        keys = realloc(rf->keys, (rf->n_keys + 1) * sizeof(*keys));
        if (!keys)
                return vhive_fail(p->err, ENOMEM, "out of memory");
        rf->keys = keys;
        k = &keys[rf->n_keys];
        *k = (struct vhive_reg_key){ .remove = remove, .line = p->line };
        k->text = strdup(text);
        if (!k->text)
                return vhive_fail(p->err, ENOMEM, "out of memory");
        rf->n_keys++;
        r = vhive_keypath_parse(text, &k->path, p->err);
        if (r < 0)
                return perr(p, "%s", p->err->msg);
        if (!k->path.root)
                return perr(p, "[%s]: a key must start with HKEY_LOCAL_MACHINE\\", text);
        if (remove && k->path.n == 0)
                return perr(p, "[-%s]: cannot delete a hive's root key", text);
        return 0;
}

static int parse_key_line(struct parser *p, char *s)
{
        char *close = strrchr(s, ']');
        bool remove;

        if (!close)
                return perr(p, "key line without a closing ']'");
        *close = '\0';
        if (end_of_line(p, close + 1) < 0)
                return -EINVAL;
        s++;
        remove = *s == '-';
        if (remove)
                s++;
        if (!*s)
                return perr(p, "empty key name in brackets");
        return add_key(p, s, remove);
}

/* ---- values ----------------------------------------------------------- */

/* A quoted string with \\ and \" escapes; *s points at the opening quote
 * and is left after the closing one. */
static int parse_quoted(struct parser *p, char **s, char **out)
{
        char *in = *s + 1, *o;

        *out = o = malloc(strlen(in) + 1);
        if (!o)
                return vhive_fail(p->err, ENOMEM, "out of memory");
        for (; *in && *in != '"'; in++) {
                if (*in == '\\') {
                        in++;
                        if (*in != '\\' && *in != '"')
                                return perr(p,
                                            "unknown escape '\\%c' (only \\\\ and \\\" "
                                            "are allowed)",
                                            *in ? *in : ' ');
                }
                *o++ = *in;
        }
        *o = '\0';
        if (*in != '"')
                return perr(p, "missing closing quote");
        *s = in + 1;
        return 0;
}

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_dword(struct parser *p, const char *s, struct vhive_reg_value *v)
{
        uint32_t n = 0;
        unsigned digits = 0;

        for (; hexval(*s) >= 0; s++, digits++)
                n = n << 4 | (uint32_t)hexval(*s);
        if (digits == 0 || digits > 8)
                return perr(p, "dword: needs 1 to 8 hex digits");
        if (end_of_line(p, s) < 0)
                return -EINVAL;
        v->type = hive_t_REG_DWORD;
        v->len = 4;
        v->data = malloc(4);
        if (!v->data)
                return vhive_fail(p->err, ENOMEM, "out of memory");
        vhive_put_le32((uint8_t *)v->data, n);
        return 0;
}

/* "01,02, 0a,\n" after the continuation lines are joined. */
static int parse_hex_bytes(struct parser *p, const char *s, char **data, size_t *len)
{
        uint8_t *out = malloc(strlen(s) / 2 + 1);
        size_t n = 0;

        *data = (char *)out;
        if (!out)
                return vhive_fail(p->err, ENOMEM, "out of memory");
        for (s = skip_ws((char *)s); *s && *s != ';'; s = skip_ws((char *)s)) {
                if (hexval(s[0]) < 0)
                        return perr(p, "bad hex byte at '%.12s'", s);
                if (hexval(s[1]) >= 0) {
                        out[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
                        s += 2;
                } else {
                        out[n++] = (uint8_t)hexval(s[0]);
                        s++;
                }
                s = skip_ws((char *)s);
                if (*s == ',')
                        s++;
                else if (*s && *s != ';')
                        return perr(p, "expected ',' between hex bytes at '%.12s'", s);
        }
        *len = n;
        return 0;
}

/* REGEDIT4 stores hex(2) and hex(7) text as ANSI bytes; the hive holds
 * UTF-16LE.  Bytes are taken as Latin-1. */
static int widen(struct parser *p, struct vhive_reg_value *v)
{
        uint8_t *w = malloc(v->len * 2 + 1);

        if (!w)
                return vhive_fail(p->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < v->len; i++) {
                w[2 * i] = (uint8_t)v->data[i];
                w[2 * i + 1] = 0;
        }
        free(v->data);
        v->data = (char *)w;
        v->len *= 2;
        return 0;
}

static int parse_hex(struct parser *p, const char *s, struct vhive_reg_value *v)
{
        unsigned long type = hive_t_REG_BINARY;
        char *end;
        int r;

        s += 3;
        if (*s == '(') {
                errno = 0;
                type = strtoul(s + 1, &end, 16);
                if (end == s + 1 || *end != ')' || errno || type > UINT32_MAX ||
                    !isxdigit((unsigned char)s[1]))
                        return perr(p, "bad hex(TYPE): expected hex(0) ... hex(ffffffff)");
                s = end + 1;
        }
        if (*s != ':')
                return perr(p, "expected ':' after hex");
        v->type = (hive_type)type;
        r = parse_hex_bytes(p, s + 1, &v->data, &v->len);
        if (r == 0 && p->rf->regedit4 &&
            (type == hive_t_REG_EXPAND_SZ || type == hive_t_REG_MULTI_SZ))
                r = widen(p, v);
        return r;
}

static int parse_string_data(struct parser *p, char *s, struct vhive_reg_value *v)
{
        _cleanup_free_ char *text = NULL;
        int r = parse_quoted(p, &s, &text);

        if (r < 0)
                return r;
        if (end_of_line(p, s) < 0)
                return -EINVAL;
        v->type = hive_t_REG_SZ;
        v->data = vhive_utf8_to_utf16le(text, &v->len);
        if (!v->data)
                return perr(p, "string is not valid UTF-8");
        return 0;
}

static int parse_data(struct parser *p, char *s, struct vhive_reg_value *v)
{
        _cleanup_free_ char *joined = NULL;
        int r;

        if (*s == '-') {
                v->remove = true;
                return end_of_line(p, s + 1);
        }
        if (*s == '"')
                return parse_string_data(p, s, v);
        if (strncasecmp(s, "dword:", 6) == 0)
                return parse_dword(p, s + 6, v);
        if (strncasecmp(s, "hex", 3) == 0 && (s[3] == ':' || s[3] == '(')) {
                r = continued(p, s, &joined);
                return r < 0 ? r : parse_hex(p, joined, v);
        }
        return perr(p,
                    "unknown value data '%.20s' (expected \"text\", dword:, hex:, "
                    "hex(N): or -)",
                    s);
}

static int push_value(struct parser *p, struct vhive_reg_value **out)
{
        struct vhive_reg_key *k = &p->rf->keys[p->rf->n_keys - 1];
        struct vhive_reg_value *v = realloc(k->values, (k->n_values + 1) * sizeof(*v));

        if (!v)
                return vhive_fail(p->err, ENOMEM, "out of memory");
        k->values = v;
        *out = &v[k->n_values++];
        **out = (struct vhive_reg_value){ .line = p->line };
        return 0;
}

static int parse_value_line(struct parser *p, char *s)
{
        struct vhive_reg_value *v = NULL;
        int r;

        if (p->rf->n_keys == 0)
                return perr(p, "value outside any [KEY]");
        if (p->rf->keys[p->rf->n_keys - 1].remove)
                return perr(p, "value under a [-KEY] deletion");
        r = push_value(p, &v);
        if (r < 0)
                return r;
        if (*s == '@') {
                v->name = strdup("");
                s++;
                if (!v->name)
                        return vhive_fail(p->err, ENOMEM, "out of memory");
        } else {
                r = parse_quoted(p, &s, &v->name);
                if (r < 0)
                        return r;
        }
        s = skip_ws(s);
        if (*s != '=')
                return perr(p, "expected '=' after the value name");
        return parse_data(p, skip_ws(s + 1), v);
}

/* ---- the file --------------------------------------------------------- */

static int parse_header(struct parser *p)
{
        char *s;

        do
                s = next_line(p);
        while (s && !*s);
        if (s && strcmp(s, HEADER5) == 0)
                return 0;
        if (s && strcmp(s, HEADER4) == 0) {
                p->rf->regedit4 = true;
                return 0;
        }
        if (!s)
                return perr(p, "empty file: expected \"" HEADER5 "\"");
        return perr(p, "not a regedit file: the first line must be \"" HEADER5 "\" or \"" HEADER4
                       "\"");
}

static int parse_lines(struct parser *p)
{
        char *s;
        int r = 0;

        while (r == 0 && (s = next_line(p))) {
                if (!*s || *s == ';')
                        continue;
                if (*s == '[')
                        r = parse_key_line(p, s);
                else if (*s == '"' || *s == '@')
                        r = parse_value_line(p, s);
                else
                        r = perr(p, "unexpected text '%.20s'", s);
        }
        return r;
}

int vhive_regfile_parse(struct vhive_regfile *rf, const char *name, const uint8_t *data, size_t len,
                        struct vhive_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct parser p = { .rf = rf, .err = err };
        int r;

        *rf = (struct vhive_regfile){ 0 };
        rf->name = strdup(name);
        if (!rf->name)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = decode(data, len, &text, name, err);
        if (r == 0) {
                p.next = text;
                r = parse_header(&p);
        }
        if (r == 0)
                r = parse_lines(&p);
        if (r < 0)
                vhive_regfile_free(rf);
        return r;
}

int vhive_regfile_load(struct vhive_regfile *rf, const char *path, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *data = NULL;
        size_t len;
        int r;

        r = vhive_read_file(path, &data, &len, err);
        if (r < 0)
                return r;
        return vhive_regfile_parse(rf, path, data, len, err);
}

void vhive_regfile_free(struct vhive_regfile *rf)
{
        for (size_t i = 0; i < rf->n_keys; i++) {
                struct vhive_reg_key *k = &rf->keys[i];

                for (size_t j = 0; j < k->n_values; j++) {
                        free(k->values[j].name);
                        free(k->values[j].data);
                }
                free(k->values);
                free(k->text);
                vhive_keypath_free(&k->path);
        }
        free(rf->keys);
        free(rf->name);
        *rf = (struct vhive_regfile){ 0 };
}

/* ---- typed values: "vhive set" ---------------------------------------- */

static int parse_number(const char *s, uint64_t max, uint64_t *n, struct vhive_error *err)
{
        char *end;

        errno = 0;
        if (*s == '-' || !*s)
                return vhive_fail(err, EINVAL, "'%s' is not a number", s);
        *n = strtoull(s, &end, 0);
        if (errno || *end || *n > max)
                return vhive_fail(err, EINVAL, "'%s' is not a number up to %" PRIu64, s, max);
        return 0;
}

static int typed_int(const char *s, unsigned bytes, char **data, size_t *len,
                     struct vhive_error *err)
{
        uint64_t n = 0;
        int r = parse_number(s, bytes == 4 ? UINT32_MAX : UINT64_MAX, &n, err);

        if (r < 0)
                return r;
        *data = malloc(bytes);
        if (!*data)
                return vhive_fail(err, ENOMEM, "out of memory");
        vhive_put_le32((uint8_t *)*data, (uint32_t)n);
        if (bytes == 8)
                vhive_put_le32((uint8_t *)*data + 4, (uint32_t)(n >> 32));
        *len = bytes;
        return 0;
}

/* "a,b\,c" -> UTF-16LE "a\0b,c\0\0". */
static int typed_multi(const char *s, char **data, size_t *len, struct vhive_error *err)
{
        _cleanup_free_ char *items = malloc(strlen(s) + 2);
        size_t n = 0;
        char *o = items;

        if (!items)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (!*s) {
                const char *blank;

                vhive_blank_for_type(hive_t_REG_MULTI_SZ, &blank, len);
                *data = malloc(*len ? *len : 1);
                if (*data)
                        memcpy(*data, blank, *len);
                return *data ? 0 : vhive_fail(err, ENOMEM, "out of memory");
        }
        for (; *s; s++) {
                if (*s == '\\' && (s[1] == ',' || s[1] == '\\'))
                        *o++ = *++s;
                else
                        *o++ = *s == ',' ? '\0' : *s;
        }
        *o++ = '\0';
        n = (size_t)(o - items);
        *data = malloc(n * 4 + 2);
        if (!*data)
                return vhive_fail(err, ENOMEM, "out of memory");
        *len = 0;
        for (const char *it = items; it < items + n; it += strlen(it) + 1) {
                size_t l;
                _cleanup_free_ char *w = vhive_utf8_to_utf16le(it, &l);

                if (!w)
                        return vhive_fail(err, EINVAL, "multi: not valid UTF-8");
                memcpy(*data + *len, w, l);
                *len += l;
        }
        (*data)[(*len)++] = 0;
        (*data)[(*len)++] = 0;
        return 0;
}

static int typed_hex(const char *s, hive_type *type, char **data, size_t *len,
                     struct vhive_error *err)
{
        _cleanup_free_ char *t = strdup(s);
        struct vhive_regfile rf = { .name = (char *)"hex" };
        struct parser p = { .rf = &rf, .err = err };
        char *colon;
        uint64_t n = 0;
        int r;

        if (!t)
                return vhive_fail(err, ENOMEM, "out of memory");
        colon = strchr(t, ':');
        if (!colon)
                return vhive_fail(err, EINVAL, "expected hex:TYPE:BYTES, e.g. hex:3:01,02");
        *colon = '\0';
        r = parse_number(t, UINT32_MAX, &n, err);
        if (r < 0)
                return r;
        *type = (hive_type)n;
        for (char *c = colon + 1; *c; c++)
                if (*c == ',' || *c == ' ' || *c == ';')
                        return parse_hex_bytes(&p, colon + 1, data, len) < 0
                                       ? vhive_fail(err, EINVAL, "hex: bad bytes '%s'", colon + 1)
                                       : 0;
        /* "0102ff": pairs without separators. */
        *len = strlen(colon + 1) / 2;
        *data = malloc(*len + 1);
        if (!*data)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < *len; i++) {
                int hi = hexval(colon[1 + 2 * i]), lo = hexval(colon[2 + 2 * i]);

                if (hi < 0 || lo < 0)
                        return vhive_fail(err, EINVAL, "hex: bad bytes '%s'", colon + 1);
                (*data)[i] = (char)(hi << 4 | lo);
        }
        if (strlen(colon + 1) % 2)
                return vhive_fail(err, EINVAL, "hex: odd number of hex digits in '%s'", colon + 1);
        return 0;
}

static int typed_string(const char *s, char **data, size_t *len, struct vhive_error *err)
{
        *data = vhive_utf8_to_utf16le(s, len);
        return *data ? 0 : vhive_fail(err, EINVAL, "'%s' is not valid UTF-8", s);
}

static int typed_dispatch(const char *text, hive_type *type, char **data, size_t *len,
                          struct vhive_error *err)
{
        if (strcmp(text, "none") == 0) {
                *type = hive_t_REG_NONE;
                *len = 0;
                *data = malloc(1);
                return *data ? 0 : vhive_fail(err, ENOMEM, "out of memory");
        }
        if (strncmp(text, "string:", 7) == 0) {
                *type = hive_t_REG_SZ;
                return typed_string(text + 7, data, len, err);
        }
        if (strncmp(text, "expand:", 7) == 0) {
                *type = hive_t_REG_EXPAND_SZ;
                return typed_string(text + 7, data, len, err);
        }
        if (strncmp(text, "multi:", 6) == 0) {
                *type = hive_t_REG_MULTI_SZ;
                return typed_multi(text + 6, data, len, err);
        }
        if (strncmp(text, "dword:", 6) == 0) {
                *type = hive_t_REG_DWORD;
                return typed_int(text + 6, 4, data, len, err);
        }
        if (strncmp(text, "qword:", 6) == 0) {
                *type = hive_t_REG_QWORD;
                return typed_int(text + 6, 8, data, len, err);
        }
        if (strncmp(text, "hex:", 4) == 0)
                return typed_hex(text + 4, type, data, len, err);
        return vhive_fail(err, EINVAL,
                          "value '%s': expected string:, expand:, multi:, dword:, qword:, "
                          "hex:TYPE:BYTES or none",
                          text);
}

int vhive_typed_value_parse(const char *text, hive_type *type, char **data, size_t *len,
                            struct vhive_error *err)
{
        int r;

        *data = NULL;
        r = typed_dispatch(text, type, data, len, err);
        if (r < 0) {
                free(*data);
                *data = NULL;
        }
        return r;
}
