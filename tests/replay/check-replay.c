/* check-replay: runs vhive_replay over every case mkdirty wrote and
 * compares with the expected result byte for byte (or the refusal).
 *
 * Usage: check-replay DIR */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe-file.h"
#include "scrub.h"

static const char *dir;

/* Reads DIR/NAME.EXT; *present false (and 0 returned) when absent. */
static int slurp(const char *name, const char *ext, uint8_t **data, size_t *len, bool *present)
{
        char path[4096];
        FILE *f;
        long n;

        snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
        *data = NULL;
        *len = 0;
        *present = false;
        f = fopen(path, "rb");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        *present = true;
        if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
                fclose(f);
                return -EIO;
        }
        *data = malloc((size_t)n + 1);
        if (!*data || fread(*data, 1, (size_t)n, f) != (size_t)n) {
                fclose(f);
                return -EIO;
        }
        (*data)[n] = 0;
        *len = (size_t)n;
        fclose(f);
        return 0;
}

struct files {
        uint8_t *hive, *log[2], *expected, *refuse, *meta;
        size_t hive_len, log_len[2], expected_len, refuse_len, meta_len;
        bool has_log[2], has_refuse;
};

static void files_free(struct files *f)
{
        free(f->hive);
        free(f->log[0]);
        free(f->log[1]);
        free(f->expected);
        free(f->refuse);
        free(f->meta);
}

static int load(const char *name, struct files *f)
{
        bool present;
        int r = 0;

        memset(f, 0, sizeof(*f));
        r |= slurp(name, "hive", &f->hive, &f->hive_len, &present);
        r |= slurp(name, "LOG1", &f->log[0], &f->log_len[0], &f->has_log[0]);
        r |= slurp(name, "LOG2", &f->log[1], &f->log_len[1], &f->has_log[1]);
        r |= slurp(name, "refuse", &f->refuse, &f->refuse_len, &f->has_refuse);
        if (!f->has_refuse)
                r |= slurp(name, "expected", &f->expected, &f->expected_len, &present);
        r |= slurp(name, "meta", &f->meta, &f->meta_len, &present);
        return r;
}

static int first_difference(const uint8_t *a, const uint8_t *b, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (a[i] != b[i])
                        return (int)i;
        return -1;
}

static int check_result(const char *name, const struct files *f, const uint8_t *out, size_t out_len,
                        const struct vhive_replay_result *res)
{
        unsigned applied, final, rebuilt, a1, a2;

        if (out_len != f->expected_len) {
                fprintf(stderr, "%s: length %zu, expected %zu\n", name, out_len, f->expected_len);
                return 1;
        }
        if (memcmp(out, f->expected, out_len) != 0) {
                fprintf(stderr, "%s: differs from the expected hive at byte %d\n", name,
                        first_difference(out, f->expected, out_len));
                return 1;
        }
        if (sscanf((const char *)f->meta, "%u %u %u %u %u", &applied, &final, &rebuilt, &a1, &a2) !=
            5) {
                fprintf(stderr, "%s: bad meta file\n", name);
                return 1;
        }
        if (res->entries_applied != applied || res->final_seq != final ||
            res->base_block_rebuilt != (rebuilt != 0) || res->log[0].applied != a1 ||
            res->log[1].applied != a2) {
                fprintf(stderr, "%s: result %u %u %d %u %u, expected %s", name,
                        res->entries_applied, res->final_seq, res->base_block_rebuilt,
                        res->log[0].applied, res->log[1].applied, (const char *)f->meta);
                return 1;
        }
        return 0;
}

static int check_case(const char *name)
{
        struct vhive_replay_result res;
        struct vhive_error err = { 0 };
        struct files f;
        uint8_t *out = (uint8_t *)"not touched";
        size_t out_len = 1;
        int r, bad = 0;

        if (load(name, &f) != 0) {
                fprintf(stderr, "%s: cannot read the case files\n", name);
                files_free(&f);
                return 1;
        }
        /* As a session does: a damaged log is refused before replaying. */
        r = vhive_logs_check_readable(f.hive, f.hive_len, f.has_log[0] ? f.log[0] : NULL,
                                      f.log_len[0], f.has_log[1] ? f.log[1] : NULL, f.log_len[1],
                                      &err);
        if (r < 0) {
                out = NULL;
                out_len = 0;
        } else {
                r = vhive_replay(f.hive, f.hive_len, f.has_log[0] ? f.log[0] : NULL, f.log_len[0],
                                 f.has_log[1] ? f.log[1] : NULL, f.log_len[1], &out, &out_len, &res,
                                 &err);
        }
        if (f.has_refuse) {
                if (r >= 0 || out != NULL || out_len != 0) {
                        fprintf(stderr, "%s: replayed, expected a refusal\n", name);
                        bad = 1;
                } else if (!strstr(err.msg, (const char *)f.refuse)) {
                        fprintf(stderr, "%s: message \"%s\"\n  lacks \"%s\"\n", name, err.msg,
                                (const char *)f.refuse);
                        bad = 1;
                }
        } else if (r < 0) {
                fprintf(stderr, "%s: refused: %s\n", name, err.msg);
                bad = 1;
        } else {
                bad = check_result(name, &f, out, out_len, &res);
        }
        if (r >= 0)
                free(out);
        printf("%s %s%s%s\n", bad ? "FAIL" : "ok  ", name, r < 0 ? ": " : "", r < 0 ? err.msg : "");
        files_free(&f);
        return bad;
}

int main(int argc, char **argv)
{
        char path[4096], line[256];
        int failed = 0, n = 0;
        FILE *cases;

        if (argc != 2) {
                fprintf(stderr, "usage: check-replay DIR\n");
                return 2;
        }
        dir = argv[1];
        snprintf(path, sizeof(path), "%s/cases", dir);
        cases = fopen(path, "r");
        if (!cases) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        while (fgets(line, sizeof(line), cases)) {
                line[strcspn(line, "\n")] = 0;
                if (!line[0])
                        continue;
                failed += check_case(line);
                n++;
        }
        fclose(cases);
        if (n == 0) {
                fprintf(stderr, "no case in %s\n", path);
                return 1;
        }
        printf("%d of %d cases failed\n", failed, n);
        return failed ? 1 : 0;
}
