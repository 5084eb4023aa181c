/* What hivex will free, checked before it frees it.
 *
 * hivex_node_set_values and hivex_node_delete_child free the cells a key
 * owns through mark_block_unused (hivex lib/write.c), which asserts that
 * each is the start of a used cell not freed already: a damaged hive
 * aborts the process.  hivex reads some of these offsets without checking
 * them first (the data cell of a REG_DWORD while deleting, a value list
 * that is also a value's data cell, a data cell two keys share).  So,
 * before each call, the cells it will free are gathered from the hive's
 * bytes the way hivex gathers them (_hivex_get_values, _hivex_get_children,
 * delete_node), and each must be a used cell start, appear once, and not
 * have been freed by an earlier call of the session.
 *
 * The bytes are those hivex read (the file, or the memfd of a replayed
 * copy), mapped read-only.  hivex appends every new cell past the end and
 * never reuses a freed one, so an offset below the original size is an
 * original cell; a key whose values or subkey list hivex rewrote in this
 * session is read through hivex instead, its new cells being hivex's own.
 * Big-data segments (db) are not freed by hivex (it frees the db cell
 * only), so they need no check.
 *
 * A cell freed must also be one nothing else in the hive refers to (the
 * reference counts of lib/hive/refs.c, built once per hive): hivex frees
 * a data cell two values share when one of them is rewritten, and the
 * other then points into free space.  hivex cannot be told to keep it, so
 * the change is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hive.h"
#include "macro.h"

#define HBIN_START 0x1000u
#define NONE 0xffffffffu
#define MAX_DEPTH 512 /* vhive's key depth limit */

/* Field offsets inside a cell, its 4-byte size included. */
#define NK_NR_SUBKEYS 24
#define NK_SUBKEY_LIST 32
#define NK_NR_VALUES 40
#define NK_VALUE_LIST 44
#define NK_SK 48
#define NK_CLASSNAME 52
#define NK_MIN 76
#define VK_DATA_LEN 8
#define VK_DATA_OFF 12
#define VK_MIN 16
#define SK_PREV 8
#define SK_NEXT 12

struct cells {
        hive_h *h;
        const uint8_t *map;
        bool mapped;          /* map is ours (mmap), not the caller's buffer */
        size_t len, end;      /* file size, end of the hive bins */
        uint8_t *used;        /* starts of used cells, built at the first call */
        uint8_t *freed;       /* one bit per 4 bytes */
        uint8_t *values_new;  /* keys whose values hivex rewrote */
        uint8_t *subkeys_new; /* keys whose subkey list hivex rewrote */
        uint8_t *refs;        /* who refers to each cell (refs.c) */
        int refs_r;           /* an early build's failure, kept for the first use */
        struct vhive_error refs_err;
        struct cells *next;
};

struct offs {
        size_t *v;
        size_t n, cap;
};

/* Per thread: the hives of one image are worked on in one thread, and a
 * batch split over two appliances works on two images at once
 * (image-job.c). */
static _Thread_local struct cells *attached;

static bool bit(const uint8_t *map, size_t off)
{
        return map[off >> 5] & 1u << (off >> 2 & 7);
}

static void set_bit(uint8_t *map, size_t off)
{
        map[off >> 5] |= 1u << (off >> 2 & 7);
}

static uint32_t u32_at(const struct cells *c, size_t off)
{
        return off + 4 <= c->len ? vhive_le32(c->map + off) : NONE;
}

static int push(struct offs *o, size_t off)
{
        if (o->n == o->cap) {
                size_t cap = o->cap ? 2 * o->cap : 64;
                size_t *v = realloc(o->v, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                o->v = v;
                o->cap = cap;
        }
        o->v[o->n++] = off;
        return 0;
}

/* ---- the cell map, as hivex builds its bitmap at open ----------------- */

/* Every cell of every hive bin, in order; hivex opened the file without
 * HIVEX_OPEN_UNSAFE, so the bins are contiguous and their cells sound, but
 * nothing is taken on trust here either. */
static void index_bin(struct cells *c, size_t bin, size_t size)
{
        for (size_t blk = bin + 0x20; blk + 4 <= bin + size;) {
                int32_t len = (int32_t)vhive_le32(c->map + blk);
                uint32_t n = len < 0 ? -(uint32_t)len : (uint32_t)len;

                if (n <= 4 || n % 4 || n > bin + size - blk)
                        return;
                if (len < 0)
                        set_bit(c->used, blk);
                blk += n;
        }
}

static int index_cells(struct cells *c)
{
        size_t off = HBIN_START;

        c->used = calloc(c->len / 32 + 1, 1);
        if (!c->used)
                return -ENOMEM;
        while (off + 0x20 <= c->end && memcmp(c->map + off, "hbin", 4) == 0) {
                size_t size = vhive_le32(c->map + off + 8);

                if (size <= 0x20 || size % 0x1000 || size > c->end - off)
                        break;
                index_bin(c, off, size);
                off += size;
        }
        return 0;
}

/* hivex's IS_VALID_BLOCK: off starts a used cell of the hive bins. */
static bool used_cell(const struct cells *c, size_t off, uint32_t *size)
{
        if (off % 4 || off < HBIN_START || off + 4 > c->end || !bit(c->used, off))
                return false;
        *size = -(uint32_t)vhive_le32(c->map + off);
        return *size >= 8;
}

static bool is_cell(const struct cells *c, size_t off, const char *id, uint32_t min)
{
        uint32_t size;

        return used_cell(c, off, &size) && size >= min &&
               (!id || memcmp(c->map + off + 4, id, 2) == 0);
}

static int damaged(struct vhive_error *err, const char *what, size_t off)
{
        return vhive_fail(err, EUCLEAN,
                          "the hive is damaged: %s (offset 0x%zx) is not a cell "
                          "in use, and hivex would abort freeing it; refusing to change the "
                          "key",
                          what, off);
}

/* ---- what one call frees ----------------------------------------------- */

/* delete_values: the value list, then each value's data cell and vk. */
static int gather_values(const struct cells *c, size_t nk, struct offs *o, struct vhive_error *err)
{
        uint32_t n = u32_at(c, nk + NK_NR_VALUES), size;
        size_t list = (size_t)u32_at(c, nk + NK_VALUE_LIST) + HBIN_START;
        int r = 0;

        if (n == 0)
                return 0;
        if (!used_cell(c, list, &size) || (uint64_t)4 + 4ull * n > size)
                return damaged(err, "a key's value list", list);
        r = push(o, list);
        for (uint32_t i = 0; r == 0 && i < n; i++) {
                size_t vk = (size_t)vhive_le32(c->map + list + 4 + 4 * i) + HBIN_START;
                uint32_t len;
                size_t data;

                if (!is_cell(c, vk, NULL, VK_MIN))
                        return damaged(err, "a value", vk);
                len = vhive_le32(c->map + vk + VK_DATA_LEN);
                data = (size_t)vhive_le32(c->map + vk + VK_DATA_OFF) + HBIN_START;
                if (!(len & 0x80000000u) && !is_cell(c, data, NULL, 0))
                        return damaged(err, "a value's data", data);
                r = push(o, vk);
                if (r == 0 && !(len & 0x80000000u))
                        r = push(o, data);
        }
        return r < 0 ? vhive_fail(err, -r, "out of memory") : 0;
}

/* _hivex_get_children: the lf/lh/li list, or an ri and its lists. */
static int gather_lists(const struct cells *c, size_t blk, unsigned depth, struct offs *blocks,
                        struct offs *kids, struct vhive_error *err)
{
        uint32_t size, n;
        const uint8_t *id;
        bool ri;
        size_t step;

        if (!used_cell(c, blk, &size) || depth >= 32)
                return damaged(err, "a subkey list", blk);
        id = c->map + blk + 4;
        ri = memcmp(id, "ri", 2) == 0;
        step = memcmp(id, "lf", 2) == 0 || memcmp(id, "lh", 2) == 0 ? 8 : 4;
        if (!ri && memcmp(id, "li", 2) != 0 && step != 8)
                return damaged(err, "a subkey list", blk);
        n = c->map[blk + 6] | c->map[blk + 7] << 8;
        if (8 + (uint64_t)n * step > size)
                return damaged(err, "a subkey list", blk);
        if (push(blocks, blk) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (uint32_t i = 0; i < n; i++) {
                size_t off = (size_t)vhive_le32(c->map + blk + 8 + step * i) + HBIN_START;
                int r = ri ? gather_lists(c, off, depth + 1, blocks, kids, err) : push(kids, off);

                if (r < 0)
                        return ri ? r : vhive_fail(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* delete_sk rewrites the neighbours of an sk it frees, unchecked. */
static int check_sk(const struct cells *c, size_t nk, struct vhive_error *err)
{
        size_t sk = (size_t)u32_at(c, nk + NK_SK) + HBIN_START, prev, next;

        if (u32_at(c, nk + NK_SK) == NONE || !is_cell(c, sk, "sk", 20))
                return 0; /* hivex refuses it with an error, no abort */
        prev = (size_t)vhive_le32(c->map + sk + SK_PREV) + HBIN_START;
        next = (size_t)vhive_le32(c->map + sk + SK_NEXT) + HBIN_START;
        if (!is_cell(c, prev, "sk", 20))
                return damaged(err, "a security descriptor's neighbour", prev);
        if (!is_cell(c, next, "sk", 20))
                return damaged(err, "a security descriptor's neighbour", next);
        return 0;
}

static int gather_node(struct cells *c, size_t nk, unsigned depth, uint8_t *seen, struct offs *o,
                       struct vhive_error *err);

static int gather_children(struct cells *c, size_t nk, unsigned depth, uint8_t *seen,
                           struct offs *o, struct vhive_error *err)
{
        _cleanup_free_ hive_node_h *api = NULL;
        struct offs kids = { 0 };
        int r = 0;

        if (bit(c->subkeys_new, nk)) {
                /* Rewritten by hivex in this session: its list is hivex's. */
                api = hivex_node_children(c->h, nk);
                if (!api)
                        return vhive_fail(err, errno ? errno : EIO, "reading subkeys: %s",
                                          strerror(errno ? errno : EIO));
                for (size_t i = 0; r == 0 && api[i]; i++)
                        r = gather_node(c, api[i], depth + 1, seen, o, err);
                return r;
        }
        if (u32_at(c, nk + NK_NR_SUBKEYS) != 0)
                r = gather_lists(c, (size_t)u32_at(c, nk + NK_SUBKEY_LIST) + HBIN_START, 0, o,
                                 &kids, err);
        for (size_t i = 0; r == 0 && i < kids.n; i++)
                r = gather_node(c, kids.v[i], depth + 1, seen, o, err);
        free(kids.v);
        return r;
}

/* delete_node, for nk and (first) everything under it. */
static int gather_node(struct cells *c, size_t nk, unsigned depth, uint8_t *seen, struct offs *o,
                       struct vhive_error *err)
{
        uint32_t cl;
        int r;

        if (nk >= c->len)
                return 0; /* added in this session: hivex's own cells only */
        if (!is_cell(c, nk, "nk", NK_MIN))
                return damaged(err, "a subkey", nk);
        if (depth > MAX_DEPTH)
                return vhive_fail(err, ELOOP, "the key is nested deeper than %d levels", MAX_DEPTH);
        if (bit(seen, nk))
                return vhive_fail(err, EUCLEAN,
                                  "the hive is damaged: key at 0x%zx is reached "
                                  "twice under the key to delete (a cycle or a shared "
                                  "subkey list)",
                                  nk);
        set_bit(seen, nk);
        r = gather_children(c, nk, depth, seen, o, err);
        if (r == 0 && !bit(c->values_new, nk))
                r = gather_values(c, nk, o, err);
        if (r == 0)
                r = check_sk(c, nk, err);
        cl = u32_at(c, nk + NK_CLASSNAME);
        if (r == 0 && cl != NONE) {
                if (!is_cell(c, (size_t)cl + HBIN_START, NULL, 0))
                        return damaged(err, "a key's class name", (size_t)cl + HBIN_START);
                r = push(o, (size_t)cl + HBIN_START) < 0 ? -ENOMEM : 0;
        }
        if (r == 0 && push(o, nk) < 0)
                r = -ENOMEM;
        return r == -ENOMEM ? vhive_fail(err, ENOMEM, "out of memory") : r;
}

static int cmp_off(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;

        return (x > y) - (x < y);
}

/* Each cell once, none freed before; then they count as freed. */
static int claim(struct cells *c, struct offs *o, struct vhive_error *err)
{
        if (o->n == 0)
                return 0;
        qsort(o->v, o->n, sizeof(*o->v), cmp_off);
        for (size_t i = 0; i < o->n; i++) {
                if ((i > 0 && o->v[i] == o->v[i - 1]) || bit(c->freed, o->v[i]))
                        return vhive_fail(err, EUCLEAN,
                                          "the hive is damaged: cell 0x%zx "
                                          "belongs to more than one structure, and hivex "
                                          "would abort freeing it twice; refusing to change "
                                          "the key",
                                          o->v[i]);
                if (vhive_refs_get(c->refs, o->v[i]) > 1)
                        return vhive_fail(err, EUCLEAN,
                                          "the hive is damaged: cell 0x%zx is shared with "
                                          "another key or value, and hivex's writer would "
                                          "free it under that one; refusing to change the key",
                                          o->v[i]);
        }
        for (size_t i = 0; i < o->n; i++)
                set_bit(c->freed, o->v[i]);
        return 0;
}

/* ---- the API ------------------------------------------------------------- */

/* The cells attached to h (*c NULL when none), their map built once. */
static int find(hive_h *h, struct cells **c, struct vhive_error *err)
{
        for (*c = attached; *c && (*c)->h != h; *c = (*c)->next)
                ;
        if (*c && !(*c)->used && index_cells(*c) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (*c && (*c)->refs_r < 0) {
                *err = (*c)->refs_err;
                return (*c)->refs_r;
        }
        if (*c && !(*c)->refs)
                return vhive_refs_build((*c)->map, (*c)->len, &(*c)->refs, err);
        return 0;
}

static void cells_free(struct cells *c)
{
        if (c->mapped)
                munmap((void *)c->map, c->len);
        free(c->used);
        free(c->freed);
        free(c->values_new);
        free(c->subkeys_new);
        free(c->refs);
        free(c);
}

static int map_file(struct cells *c, const char *path, struct vhive_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        void *p;

        if (fd < 0 || fstat(fd, &st) < 0)
                return vhive_fail(err, errno, "re-reading the hive: %s", strerror(errno));
        if (st.st_size < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "re-reading the hive: too short");
        p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return vhive_fail(err, errno, "mapping the hive: %s", strerror(errno));
        c->map = p;
        c->mapped = true;
        c->len = st.st_size;
        return 0;
}

static int attach(hive_h *h, const char *path, const uint8_t *buf, size_t len,
                  struct vhive_error *err)
{
        struct cells *c = calloc(1, sizeof(*c));
        int r = 0;

        if (!c)
                return vhive_fail(err, ENOMEM, "out of memory");
        c->h = h;
        c->map = buf;
        c->len = len;
        if (path)
                r = map_file(c, path, err);
        else if (len < VHIVE_REGF_BASE_BLOCK)
                r = vhive_fail(err, EINVAL, "the hive is shorter than its base block");
        if (r == 0) {
                c->end = (uint64_t)HBIN_START + vhive_le32(c->map + 40);
                if (c->end > c->len)
                        c->end = c->len;
                c->freed = calloc(c->len / 32 + 1, 1);
                c->values_new = calloc(c->len / 32 + 1, 1);
                c->subkeys_new = calloc(c->len / 32 + 1, 1);
                r = c->freed && c->values_new && c->subkeys_new ? 0 : -ENOMEM;
                if (r < 0)
                        vhive_fail(err, -r, "out of memory");
        }
        if (r < 0) {
                cells_free(c);
                return r;
        }
        c->next = attached;
        attached = c;
        return 0;
}

int vhive_cells_attach(hive_h *h, const char *path, struct vhive_error *err)
{
        return attach(h, path, NULL, 0, err);
}

int vhive_cells_attach_buf(hive_h *h, const uint8_t *buf, size_t len, struct vhive_error *err)
{
        return attach(h, NULL, buf, len, err);
}

int vhive_cells_attach_early(struct vhive_hive_buf *hb, bool in_place,
                             struct vhive_refs_ahead *ahead, struct vhive_error *err)
{
        struct cells *c;
        int r = attach(NULL, NULL, hb->b, hb->len, err);
        size_t n = (hb->len - HBIN_START) / 8 + 1; /* as refs.c sizes them */

        if (r < 0)
                return r;
        c = attached;
        /* The cell map stays lazy: only hivex's writes need it, and hivex
         * writes from a malloc'd copy of its own.  A damaged hive fails
         * where the counts are first used, as before. */
        if (ahead && ahead->built) {
                c->refs_r = ahead->r;
                c->refs = ahead->refs;
                c->refs_err = ahead->err;
                ahead->refs = NULL;
                ahead->built = false;
        } else {
                c->refs_r = vhive_refs_build(c->map, c->len, &c->refs, &c->refs_err);
        }
        /* The in-place edits keep their own counts up to date: a copy, not
         * a second walk (left to them, as before, if this one failed). */
        if (c->refs_r == 0 && !hb->refs && in_place) {
                /* Handed over, not copied (issue 20: 1 byte per 8 of the
                 * hive, each page faulted in again by a copy). */
                hb->refs = c->refs;
                c->refs = NULL;
        } else if (c->refs_r == 0 && !hb->refs) {
                hb->refs = malloc(n);
                vhive_huge_hint(hb->refs, n);
                if (hb->refs)
                        memcpy(hb->refs, c->refs, n);
        }
        return 0;
}

void vhive_cells_bind(hive_h *h)
{
        for (struct cells *c = attached; c; c = c->next)
                if (!c->h) {
                        c->h = h;
                        return;
                }
}

void vhive_cells_detach(hive_h *h)
{
        for (struct cells **p = &attached; *p; p = &(*p)->next) {
                struct cells *c = *p;

                if (c->h == h) {
                        *p = c->next;
                        cells_free(c);
                        return;
                }
        }
}

int vhive_cells_before_set_values(hive_h *h, hive_node_h node, struct vhive_error *err)
{
        struct cells *c;
        struct offs o = { 0 };
        int r = find(h, &c, err);

        if (r < 0 || !c || node >= c->len || bit(c->values_new, node))
                return r;
        if (!is_cell(c, node, "nk", NK_MIN))
                return damaged(err, "the key", node);
        r = gather_values(c, node, &o, err);
        if (r == 0)
                r = claim(c, &o, err);
        if (r == 0)
                set_bit(c->values_new, node);
        free(o.v);
        return r;
}

int vhive_cells_before_delete(hive_h *h, hive_node_h node, struct vhive_error *err)
{
        struct cells *c;
        struct offs o = { 0 };
        uint8_t *seen;
        hive_node_h parent;
        int r = find(h, &c, err);

        if (r < 0 || !c)
                return r;
        seen = calloc(c->len / 32 + 1, 1);
        if (!seen)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = gather_node(c, node, 0, seen, &o, err);
        if (r == 0)
                r = claim(c, &o, err);
        parent = r == 0 ? hivex_node_parent(h, node) : 0;
        if (parent && parent < c->len)
                set_bit(c->subkeys_new, parent); /* one entry less, in place */
        free(seen);
        free(o.v);
        return r;
}

int vhive_cells_before_add_child(hive_h *h, hive_node_h parent, struct vhive_error *err)
{
        struct cells *c;
        struct offs o = { 0 }, kids = { 0 };
        int r = find(h, &c, err);

        if (r < 0 || !c || parent >= c->len || bit(c->subkeys_new, parent))
                return r;
        if (!is_cell(c, parent, "nk", NK_MIN))
                return damaged(err, "the key", parent);
        /* hivex replaces the list with a longer one and frees the old. */
        if (u32_at(c, parent + NK_NR_SUBKEYS) != 0)
                r = gather_lists(c, (size_t)u32_at(c, parent + NK_SUBKEY_LIST) + HBIN_START, 0, &o,
                                 &kids, err);
        if (r == 0)
                r = claim(c, &o, err);
        if (r == 0)
                set_bit(c->subkeys_new, parent);
        free(o.v);
        free(kids.v);
        return r;
}
