/* commit-scrub: a scrub committed the way images are, over plain files.
 *
 * Usage: commit-scrub [-f new|old|auto] [-p seed|lease] [-x] [-V] [-m]
 *        SYSTEM
 *
 * SYSTEM.LOG1 and SYSTEM.LOG2 must exist beside SYSTEM (0 bytes is fine).
 * Runs vhive_job_run with a VHIVE_COMMIT_LOGGED target whose files are
 * vhive_file_from_fd over SYSTEM and its logs: the job reads SYSTEM (the
 * "host copy"), blanks in place, and commits through the log.  Prints what
 * the commit wrote.  -x blanks with hivex's writer instead (as the editor
 * commands write: new cells appended, the hive grows), so the commit must
 * extend SYSTEM first.  -V: the op's verification fails (nothing may be
 * written).  -m: SYSTEM changes on disk while the op runs (the commit
 * must refuse: the edit was made on other bytes).  For tests and
 * bench/bench-commit-blocks.sh. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "scrub.h"

struct ctx {
        bool hivex_writer, fail_verify;
        const char *modify; /* a file to change while the op runs */
        struct vhive_scrub_opts opts;
        struct vhive_scrub_report rep;
};

/* Another writer: one byte of the last hive bin page changes. */
static void modify(const char *path)
{
        int fd = open(path, O_RDWR | O_CLOEXEC);
        off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
        uint8_t b = 0;

        if (end < 8192 || pread(fd, &b, 1, end - 100) != 1)
                exit(3);
        b ^= 0x55;
        if (pwrite(fd, &b, 1, end - 100) != 1 || close(fd) < 0)
                exit(3);
}

static int run(struct vhive_session *s, void *p, bool apply, bool *changed, struct vhive_error *err)
{
        struct ctx *c = p;
        int r;

        if (apply && c->modify)
                modify(c->modify);
        if (apply && s->bytes.b && !c->hivex_writer) {
                r = vhive_scrub_in_place(s->h, &s->bytes, &c->opts, &c->rep, err);
                s->edited_in_place = true;
        } else {
                r = vhive_scrub(s->h, &c->opts, apply, &c->rep, err);
        }
        *changed = r == 0 && c->rep.counts[VHIVE_ACTION_BLANKED] > 0;
        return r;
}

static int verify(hive_h *h, void *p, struct vhive_error *err)
{
        if (((struct ctx *)p)->fail_verify)
                return vhive_fail(err, EIO, "verify: failed on purpose (-V)");
        return vhive_scrub_verify(h, &((struct ctx *)p)->rep, err);
}

static const struct vhive_op op = { .writes = true, .run = run, .verify = verify };

static int open_file(const char *path, int *fd, struct vhive_file **f)
{
        struct vhive_error e;

        *fd = open(path, O_RDWR | O_CLOEXEC);
        if (*fd < 0 || vhive_file_from_fd(*fd, path, f, &e) < 0) {
                perror(path);
                return -1;
        }
        return 0;
}

static enum vhive_log_format parse_format(const char *s)
{
        return strcmp(s, "new") == 0   ? VHIVE_LOG_NEW
               : strcmp(s, "old") == 0 ? VHIVE_LOG_OLD
                                       : VHIVE_LOG_NONE;
}

int main(int argc, char **argv)
{
        struct ctx c = { 0 };
        struct vhive_rules_spec spec = { .profile = "lease" };
        static struct vhive_rules rules; /* reachable at exit: no leak on error paths */
        struct vhive_error err = { 0 };
        struct vhive_commit_target t = { .kind = VHIVE_COMMIT_LOGGED };
        struct vhive_job_opts o = { 0 };
        struct vhive_job_result r = { 0 };
        struct vhive_hive_files files;
        struct vhive_file *f[3];
        int fd[3], opt;
        char path[3][4096];

        while ((opt = getopt(argc, argv, "f:p:xVm")) != -1) {
                if (opt == 'x')
                        c.hivex_writer = true;
                else if (opt == 'V')
                        c.fail_verify = true;
                else if (opt == 'm')
                        c.modify = "";
                else if (opt == 'f')
                        t.format = parse_format(optarg);
                else if (opt == 'p')
                        spec.profile = optarg;
                else
                        return 2;
        }
        if (vhive_rules_select(&rules, &spec, &err) < 0) {
                fprintf(stderr, "commit-scrub: %s\n", err.msg);
                vhive_rules_free(&rules);
                return 2;
        }
        c.opts.rules = &rules;
        if (optind + 1 != argc) {
                fprintf(stderr, "usage: commit-scrub [-f new|old|auto] [-p PROFILE] [-x] [-V] "
                                "[-m] SYSTEM\n");
                return 2;
        }
        snprintf(path[0], sizeof(path[0]), "%s", argv[optind]);
        if (c.modify)
                c.modify = path[0];
        snprintf(path[1], sizeof(path[1]), "%s.LOG1", argv[optind]);
        snprintf(path[2], sizeof(path[2]), "%s.LOG2", argv[optind]);
        for (int i = 0; i < 3; i++)
                if (open_file(path[i], &fd[i], &f[i]) < 0)
                        return 2;
        files = (struct vhive_hive_files){ f[0], { f[1], f[2] } };
        t.files = &files;
        vhive_job_run(path[0], &t, &op, &c, &o, &r);
        if (r.status < 0) {
                fprintf(stderr, "commit-scrub: %s: %s (written %d)\n", path[0], r.err.msg,
                        r.written);
                return 2;
        }
        printf("blanked %u, written %d, pages %u, log LOG%d (%s format) %llu bytes, "
               "primary %llu bytes%s\n",
               c.rep.counts[VHIVE_ACTION_BLANKED], r.written, t.stats.pages, t.stats.log_index + 1,
               t.stats.format == VHIVE_LOG_OLD ? "old" : "new",
               (unsigned long long)t.stats.log_bytes, (unsigned long long)t.stats.primary_bytes,
               t.stats.primary_extended ? ", primary extended" : "");
        vhive_scrub_report_free(&c.rep);
        vhive_rules_free(&rules);
        for (int i = 0; i < 3; i++) {
                vhive_file_free(f[i]);
                close(fd[i]);
        }
        return 0;
}
