/* Fuzz target: a primary hive opened with hivex (read-only and writable),
 * its control sets listed, the scrub run in memory for both profiles
 * (applied on the writable handle, never committed, and in place on a
 * copy of the bytes through the read-only handle), the key-path
 * resolver, the regedit export and the JSON keys (ls and export --json)
 * over the whole tree, a merge that deletes and adds keys (writable
 * handle, cells checked as in a session), and the log description of the
 * base block.
 *
 * The base-block checksum is recomputed first (hivex refuses a bad one,
 * and a fuzzer cannot find it by mutation); the raw input goes to
 * vhive_logs_describe as it is. */
#include <stdint.h>

#include "fuzz-common.h"
#include "macro.h"
#include "reg.h"
#include "safe-file.h"
#include "scrub.h"

/* In place: every cell the scrub would rewrite is checked on fuzzed bytes. */
static void scrub_in_place(hive_h *h, const uint8_t *bytes, size_t len,
                           const struct vhive_scrub_opts *o)
{
        struct vhive_hive_buf hb = { .b = malloc(len ? len : 1), .len = len };
        struct vhive_scrub_report rep;
        struct vhive_error err;

        if (!hb.b)
                abort();
        memcpy(hb.b, bytes, len);
        (void)vhive_scrub_in_place(h, &hb, o, &rep, &err);
        vhive_scrub_report_free(&rep);
        free(hb.b);
}

/* seed, and lease with dhcpv6: from $VHIVE_RULES_DIR, else the tree's
 * rules/ beside the fuzzer's working directory. */
static void load_profiles(struct vhive_rules p[2])
{
        static const char *const lists[2] = { "seed", "lease,dhcpv6" };
        struct vhive_error err;

        if (!getenv("VHIVE_RULES_DIR"))
                setenv("VHIVE_RULES_DIR", "rules", 0);
        for (int i = 0; i < 2; i++) {
                struct vhive_rules_spec spec = { .profile = lists[i] };

                if (vhive_rules_select(&p[i], &spec, &err) < 0) {
                        fprintf(stderr, "fuzz-hive: %s\n", err.msg);
                        abort();
                }
        }
}

static void walk(hive_h *h, bool apply, const uint8_t *bytes, size_t len)
{
        static struct vhive_rules profiles[2];
        static bool loaded;
        struct vhive_error err;
        struct vhive_controlset *list = NULL;

        if (!loaded)
                load_profiles(profiles);
        loaded = true;
        if (vhive_controlset_list(h, &list, &err) >= 0)
                free(list);
        for (size_t p = 0; p < ARRAY_SIZE(profiles); p++) {
                struct vhive_scrub_opts o = { .rules = &profiles[p],
                                              .keep_static = p == 0,
                                              .all_controlsets = true };
                struct vhive_scrub_report rep;

                if (vhive_scrub(h, &o, apply, &rep, &err) == 0 && apply)
                        (void)vhive_scrub_verify(h, &rep, &err);
                vhive_scrub_report_free(&rep);
                if (!apply)
                        scrub_in_place(h, bytes, len, &o);
        }
}

/* The same subtrees as data and as JSON documents (ls and export --json). */
static void json_keys(hive_h *h, const hive_node_h *nodes, size_t n)
{
        static const enum vhive_read_what what[] = { VHIVE_READ_LIST, VHIVE_READ_TREE };
        struct vhive_error err;

        for (size_t w = 0; w < ARRAY_SIZE(what); w++) {
                struct vhive_read_job c = { .data = true };
                struct vhive_job_result r = { 0 };

                if (vhive_read_keys(h, nodes, n, what[w], NULL, &c.keys, &c.n_keys, &err) == 0)
                        json_decref(vhive_json_read_target(
                                "fuzz", &r, w ? &vhive_export_op : &vhive_ls_op, &c));
                vhive_read_job_clear(&c);
        }
}

/* Deletes every key two levels down and adds one under each key of the
 * first level: hivex frees cells on both (issue 11: it aborted on a
 * REG_DWORD whose data offset pointed into another cell). */
static void merge_deletes(hive_h *h)
{
        static const char text[] = "Windows Registry Editor Version 5.00\r\n\r\n"
                                   "[-HKEY_LOCAL_MACHINE\\SYSTEM\\*\\*]\r\n\r\n"
                                   "[HKEY_LOCAL_MACHINE\\SYSTEM\\*\\Fuzz]\r\n"
                                   "\"v\"=\"x\"\r\n";
        struct vhive_merge_opts o = { .hive = "SYSTEM" };
        struct vhive_merge *plan = NULL;
        struct vhive_regfile rf;
        struct vhive_error err;

        if (vhive_regfile_parse(&rf, "fuzz.reg", (const uint8_t *)text, sizeof(text) - 1, &err) < 0)
                abort();
        if (vhive_merge_plan(h, &rf, 1, &o, &plan, &err) == 0)
                (void)vhive_merge_apply(h, plan, &err);
        vhive_merge_free(plan);
        vhive_regfile_free(&rf);
}

static void export_all(hive_h *h)
{
        static const char *const paths[] = { "", "*\\*", "CurrentControlSet\\*\\*\\*" };
        struct vhive_export_opts o = { .prefix = "HKEY_LOCAL_MACHINE\\SYSTEM" };
        struct vhive_error err;

        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                struct vhive_keypath kp;
                hive_node_h *nodes = NULL;
                char *out = NULL;
                size_t len;
                int n;

                if (vhive_keypath_parse(paths[i], &kp, &err) < 0)
                        abort();
                n = vhive_keypath_resolve(h, &kp, &nodes, &err);
                if (n > 0 && vhive_export(h, nodes, (size_t)n, &o, &out, &len, &err) == 0)
                        free(out);
                if (n > 0)
                        json_keys(h, nodes, (size_t)n);
                free(nodes);
                vhive_keypath_free(&kp);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vhive_replay_result res;
        uint8_t *copy;
        char path[64];
        int fd;

        vhive_logs_describe(data, size, NULL, 0, NULL, 0, &res);
        copy = malloc(size ? size : 1);
        if (!copy)
                abort();
        memcpy(copy, data, size);
        if (size >= VHIVE_REGF_BASE_BLOCK)
                vhive_regf_store_checksum(copy);
        fd = fuzz_memfd(copy, size, path);
        for (int w = 0; w < 2; w++) {
                struct vhive_regf_header hdr;
                struct vhive_error err;
                hive_h *h;

                /* Writes go only to what a session would open for writing:
                 * a clean hive whose header passes vhive_probe_hive (a dirty
                 * one is replayed first: fuzz-replay).  hivex grows its
                 * buffer to the header's hive-bins size when it allocates,
                 * whatever the file holds: 3.7 GB for a 16 KiB input. */
                if (w && (vhive_probe_hive(path, &hdr, &err) < 0 || vhive_regf_is_dirty(&hdr)))
                        continue;
                h = hivex_open(path, w ? HIVEX_OPEN_WRITE : 0);
                if (!h)
                        continue;
                if (w && vhive_cells_attach(h, path, &err) < 0)
                        abort();
                walk(h, w, copy, size);
                if (!w)
                        export_all(h);
                else
                        merge_deletes(h);
                vhive_cells_detach(h);
                hivex_close(h);
        }
        free(copy);
        close(fd);
        return 0;
}
