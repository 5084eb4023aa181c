/* What the registry editor commands (ls, get, set, delete, export, merge)
 * share: options, the hive a key path selects, and change reports.
 */
#pragma once

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "common.h"
#include "reg.h"

#define ED_COMMON_HELP                                                                      \
        "      --backup DIR       copy the original hive and its logs into DIR first\n"      \
        "      --format FMT       image format: vhdx, vhd, qcow2, raw (default: detect)\n"   \
        "      --root DEVICE      the Windows partition when an image has several\n"         \
        "      --force            write despite a .lok file or version siblings\n"           \
        "      --backend B        appliance (libguestfs, default) or direct\n"               \
        "  -v, --verbose          pass libguestfs' verbose output through\n"                 \
        "  -h, --help             this help\n"

#define ED_WRITE_HELP                                                                       \
        "  -n, --dry-run          print what would change, write nothing\n"                   \
        "  -o, --output FILE      write the result to FILE (hive files only)\n"

/* The option loop of an editor command (cmd_parse_options): they have no
 * JSON report.  Returns -1 to go on, else the exit code. */
static inline int ed_parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
                                   const struct option *longopts, struct cmd_opts *o,
                                   cmd_own_option_fn own, void *ctx, int (*help)(void))
{
        int rc = cmd_parse_options(cmd, argc, argv, shortopts, longopts, o, own, ctx, help);

        if (rc < 0 && o->json)
                return cmd_usage_error(cmd, "--json is not supported");
        return rc;
}

/* The hive a path addresses: its own prefix, else the one the hive file's
 * name says, else SYSTEM. */
static inline const char *ed_hive(const struct vhive_keypath *kp, const char *primary)
{
        const char *h = kp->hive;

        if (!h && primary)
                h = vhive_hive_from_filename(primary);
        return h ? h : "SYSTEM";
}

/* "HKEY_LOCAL_MACHINE\SYSTEM" for messages and exports. */
static inline void ed_prefix(char *buf, size_t size, const char *hive)
{
        snprintf(buf, size, "HKEY_LOCAL_MACHINE\\%s", hive);
}

/* Parses a KEY argument, printing the error. */
static inline int ed_keypath(const char *cmd, const char *text, struct vhive_keypath *kp)
{
        struct vhive_error err = { 0 };

        if (vhive_keypath_parse(text, kp, &err) < 0) {
                fprintf(stderr, "vhive %s: %s\n", cmd, err.msg);
                return -1;
        }
        return 0;
}

/* Refuses a path naming another hive than the file holds. */
static inline int ed_check_hive(const struct vhive_keypath *kp, const char *primary,
                                struct vhive_error *err)
{
        return vhive_keypath_check_hive(kp, vhive_hive_from_filename(primary), err);
}

static inline void ed_print_data(FILE *f, hive_type t, const char *data, size_t len)
{
        char *text = vhive_value_to_text(t, data, len);

        fprintf(f, "%s \"%s\"", vhive_type_name(t), cmd_esc(text));
        free(text);
}

static inline void ed_print_change(FILE *f, const char *prefix, const struct vhive_change *c)
{
        static const char *const what[] = { "add key", "delete key", "add value",
                                            "set value", "delete value", "no match" };

        fprintf(f, "%-12s %s%s%s", what[c->kind], prefix, *c->key ? "\\" : "",
                cmd_esc(c->key));
        if (c->kind == VHIVE_CHANGE_ADD_VALUE || c->kind == VHIVE_CHANGE_SET_VALUE) {
                fprintf(f, " %s%s%s = ", *c->value ? "\"" : "@", cmd_esc(c->value),
                        *c->value ? "\"" : "");
                ed_print_data(f, c->type, c->data, c->len);
        }
        if (c->kind == VHIVE_CHANGE_DELETE_VALUE)
                fprintf(f, " %s%s%s", *c->value ? "\"" : "@", cmd_esc(c->value),
                        *c->value ? "\"" : "");
        if (c->kind == VHIVE_CHANGE_SET_VALUE || c->kind == VHIVE_CHANGE_DELETE_VALUE) {
                fprintf(f, " (was ");
                ed_print_data(f, c->old_type, c->old_data, c->old_len);
                fprintf(f, ")");
        }
        fprintf(f, "\n");
}

/* After a set/delete/merge job: warnings for wildcards that matched
 * nothing, and the changes on a dry run (or with -v). */
static inline void ed_report_merge(const char *target, const struct vhive_merge_job *j,
                                   const struct vhive_job_result *res,
                                   const struct cmd_opts *o)
{
        const struct vhive_change *c;
        char prefix[64];
        size_t n;

        if (!j->plan)
                return;
        c = vhive_merge_changes(j->plan, &n);
        ed_prefix(prefix, sizeof(prefix), j->opts.hive ? j->opts.hive
                                          : j->hive ? j->hive : "SYSTEM");
        for (size_t i = 0; i < n; i++)
                if (c[i].kind == VHIVE_CHANGE_NO_MATCH)
                        fprintf(stderr, "vhive: %s:%u: [%s] matches no key\n", c[i].file,
                                c[i].line, cmd_esc(c[i].key));
        if (!o->job.dry_run && !o->job.verbose)
                return;
        for (size_t i = 0; i < n; i++)
                if (c[i].kind != VHIVE_CHANGE_NO_MATCH)
                        ed_print_change(stdout, prefix, &c[i]);
        if (o->job.dry_run)
                printf("%s: %s\n", target, res->changed ? "dry run, nothing written"
                                                        : "nothing to change");
}

/* Runs the merge job on one target and reports. */
static inline int ed_run_merge(const char *target, struct vhive_merge_job *j,
                               const struct cmd_opts *o)
{
        struct vhive_job_result res;
        char *targets[1] = { (char *)target };
        void *ctxs[1] = { j };
        int rc = cmd_run_job(&vhive_merge_op, targets, 1, ctxs, o, &res);

        if (rc == VHIVE_EXIT_OK)
                ed_report_merge(target, j, &res, o);
        vhive_merge_free(j->plan);
        j->plan = NULL;
        return rc;
}

/* ---- the read-only commands: ls, get, export ------------------------- */

struct ed_read {
        struct vhive_keypath kp;
        const char *name;   /* get: the value ("" = default) */
        bool raw;           /* get --raw */
        bool utf16;         /* export --utf16 */
        char *out;          /* what run() produced, printed after the job */
        size_t out_len;
        FILE *f;
};

static inline const char *ed_read_hive_name(void *ctx)
{
        return ((struct ed_read *)ctx)->kp.hive;
}

/* Opens the output buffer and resolves the key; *nodes malloc'd. */
static inline int ed_read_begin(struct vhive_session *s, struct ed_read *c, hive_node_h **nodes,
                                struct vhive_error *err)
{
        int r = ed_check_hive(&c->kp, s->primary, err);

        if (r < 0)
                return r;
        if (c->f)
                fclose(c->f);
        free(c->out);
        c->out = NULL;
        c->f = open_memstream(&c->out, &c->out_len);
        if (!c->f)
                return vhive_fail(err, ENOMEM, "out of memory");
        return vhive_keypath_resolve(s->h, &c->kp, nodes, err);
}

/* Runs a read-only op on one target, then prints what it produced. */
static inline int ed_run_read(const char *target, const struct vhive_op *op, struct ed_read *c,
                              const struct cmd_opts *o)
{
        struct vhive_job_result res;
        char *targets[1] = { (char *)target };
        void *ctxs[1] = { c };
        int rc = cmd_run_job(op, targets, 1, ctxs, o, &res);

        if (c->f && fclose(c->f) != 0 && rc == VHIVE_EXIT_OK) {
                fprintf(stderr, "vhive: %s: out of memory\n", target);
                rc = VHIVE_EXIT_FAIL;
        }
        c->f = NULL;
        if (rc == VHIVE_EXIT_OK && c->out && fwrite(c->out, 1, c->out_len, stdout) != c->out_len)
                rc = VHIVE_EXIT_FAIL;
        if (fflush(stdout) != 0) {
                fprintf(stderr, "vhive: writing the output: %s\n", strerror(errno));
                rc = VHIVE_EXIT_FAIL;
        }
        free(c->out);
        vhive_keypath_free(&c->kp);
        return rc;
}
