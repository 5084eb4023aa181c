/* Fuzz target: the lazy reader (lib/hive/lazy-reader.c) on a hive in
 * memory: the check walk of SYSTEM's and SOFTWARE's packs through it, the
 * control sets, and a bounded walk of the tree (names, parents, values
 * and their data).  The reader reads attacker-controlled bytes through a
 * pread callback: lists naming themselves, sizes that lie, cells crossing
 * the end must fail cleanly.  Each read is checked against the input's
 * bounds here too, so a read past the end is a crash, not a short read.
 *
 * The base-block checksum is recomputed first and the sequence numbers
 * made equal (the lazy reader opens clean hives only). */
#include <stdint.h>

#include "fuzz-common.h"
#include "macro.h"
#include "scrub.h"

struct mem {
        const uint8_t *b;
        size_t len;
};

static int mem_pread(void *opaque, void *buf, size_t len, uint64_t off, struct vhive_error *err)
{
        const struct mem *m = opaque;

        if (off > m->len || len > m->len - off)
                abort(); /* the reader asked for bytes the file does not hold */
        (void)err;
        memcpy(buf, m->b + off, len);
        return 0;
}

static void load(struct vhive_rules *r, const char *profile)
{
        struct vhive_rules_spec spec = { .profile = profile };
        struct vhive_error err;

        if (!getenv("VHIVE_RULES_DIR"))
                setenv("VHIVE_RULES_DIR", "rules", 0);
        if (vhive_rules_select(r, &spec, &err) < 0) {
                fprintf(stderr, "fuzz-lazy: %s\n", err.msg);
                abort();
        }
}

static void check_walk(const struct vhive_reader *rd)
{
        static struct vhive_rules sys, soft;
        static bool loaded;
        struct vhive_error err;
        struct vhive_controlset *list = NULL;
        const char *kind;

        if (!loaded) {
                load(&sys, "seed,lease,dhcpv6,machineguid");
                load(&soft, "wsus,sqm,sep,sophos,trend,crowdstrike,mde,sccm");
        }
        loaded = true;
        if (vhive_rd_controlset_list(rd, &list, &err) >= 0)
                free(list);
        (void)vhive_scrub_hive_kind(rd, &kind, &err);
        for (int i = 0; i < 2; i++) {
                struct vhive_scrub_opts o = { .rules = i ? &soft : &sys,
                                              .hive = i ? "SOFTWARE" : "SYSTEM",
                                              .all_controlsets = true };
                struct vhive_scrub_report rep;

                (void)vhive_scrub_read(rd, &o, &rep, &err);
                vhive_scrub_report_free(&rep);
        }
}

/* Names, parents and a few values of up to 32 keys per level, 6 deep. */
static void walk_tree(const struct vhive_reader *rd, hive_node_h node, unsigned depth)
{
        static const char *const names[] = { "", "EnableDHCP", "Current", "SusClientId" };
        hive_node_h *kids;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                hive_value_h v = rd->ops->get_value(rd, node, names[i]);
                hive_type t;
                size_t len;

                if (v) {
                        free(rd->ops->value_key(rd, v));
                        free(rd->ops->value_value(rd, v, &t, &len));
                        (void)rd->ops->value_type(rd, v, &t, &len);
                        (void)vhive_rd_dword(rd, v);
                }
        }
        if (depth >= 6 || !(kids = rd->ops->children(rd, node)))
                return;
        for (size_t i = 0; kids[i] && i < 32; i++) {
                free(rd->ops->name(rd, kids[i]));
                if (rd->ops->parent(rd, kids[i]) == node)
                        walk_tree(rd, kids[i], depth + 1);
        }
        free(kids);
        (void)rd->ops->get_child(rd, node, "Microsoft");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vhive_regf_header hdr;
        struct vhive_error err;
        struct vhive_lazy *lz = NULL;
        struct vhive_reader rd;
        struct mem m;
        uint8_t *copy;

        if (size < VHIVE_REGF_BASE_BLOCK)
                return 0;
        copy = malloc(size);
        if (!copy)
                abort();
        memcpy(copy, data, size);
        memcpy(copy + 8, copy + 4, 4); /* sequence numbers equal: clean */
        vhive_regf_store_checksum(copy);
        m = (struct mem){ copy, size };
        if (vhive_regf_parse(copy, size, &hdr) == 0 &&
            vhive_lazy_open(&hdr, size, mem_pread, &m, &lz, &err) == 0) {
                rd = vhive_reader_lazy(lz);
                check_walk(&rd);
                walk_tree(&rd, rd.ops->root(&rd), 0);
                vhive_lazy_close(lz);
        }
        free(copy);
        return 0;
}
