/* crash-tool: what vhive (and Windows) would load from a hive and its logs
 * after a crash.
 *
 *   crash-tool loaded PRIMARY LOG1 LOG2 OUT
 *       OUT = PRIMARY's hive (base block + hive bins) when it is clean, or
 *       its replay with the logs when it is dirty; exit 1 with the reason
 *       when a dirty hive does not replay.  An empty LOG argument is an
 *       absent log.
 *   crash-tool fetch IMAGE FORMAT DIR
 *       DIR/SYSTEM, DIR/LOG1, DIR/LOG2, DIR/SOFTWARE, DIR/SLOG1, DIR/SLOG2
 *       (SYSTEM's and SOFTWARE's logs; empty when absent) from the image,
 *       through the direct backend opened read-only: libntfs-3g must mount
 *       the volume and read the files.
 *   crash-tool same OLD FILE
 *       Exit 0 when FILE equals OLD except for the base block's sequence
 *       numbers, time and checksum and the first hive bin's time (a
 *       commit's new hive carries the next sequence number and its own
 *       times).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive.h"
#include "image.h"
#include "safe-file.h"
#include "vhive.h"

static int die(const char *what, const char *msg)
{
        fprintf(stderr, "crash-tool: %s: %s\n", what, msg);
        return 1;
}

static int load(const char *path, uint8_t **data, size_t *len)
{
        struct vhive_error e;

        *data = NULL;
        *len = 0;
        if (!*path)
                return 0;
        return vhive_read_file(path, data, len, &e) < 0 ? die(path, e.msg) : 0;
}

static int loaded(char **argv)
{
        uint8_t *p, *l1, *l2, *out = NULL;
        size_t pl, l1l, l2l, outl = 0;
        struct vhive_regf_header h;
        struct vhive_replay_result res;
        struct vhive_error e;
        FILE *f;
        int r = load(argv[0], &p, &pl) || load(argv[1], &l1, &l1l) || load(argv[2], &l2, &l2l);

        if (r)
                return r;
        if (vhive_regf_parse(p, pl, &h) < 0 || !vhive_regf_is_dirty(&h)) {
                outl = pl < VHIVE_REGF_BASE_BLOCK + (size_t)h.hbins_size
                               ? pl
                               : VHIVE_REGF_BASE_BLOCK + h.hbins_size;
                out = malloc(outl);
                memcpy(out, p, outl);
        } else if (vhive_replay(p, pl, l1, l1l, l2, l2l, &out, &outl, &res, &e) < 0) {
                return die("replay", e.msg);
        }
        f = fopen(argv[3], "wb");
        if (!f || fwrite(out, 1, outl, f) != outl || fclose(f) != 0)
                return die(argv[3], "cannot write");
        free(p), free(l1), free(l2), free(out);
        return 0;
}

static int same(char **argv)
{
        uint8_t *a, *b;
        size_t al, bl;
        int r = load(argv[0], &a, &al) || load(argv[1], &b, &bl);

        if (r)
                return r;
        if (al != bl || al < VHIVE_REGF_BASE_BLOCK)
                return die(argv[1], "a different size");
        /* sequence numbers 4..11, time 12..19, checksum 508..511; the
         * first hive bin's time (4096 + 20..27), which a commit sets too */
        memset(a + 4, 0, 16), memset(b + 4, 0, 16);
        memset(a + 508, 0, 4), memset(b + 508, 0, 4);
        if (al >= VHIVE_REGF_BASE_BLOCK + 28) {
                memset(a + VHIVE_REGF_BASE_BLOCK + 20, 0, 8);
                memset(b + VHIVE_REGF_BASE_BLOCK + 20, 0, 8);
        }
        r = memcmp(a, b, al) ? die(argv[1], "different bytes") : 0;
        free(a), free(b);
        return r;
}

static int get(const struct vhive_backend_ops *ops, struct vhive_backend *be,
               const struct vhive_root *root, const char *name, const char *host,
               struct vhive_error *e)
{
        char *real = NULL, guest[600];
        int r = ops->lookup(be, 0, root->config_dir, name, &real, e);
        FILE *f;

        if (r == 0 && real) {
                snprintf(guest, sizeof(guest), "%s/%s", root->config_dir, real);
                r = ops->download(be, 0, guest, host, e);
        } else if (r == 0) {
                f = fopen(host, "w");
                r = f && fclose(f) == 0 ? 0 : vhive_fail(e, EIO, "cannot write %s", host);
        }
        free(real);
        return r;
}

static int fetch(char **argv)
{
        const struct vhive_backend_ops *ops = &vhive_backend_direct;
        struct vhive_image_spec spec = { argv[0], argv[1], true };
        static const char *const names[6][2] = {
                { "SYSTEM", "SYSTEM" },       { "SYSTEM.LOG1", "LOG1" },
                { "SYSTEM.LOG2", "LOG2" },    { "SOFTWARE", "SOFTWARE" },
                { "SOFTWARE.LOG1", "SLOG1" }, { "SOFTWARE.LOG2", "SLOG2" },
        };
        struct vhive_backend *be = NULL;
        struct vhive_root root;
        struct vhive_error e = { 0 }, e2;
        char host[600];
        int r = ops->open(&be, &spec, 1, false, &e);

        if (r == 0)
                r = ops->image_status(be, 0, &e);
        if (r == 0)
                r = ops->find_root(be, 0, NULL, &root, &e);
        for (int k = 0; k < 6 && r == 0; k++) {
                snprintf(host, sizeof(host), "%s/%s", argv[2], names[k][1]);
                r = get(ops, be, &root, names[k][0], host, &e);
        }
        if (be && ops->close(be, &e2) < 0 && r == 0) {
                r = -1;
                e = e2;
        }
        return r < 0 ? die(argv[0], e.msg) : 0;
}

int main(int argc, char **argv)
{
        if (argc == 5 && strcmp(argv[1], "fetch") == 0)
                return fetch(argv + 2);
        if (argc == 6 && strcmp(argv[1], "loaded") == 0)
                return loaded(argv + 2);
        if (argc == 4 && strcmp(argv[1], "same") == 0)
                return same(argv + 2);
        fprintf(stderr, "usage: crash-tool fetch IMAGE FORMAT DIR | loaded PRIMARY LOG1 LOG2 "
                        "OUT | same OLD FILE\n");
        return 2;
}
