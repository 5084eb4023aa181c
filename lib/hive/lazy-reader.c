/* A read-only regf reader that reads only the cells it is asked for,
 * through a pread callback (a hive inside an image, read through the
 * backend, or a hive file), so that a check of a 120 MB SOFTWARE reads a
 * few hundred KiB instead of the whole file (issue 19).  It answers as
 * hivex does (same names, same case-insensitive matching, same data), but
 * it never sees the cells it is not asked for: it does not validate every
 * bin as hivex_open does.  Every offset and size comes from the file and
 * is checked before use: a cell must be used, inside the hive bins, of a
 * sane size; lists may not claim more entries than their cell holds; ri
 * lists nest at most RI_DEPTH deep and a key lists at most MAX_SUBKEYS
 * subkeys (hivex's limits).  Any refusal is recorded (vhive_lazy_failed)
 * so that the caller can fall back to the full read and report exactly
 * what hivex says. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive.h"
#include "macro.h"

#define CHUNK (16u * 1024) /* bytes per cached read */
#define SLOTS 512u         /* cached chunks: 8 MiB at most */
#define MAX_SUBKEYS 70000u /* hivex's HIVEX_MAX_SUBKEYS */
#define MAX_VALUES 110000u /* HIVEX_MAX_VALUES */
#define MAX_DATA 8000000u  /* HIVEX_MAX_VALUE_LEN */
#define MAX_BLOCKS 70000u  /* intermediate subkey lists of one key */
#define RI_DEPTH 32u       /* hivex's limit on nested ri lists (CVE-2021-3622) */
#define MAX_CELL (MAX_DATA + 8u)
#define NO_CHUNK UINT64_MAX

struct slot {
        uint64_t chunk; /* NO_CHUNK when empty */
        uint8_t *data;
        size_t len;
};

struct vhive_lazy {
        vhive_pread_fn *pread;
        void *opaque;
        uint64_t end;  /* 4096 + hive-bins size: no cell reaches past it */
        uint64_t size; /* of the file */
        hive_node_h root;
        bool failed; /* a read was refused or failed */
        uint64_t bytes_read;
        struct vhive_error err; /* the last pread failure */
        struct slot slots[SLOTS];
};

/* A cell's body (after its size field), malloc'd. */
struct cell {
        uint8_t *b;
        size_t len;
};

static void *refuse(struct vhive_lazy *lz, int e)
{
        lz->failed = true;
        errno = e;
        return NULL;
}

static const uint8_t *chunk_at(struct vhive_lazy *lz, uint64_t chunk, size_t *len)
{
        struct slot *s = &lz->slots[chunk % SLOTS];
        uint64_t off = chunk * CHUNK;

        if (s->chunk == chunk) {
                *len = s->len;
                return s->data;
        }
        if (!s->data && !(s->data = malloc(CHUNK)))
                return refuse(lz, ENOMEM);
        s->chunk = NO_CHUNK;
        s->len = lz->size - off < CHUNK ? lz->size - off : CHUNK;
        if (lz->pread(lz->opaque, s->data, s->len, off, &lz->err) < 0)
                return refuse(lz, lz->err.errnum ? lz->err.errnum : EIO);
        lz->bytes_read += s->len;
        s->chunk = chunk;
        *len = s->len;
        return s->data;
}

/* len bytes at file offset off, all below lz->end (checked by callers). */
static int read_at(struct vhive_lazy *lz, uint64_t off, void *buf, size_t len)
{
        uint8_t *out = buf;

        while (len > 0) {
                size_t have, in = off % CHUNK, n;
                const uint8_t *c = chunk_at(lz, off / CHUNK, &have);

                if (!c)
                        return -1;
                if (in >= have) {
                        refuse(lz, EIO);
                        return -1;
                }
                n = have - in < len ? have - in : len;
                memcpy(out, c + in, n);
                out += n;
                off += n;
                len -= n;
        }
        return 0;
}

/* Where a cell offset from the file (relative to the hive bins) lands, or
 * 0 when it cannot be a cell. */
static uint64_t cell_offset(const struct vhive_lazy *lz, uint32_t rel)
{
        uint64_t off = (uint64_t)rel + VHIVE_REGF_BASE_BLOCK;

        /* The first bin's header is 32 bytes; cells are 8-byte aligned. */
        if (rel == UINT32_MAX || off % 8 != 0 || off < VHIVE_REGF_BASE_BLOCK + 32 ||
            off + 8 > lz->end)
                return 0;
        return off;
}

/* The used cell at off (a handle: a file offset), its id checked when id
 * is given. */
static int read_cell(struct vhive_lazy *lz, uint64_t off, const char *id, struct cell *c)
{
        uint8_t head[4];
        int32_t size;

        c->b = NULL;
        if (off == 0 || off % 8 != 0 || off < VHIVE_REGF_BASE_BLOCK + 32 || off + 8 > lz->end) {
                refuse(lz, EFAULT);
                return -1;
        }
        if (read_at(lz, off, head, 4) < 0)
                return -1;
        size = (int32_t)vhive_le32(head);
        /* Used cells have a negative size; free ones are not what a
         * structure may point at. */
        if (size >= 0 || size == INT32_MIN || -size < 8 || -size % 8 != 0 ||
            (uint32_t)-size > MAX_CELL || off + (uint32_t)-size > lz->end) {
                refuse(lz, EFAULT);
                return -1;
        }
        c->len = (size_t)-size - 4;
        c->b = malloc(c->len);
        if (!c->b) {
                refuse(lz, ENOMEM);
                return -1;
        }
        if (read_at(lz, off + 4, c->b, c->len) < 0 ||
            (id && (c->len < 2 || memcmp(c->b, id, 2) != 0))) {
                free(c->b);
                c->b = NULL;
                refuse(lz, id ? EINVAL : EIO);
                return -1;
        }
        return 0;
}

/* ---- names ------------------------------------------------------------ */

static char *latin1_to_utf8(const uint8_t *s, size_t len)
{
        char *out = malloc(2 * len + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < 0x80) {
                        *o++ = (char)s[i];
                } else {
                        *o++ = (char)(0xc0 | s[i] >> 6);
                        *o++ = (char)(0x80 | (s[i] & 0x3f));
                }
        }
        *o = '\0';
        return out;
}

/* hivex converts a UTF-16 name with iconv, which fails on a lone
 * surrogate (and on an odd length): such a name is refused, so that the
 * full read says what hivex says, where vhive_utf16le_to_utf8 would give
 * U+FFFD and answer a lookup hivex cannot. */
static bool utf16_well_formed(const uint8_t *p, size_t len)
{
        if (len % 2)
                return false;
        for (size_t i = 0; i + 1 < len; i += 2) {
                unsigned u = p[i] | p[i + 1] << 8, lo;

                if (u < 0xd800 || u >= 0xe000)
                        continue;
                if (u >= 0xdc00 || i + 3 >= len)
                        return false;
                lo = p[i + 2] | p[i + 3] << 8;
                if (lo < 0xdc00 || lo >= 0xe000)
                        return false;
                i += 2;
        }
        return true;
}

/* A name of len bytes at body offset at: Latin-1 when compressed (the
 * flag bit), UTF-16LE otherwise, as hivex converts them. */
static char *cell_name(struct vhive_lazy *lz, const struct cell *c, size_t at, size_t len,
                       bool compressed)
{
        char *s;

        if (at + len > c->len)
                return refuse(lz, EFAULT);
        if (!compressed && !utf16_well_formed(c->b + at, len))
                return refuse(lz, EILSEQ);
        s = compressed ? latin1_to_utf8(c->b + at, len)
                       : vhive_utf16le_to_utf8((const char *)c->b + at, len);
        return s ? s : refuse(lz, errno ? errno : ENOMEM);
}

#define NK_MIN 76u /* nk body up to its name */
#define VK_MIN 20u /* vk body up to its name */

static int read_nk(struct vhive_lazy *lz, hive_node_h node, struct cell *c)
{
        if (read_cell(lz, node, "nk", c) < 0)
                return -1;
        if (c->len < NK_MIN || NK_MIN + (size_t)vhive_le16(c->b + 72) > c->len) {
                free(c->b);
                refuse(lz, EFAULT);
                return -1;
        }
        return 0;
}

static char *nk_name(struct vhive_lazy *lz, const struct cell *nk)
{
        uint16_t flags = nk->b[2] | nk->b[3] << 8;
        size_t len = nk->b[72] | nk->b[73] << 8;

        return cell_name(lz, nk, NK_MIN, len, flags & 0x20);
}

/* ---- subkeys ---------------------------------------------------------- */

struct list {
        hive_node_h *v;
        size_t n, max;
        unsigned blocks;
};

static int push(struct vhive_lazy *lz, struct list *l, uint32_t rel)
{
        uint64_t off = cell_offset(lz, rel);

        if (off == 0 || l->n >= l->max) {
                refuse(lz, off ? ERANGE : EFAULT);
                return -1;
        }
        l->v[l->n++] = off;
        return 0;
}

/* lf/lh (offset, hint pairs), li (offsets of keys), ri (offsets of lists). */
static int walk_list(struct vhive_lazy *lz, uint64_t off, unsigned depth, struct list *l)
{
        _cleanup_free_ uint8_t *b = NULL;
        struct cell c;
        size_t n, step;
        bool ri;

        if (++l->blocks > MAX_BLOCKS || depth > RI_DEPTH) {
                refuse(lz, ERANGE);
                return -1;
        }
        if (read_cell(lz, off, NULL, &c) < 0)
                return -1;
        b = c.b;
        ri = c.len >= 2 && memcmp(b, "ri", 2) == 0;
        if (c.len < 4 || !(ri || (b[0] == 'l' && (b[1] == 'f' || b[1] == 'h' || b[1] == 'i')))) {
                refuse(lz, ENOTSUP);
                return -1;
        }
        n = b[2] | b[3] << 8;
        step = b[1] == 'f' || b[1] == 'h' ? 8 : 4;
        if (4 + n * step > c.len) {
                refuse(lz, EFAULT);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                uint32_t rel = vhive_le32(b + 4 + i * step);
                uint64_t sub = cell_offset(lz, rel);
                int r = !ri ? push(lz, l, rel) : sub ? walk_list(lz, sub, depth + 1, l) : -1;

                if (r < 0) {
                        if (ri && !sub)
                                refuse(lz, EFAULT);
                        return -1;
                }
        }
        return 0;
}

static hive_node_h *lazy_children(const struct vhive_reader *rd, hive_node_h node)
{
        struct vhive_lazy *lz = rd->lazy;
        struct cell nk;
        struct list l = { NULL, 0, 0, 0 };
        uint32_t count, list;

        if (read_nk(lz, node, &nk) < 0)
                return NULL;
        count = vhive_le32(nk.b + 20);
        list = vhive_le32(nk.b + 28);
        free(nk.b);
        if (count > MAX_SUBKEYS)
                return refuse(lz, ERANGE);
        l.max = count;
        l.v = calloc(count + 1, sizeof(*l.v));
        if (!l.v)
                return refuse(lz, ENOMEM);
        if (count == 0)
                return l.v;
        /* Every entry must be a key, and there must be exactly as many as
         * the key says (hivex refuses a count that lies either way). */
        if (walk_list(lz, cell_offset(lz, list), 0, &l) < 0 || l.n != count) {
                free(l.v);
                return refuse(lz, l.n != count ? ENOTSUP : errno);
        }
        for (size_t i = 0; i < l.n; i++) {
                struct cell c;

                if (read_cell(lz, l.v[i], "nk", &c) < 0) {
                        free(l.v);
                        return refuse(lz, EFAULT);
                }
                free(c.b);
        }
        return l.v;
}

static char *lazy_name(const struct vhive_reader *rd, hive_node_h node)
{
        struct cell nk;
        char *s;

        if (read_nk(rd->lazy, node, &nk) < 0)
                return NULL;
        s = nk_name(rd->lazy, &nk);
        free(nk.b);
        return s;
}

static hive_node_h lazy_get_child(const struct vhive_reader *rd, hive_node_h node, const char *name)
{
        _cleanup_free_ hive_node_h *kids = lazy_children(rd, node);

        if (!kids)
                return 0;
        for (size_t i = 0; kids[i]; i++) {
                _cleanup_free_ char *n = lazy_name(rd, kids[i]);

                if (!n)
                        return 0;
                if (strcasecmp(n, name) == 0)
                        return kids[i];
        }
        errno = 0;
        return 0;
}

static hive_node_h lazy_parent(const struct vhive_reader *rd, hive_node_h node)
{
        struct cell nk;
        uint64_t parent;

        if (read_nk(rd->lazy, node, &nk) < 0)
                return 0;
        parent = cell_offset(rd->lazy, vhive_le32(nk.b + 16));
        free(nk.b);
        if (parent == 0)
                refuse(rd->lazy, EFAULT);
        return parent;
}

static hive_node_h lazy_root(const struct vhive_reader *rd)
{
        return rd->lazy->root;
}

/* ---- values ----------------------------------------------------------- */

static int read_vk(struct vhive_lazy *lz, hive_value_h v, struct cell *c)
{
        if (read_cell(lz, v, "vk", c) < 0)
                return -1;
        if (c->len < VK_MIN || VK_MIN + (size_t)vhive_le16(c->b + 2) > c->len) {
                free(c->b);
                refuse(lz, EFAULT);
                return -1;
        }
        return 0;
}

static char *lazy_value_key(const struct vhive_reader *rd, hive_value_h v)
{
        struct cell vk;
        char *s;

        if (read_vk(rd->lazy, v, &vk) < 0)
                return NULL;
        s = cell_name(rd->lazy, &vk, VK_MIN, vk.b[2] | vk.b[3] << 8, vk.b[16] & 0x01);
        free(vk.b);
        return s;
}

static hive_value_h lazy_get_value(const struct vhive_reader *rd, hive_node_h node,
                                   const char *name)
{
        struct vhive_lazy *lz = rd->lazy;
        _cleanup_free_ uint8_t *list = NULL;
        struct cell nk, vl;
        uint32_t count, at;

        if (read_nk(lz, node, &nk) < 0)
                return 0;
        count = vhive_le32(nk.b + 36);
        at = vhive_le32(nk.b + 40);
        free(nk.b);
        errno = 0;
        if (count == 0)
                return 0;
        if (count > MAX_VALUES) {
                refuse(lz, ERANGE);
                return 0;
        }
        if (read_cell(lz, cell_offset(lz, at), NULL, &vl) < 0)
                return 0;
        list = vl.b;
        if ((size_t)count * 4 > vl.len) { /* a count that lies */
                refuse(lz, EFAULT);
                return 0;
        }
        /* hivex lists every value first, each a used cell, then matches. */
        for (uint32_t i = 0; i < count; i++) {
                struct cell c;

                if (read_cell(lz, cell_offset(lz, vhive_le32(list + 4 * i)), NULL, &c) < 0)
                        return 0;
                free(c.b);
        }
        for (uint32_t i = 0; i < count; i++) {
                uint64_t v = cell_offset(lz, vhive_le32(list + 4 * i));
                _cleanup_free_ char *key = v ? lazy_value_key(rd, v) : NULL;

                if (!key) {
                        refuse(lz, errno ? errno : EFAULT);
                        return 0;
                }
                if (strcasecmp(key, name) == 0)
                        return v;
        }
        errno = 0;
        return 0;
}

static int lazy_value_type(const struct vhive_reader *rd, hive_value_h v, hive_type *t, size_t *len)
{
        struct cell vk;

        if (read_vk(rd->lazy, v, &vk) < 0)
                return -1;
        if (t)
                *t = (hive_type)vhive_le32(vk.b + 12);
        if (len)
                *len = vhive_le32(vk.b + 4) & 0x7fffffffu;
        free(vk.b);
        return 0;
}

/* Big data (db): a list of segments, each holding up to
 * VHIVE_BIG_DATA_SEGMENT bytes; together exactly len. */
static int big_data(struct vhive_lazy *lz, const struct cell *db, char *out, size_t len)
{
        _cleanup_free_ uint8_t *list = NULL;
        struct cell sl;
        size_t n, off = 0;

        if (db->len < 8) {
                refuse(lz, EINVAL);
                return -1;
        }
        n = db->b[2] | db->b[3] << 8;
        if (n == 0 || n != (len + VHIVE_BIG_DATA_SEGMENT - 1) / VHIVE_BIG_DATA_SEGMENT ||
            read_cell(lz, cell_offset(lz, vhive_le32(db->b + 4)), NULL, &sl) < 0) {
                refuse(lz, EINVAL);
                return -1;
        }
        list = sl.b;
        if (n * 4 > sl.len) { /* a segment count that lies */
                refuse(lz, EINVAL);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ uint8_t *seg = NULL;
                struct cell s;
                size_t take = len - off < VHIVE_BIG_DATA_SEGMENT ? len - off
                                                                 : VHIVE_BIG_DATA_SEGMENT;

                if (read_cell(lz, cell_offset(lz, vhive_le32(list + 4 * i)), NULL, &s) < 0)
                        return -1;
                seg = s.b;
                if (take > s.len) {
                        refuse(lz, EINVAL);
                        return -1;
                }
                memcpy(out + off, seg, take);
                off += take;
        }
        return 0;
}

static char *lazy_value_value(const struct vhive_reader *rd, hive_value_h v, hive_type *t,
                              size_t *len_out)
{
        struct vhive_lazy *lz = rd->lazy;
        _cleanup_free_ uint8_t *vkb = NULL;
        _cleanup_free_ uint8_t *datab = NULL;
        struct cell vk, data;
        uint32_t raw;
        size_t len;
        char *out;

        if (read_vk(lz, v, &vk) < 0)
                return NULL;
        vkb = vk.b;
        raw = vhive_le32(vkb + 4);
        len = raw & 0x7fffffffu;
        if (t)
                *t = (hive_type)vhive_le32(vkb + 12);
        if (len_out)
                *len_out = len;
        if ((raw & 0x80000000u) && len > 4)
                return refuse(lz, ENOTSUP);
        if (len > MAX_DATA)
                return refuse(lz, ERANGE);
        out = malloc(len ? len : 1);
        if (!out)
                return refuse(lz, ENOMEM);
        if (raw & 0x80000000u) { /* inline, in the data offset field */
                memcpy(out, vkb + 8, len);
                return out;
        }
        if (read_cell(lz, cell_offset(lz, vhive_le32(vkb + 8)), NULL, &data) < 0) {
                free(out);
                return refuse(lz, EFAULT);
        }
        datab = data.b;
        if (len <= data.len) {
                memcpy(out, datab, len);
                return out;
        }
        if (data.len < 2 || memcmp(datab, "db", 2) != 0 || big_data(lz, &data, out, len) < 0) {
                free(out);
                return refuse(lz, EINVAL);
        }
        return out;
}

static const struct vhive_reader_ops lazy_ops = {
        .root = lazy_root,
        .children = lazy_children,
        .get_child = lazy_get_child,
        .parent = lazy_parent,
        .name = lazy_name,
        .get_value = lazy_get_value,
        .value_key = lazy_value_key,
        .value_type = lazy_value_type,
        .value_value = lazy_value_value,
};

/* ---- opening ---------------------------------------------------------- */

int vhive_lazy_open(const struct vhive_regf_header *hdr, uint64_t file_size, vhive_pread_fn *pread,
                    void *opaque, struct vhive_lazy **out, struct vhive_error *err)
{
        struct vhive_lazy *lz;
        struct cell root;

        *out = NULL;
        /* hivex reads only major version 1; a hive that is not clean, or
         * whose bins the file does not hold, goes the full way. */
        if (hdr->major != 1 || vhive_regf_is_dirty(hdr) || hdr->hbins_size == 0 ||
            hdr->hbins_size % 4096 != 0 ||
            (uint64_t)VHIVE_REGF_BASE_BLOCK + hdr->hbins_size > file_size)
                return 1;
        lz = calloc(1, sizeof(*lz));
        if (!lz)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < SLOTS; i++)
                lz->slots[i].chunk = NO_CHUNK;
        lz->pread = pread;
        lz->opaque = opaque;
        lz->size = file_size;
        lz->end = (uint64_t)VHIVE_REGF_BASE_BLOCK + hdr->hbins_size;
        lz->root = cell_offset(lz, hdr->root_offset);
        if (lz->root && read_nk(lz, lz->root, &root) == 0) {
                free(root.b);
                *out = lz;
                return 0;
        }
        if (lz->err.errnum) {
                int e = lz->err.errnum;

                *err = lz->err;
                vhive_lazy_close(lz);
                return -e;
        }
        vhive_lazy_close(lz);
        return 1; /* no root key where the header says: hivex says why */
}

struct vhive_reader vhive_reader_lazy(struct vhive_lazy *lz)
{
        return (struct vhive_reader){ .ops = &lazy_ops, .lazy = lz };
}

bool vhive_lazy_failed(const struct vhive_lazy *lz)
{
        return lz->failed;
}

uint64_t vhive_lazy_bytes_read(const struct vhive_lazy *lz)
{
        return lz->bytes_read;
}

void vhive_lazy_close(struct vhive_lazy *lz)
{
        if (!lz)
                return;
        for (size_t i = 0; i < SLOTS; i++)
                free(lz->slots[i].data);
        free(lz);
}
