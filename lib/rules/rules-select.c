/* Loading packs and selecting rules: --profile pack,pack.rule; --rules
 * FILE; --skip pack.rule.  Packs come from $VHIVE_RULES_DIR (the tests
 * point it at the source tree) or the installed folder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "rules.h"

#ifndef VHIVE_RULES_DIR
#define VHIVE_RULES_DIR "/usr/share/vhive/rules"
#endif

/* Packs are small text: anything larger is not one. */
#define PACK_MAX_BYTES (1u << 20)

const char *vhive_rules_dir(void)
{
        const char *env = getenv("VHIVE_RULES_DIR");
        struct stat st;

        if (env && *env)
                return env;
#ifdef VHIVE_SOURCE_RULES_DIR
        /* Run from the build tree before any install (the README's
         * build/cmd/vhive): the packs of the tree it was built from. */
        if (stat(VHIVE_RULES_DIR, &st) < 0 && stat(VHIVE_SOURCE_RULES_DIR, &st) == 0)
                return VHIVE_SOURCE_RULES_DIR;
#else
        (void)st;
#endif
        return VHIVE_RULES_DIR;
}

static int read_text(const char *path, char **text, size_t *len, struct vhive_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        ssize_t got;

        if (fd < 0 || fstat(fd, &st) < 0)
                return vhive_fail(err, errno, "%s: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode) || st.st_size > PACK_MAX_BYTES)
                return vhive_fail(err, EINVAL, "%s: not a rule pack (a text file up to 1 MiB)",
                                  path);
        *text = malloc((size_t)st.st_size + 1);
        if (!*text)
                return vhive_fail(err, ENOMEM, "out of memory");
        *len = 0;
        while ((got = read(fd, *text + *len, (size_t)st.st_size - *len)) > 0)
                *len += (size_t)got;
        if (got < 0)
                return vhive_fail(err, errno, "%s: %s", path, strerror(errno));
        return 0;
}

int vhive_pack_load(const char *path, struct vhive_pack *p, struct vhive_error *err)
{
        _cleanup_free_ char *text = NULL, *name = NULL;
        const char *base = strrchr(path, '/');
        size_t len = 0, n;
        int r;

        base = base ? base + 1 : path;
        n = strlen(base);
        if (n > 6 && strcmp(base + n - 6, ".rules") == 0)
                n -= 6;
        name = strndup(base, n);
        if (!name)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = read_text(path, &text, &len, err);
        return r < 0 ? r : vhive_pack_parse(text, len, path, name, p, err);
}

static struct vhive_pack *find_pack(const struct vhive_rules *rs, const char *name, size_t len)
{
        for (size_t i = 0; i < rs->n_packs; i++)
                if (strlen(rs->packs[i]->name) == len &&
                    strncmp(rs->packs[i]->name, name, len) == 0)
                        return rs->packs[i];
        return NULL;
}

static int add_pack(struct vhive_rules *rs, const char *path, struct vhive_pack **out,
                    struct vhive_error *err)
{
        struct vhive_pack **packs = realloc(rs->packs, (rs->n_packs + 1) * sizeof(*packs));
        struct vhive_pack *p = calloc(1, sizeof(*p));
        int r;

        if (packs)
                rs->packs = packs;
        if (!packs || !p) {
                free(p);
                return vhive_fail(err, ENOMEM, "out of memory");
        }
        r = vhive_pack_load(path, p, err);
        if (r == 0 && find_pack(rs, p->name, strlen(p->name)))
                r = vhive_fail(err, EINVAL, "%s: a pack named '%s' is already loaded", path,
                               p->name);
        if (r < 0) {
                vhive_pack_free(p);
                free(p);
                return r;
        }
        rs->packs[rs->n_packs++] = p;
        *out = p;
        return 0;
}

/* The pack NAME from the rules folder, loaded once. */
static int named_pack(struct vhive_rules *rs, const char *name, size_t len, struct vhive_pack **out,
                      struct vhive_error *err)
{
        _cleanup_free_ char *path = NULL;
        struct stat st;

        *out = find_pack(rs, name, len);
        if (*out)
                return 0;
        if (!vhive_rules_name_ok(name, len))
                return vhive_fail(err, EINVAL, "unknown --profile '%.*s': not a pack name",
                                  (int)len, name);
        if (asprintf(&path, "%s/%.*s.rules", vhive_rules_dir(), (int)len, name) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (stat(path, &st) < 0)
                return vhive_fail(err, EINVAL, "unknown --profile '%.*s': no pack %s", (int)len,
                                  name, path);
        return add_pack(rs, path, out, err);
}

static int select_rule(struct vhive_rules *rs, const struct vhive_rule *r, struct vhive_error *err)
{
        const struct vhive_rule **sel;

        for (size_t i = 0; i < rs->n_sel; i++)
                if (rs->sel[i] == r)
                        return 0;
        sel = realloc(rs->sel, (rs->n_sel + 1) * sizeof(*sel));
        if (!sel)
                return vhive_fail(err, ENOMEM, "out of memory");
        rs->sel = sel;
        sel[rs->n_sel++] = r;
        return 0;
}

static int select_pack(struct vhive_rules *rs, const struct vhive_pack *p, const char *id,
                       size_t id_len, struct vhive_error *err)
{
        bool found = false;

        for (size_t i = 0; i < p->n_rules; i++) {
                const struct vhive_rule *r = &p->rules[i];
                int ret;

                if (id && (strlen(r->id) != id_len || strncmp(r->id, id, id_len) != 0))
                        continue;
                found = true;
                ret = select_rule(rs, r, err);
                if (ret < 0)
                        return ret;
        }
        if (!found && id) /* a pack always has a rule */
                return vhive_fail(err, EINVAL, "unknown rule '%s.%.*s' (vhive rules --profile %s)",
                                  p->name, (int)id_len, id, p->name);
        return 0;
}

/* One item of --profile: "pack" or "pack.rule". */
static int select_item(struct vhive_rules *rs, const char *item, size_t len,
                       struct vhive_error *err)
{
        const char *dot = memchr(item, '.', len);
        size_t plen = dot ? (size_t)(dot - item) : len;
        struct vhive_pack *p;
        int r;

        if (len == 0)
                return vhive_fail(err, EINVAL, "unknown --profile '%s': an empty name in the list",
                                  rs->profile);
        r = named_pack(rs, item, plen, &p, err);
        if (r < 0)
                return r;
        return select_pack(rs, p, dot ? dot + 1 : NULL, dot ? len - plen - 1 : 0, err);
}

static int select_profile(struct vhive_rules *rs, struct vhive_error *err)
{
        const char *s = rs->profile;

        for (;;) {
                size_t len = strcspn(s, ",");
                int r = select_item(rs, s, len, err);

                if (r < 0)
                        return r;
                if (s[len] == '\0')
                        return 0;
                s += len + 1;
        }
}

static void unselect(struct vhive_rules *rs, size_t i)
{
        memmove(&rs->sel[i], &rs->sel[i + 1], (rs->n_sel - i - 1) * sizeof(*rs->sel));
        rs->n_sel--;
}

/* --skip names a rule of a loaded pack: a typo must not pass silently. */
static int skip_rules(struct vhive_rules *rs, const struct vhive_rules_spec *spec,
                      struct vhive_error *err)
{
        for (size_t k = 0; k < spec->n_skip; k++) {
                bool known = false;

                for (size_t p = 0; p < rs->n_packs; p++)
                        for (size_t i = 0; i < rs->packs[p]->n_rules; i++)
                                known |= strcmp(rs->packs[p]->rules[i].name, spec->skip[k]) == 0;
                if (!known)
                        return vhive_fail(err, EINVAL,
                                          "--skip '%s': no such rule in the selected packs",
                                          spec->skip[k]);
                for (size_t i = 0; i < rs->n_sel; i++)
                        if (strcmp(rs->sel[i]->name, spec->skip[k]) == 0)
                                unselect(rs, i--);
        }
        return 0;
}

static int add_files(struct vhive_rules *rs, const struct vhive_rules_spec *spec,
                     struct vhive_error *err)
{
        for (size_t i = 0; i < spec->n_files; i++) {
                struct vhive_pack *p;
                int r = add_pack(rs, spec->files[i], &p, err);

                if (r == 0)
                        r = select_pack(rs, p, NULL, 0, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int vhive_rules_select(struct vhive_rules *rs, const struct vhive_rules_spec *spec,
                       struct vhive_error *err)
{
        int r;

        memset(rs, 0, sizeof(*rs));
        rs->profile = strdup(spec->profile ? spec->profile : "seed");
        if (!rs->profile)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = select_profile(rs, err);
        if (r == 0)
                r = add_files(rs, spec, err);
        if (r == 0)
                r = skip_rules(rs, spec, err);
        if (r == 0 && rs->n_sel == 0)
                r = vhive_fail(err, EINVAL, "no rule selected (--skip left none)");
        return r;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pack names of the rules folder, sorted. */
static int list_dir(char ***names, size_t *n, struct vhive_error *err)
{
        DIR *d = opendir(vhive_rules_dir());
        struct dirent *e;

        *names = NULL;
        *n = 0;
        if (!d)
                return vhive_fail(err, errno, "%s: %s", vhive_rules_dir(), strerror(errno));
        while ((e = readdir(d))) {
                size_t len = strlen(e->d_name);
                char **v;

                if (len <= 6 || strcmp(e->d_name + len - 6, ".rules") != 0)
                        continue;
                v = realloc(*names, (*n + 1) * sizeof(*v));
                if (!v || !(v[*n] = strndup(e->d_name, len - 6))) {
                        free(v ? v : *names);
                        *names = NULL;
                        closedir(d);
                        return vhive_fail(err, ENOMEM, "out of memory");
                }
                *names = v;
                (*n)++;
        }
        closedir(d);
        qsort(*names, *n, sizeof(**names), cmp_str);
        return 0;
}

int vhive_rules_load_all(struct vhive_rules *rs, const struct vhive_rules_spec *spec,
                         struct vhive_error *err)
{
        char **names = NULL;
        size_t n = 0;
        int r;

        memset(rs, 0, sizeof(*rs));
        rs->profile = strdup("");
        r = rs->profile ? list_dir(&names, &n, err) : vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct vhive_pack *p;

                if (r == 0)
                        r = named_pack(rs, names[i], strlen(names[i]), &p, err);
                if (r == 0)
                        r = select_pack(rs, p, NULL, 0, err);
                free(names[i]);
        }
        free(names);
        if (r == 0)
                r = add_files(rs, spec, err);
        return r;
}

void vhive_rules_free(struct vhive_rules *rs)
{
        for (size_t i = 0; i < rs->n_packs; i++) {
                vhive_pack_free(rs->packs[i]);
                free(rs->packs[i]);
        }
        free(rs->packs);
        free(rs->sel);
        free(rs->profile);
        memset(rs, 0, sizeof(*rs));
}

bool vhive_rules_touch(const struct vhive_rules *rs, const char *hive)
{
        for (size_t i = 0; i < rs->n_sel; i++)
                if (strcasecmp(rs->sel[i]->hive, hive) == 0)
                        return true;
        return false;
}

bool vhive_rules_have_action(const struct vhive_rules *rs, enum vhive_rule_action a)
{
        for (size_t i = 0; i < rs->n_sel; i++)
                if (rs->sel[i]->action == a)
                        return true;
        return false;
}
