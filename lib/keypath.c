/* Key paths: "HKLM\SYSTEM\...", "HKEY_LOCAL_MACHINE\...", or relative to
 * the hive root; "*" components and CurrentControlSet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "regfile.h"

static const char *const hives[] = { "SYSTEM", "SOFTWARE", "SAM", "SECURITY" };

const char *vhive_hive_canonical(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(hives); i++)
                if (strcasecmp(name, hives[i]) == 0)
                        return hives[i];
        return NULL;
}

const char *vhive_hive_from_filename(const char *path)
{
        const char *base = strrchr(path, '/');
        char stem[16];
        size_t len;

        base = base ? base + 1 : path;
        len = strcspn(base, ".");
        if (len == 0 || len >= sizeof(stem))
                return NULL;
        memcpy(stem, base, len);
        stem[len] = '\0';
        return vhive_hive_canonical(stem);
}

static bool is_hklm(const char *s, size_t len)
{
        return (len == 4 && strncasecmp(s, "HKLM", 4) == 0) ||
               (len == 18 && strncasecmp(s, "HKEY_LOCAL_MACHINE", 18) == 0);
}

static bool is_other_root(const char *s, size_t len)
{
        return len >= 2 && strncasecmp(s, "HK", 2) == 0 && !memchr(s, ' ', len) &&
               (len <= 4 || strncasecmp(s, "HKEY_", 5) == 0);
}

static int push_comp(struct vhive_keypath *kp, const char *s, size_t len)
{
        char **comps = realloc(kp->comps, (kp->n + 1) * sizeof(*comps));

        if (!comps)
                return -ENOMEM;
        kp->comps = comps;
        comps[kp->n] = strndup(s, len);
        if (!comps[kp->n])
                return -ENOMEM;
        if (strcmp(comps[kp->n], "*") == 0)
                kp->wildcard = true;
        kp->n++;
        return 0;
}

/* Splits at backslashes; a trailing backslash is allowed, "a\\b" is not. */
static int split(struct vhive_keypath *kp, const char *text, struct vhive_error *err)
{
        const char *p = text;

        while (*p) {
                size_t len = strcspn(p, "\\");

                if (len == 0)
                        return vhive_fail(err, EINVAL, "key path '%s': empty key name", text);
                if (push_comp(kp, p, len) < 0)
                        return vhive_fail(err, ENOMEM, "key path: out of memory");
                p += len;
                if (*p == '\\')
                        p++;
        }
        return 0;
}

/* Takes "HKLM\SYSTEM" off the front of kp->comps. */
static int take_root(struct vhive_keypath *kp, const char *text, struct vhive_error *err)
{
        const char *first = kp->n ? kp->comps[0] : "";
        size_t flen = strlen(first);

        if (!is_hklm(first, flen)) {
                if (is_other_root(first, flen))
                        return vhive_fail(err, EINVAL,
                                          "key path '%s': only HKEY_LOCAL_MACHINE (HKLM) "
                                          "is stored in hive files", text);
                return 0;
        }
        if (kp->n < 2 || !vhive_hive_canonical(kp->comps[1]))
                return vhive_fail(err, EINVAL,
                                  "key path '%s': expected HKLM\\SYSTEM, HKLM\\SOFTWARE, "
                                  "HKLM\\SAM or HKLM\\SECURITY", text);
        kp->hive = vhive_hive_canonical(kp->comps[1]);
        if (asprintf(&kp->root, "%s\\%s", kp->comps[0], kp->comps[1]) < 0) {
                kp->root = NULL;
                return vhive_fail(err, ENOMEM, "key path: out of memory");
        }
        free(kp->comps[0]);
        free(kp->comps[1]);
        memmove(kp->comps, kp->comps + 2, (kp->n - 2) * sizeof(*kp->comps));
        kp->n -= 2;
        return 0;
}

int vhive_keypath_parse(const char *text, struct vhive_keypath *kp, struct vhive_error *err)
{
        int r;

        *kp = (struct vhive_keypath){ 0 };
        r = split(kp, text[0] == '\\' ? text + 1 : text, err);
        if (r == 0)
                r = take_root(kp, text, err);
        if (r < 0)
                vhive_keypath_free(kp);
        return r;
}

void vhive_keypath_free(struct vhive_keypath *kp)
{
        for (size_t i = 0; i < kp->n; i++)
                free(kp->comps[i]);
        free(kp->comps);
        free(kp->root);
        *kp = (struct vhive_keypath){ 0 };
}

char *vhive_keypath_text(const struct vhive_keypath *kp, size_t upto)
{
        size_t len = kp->root ? strlen(kp->root) + 1 : 1;
        char *s, *p;

        if (upto > kp->n)
                upto = kp->n;
        for (size_t i = 0; i < upto; i++)
                len += strlen(kp->comps[i]) + 1;
        s = p = malloc(len);
        if (!s)
                return NULL;
        *p = '\0';
        if (kp->root)
                p = stpcpy(p, kp->root);
        for (size_t i = 0; i < upto; i++) {
                if (p != s)
                        *p++ = '\\';
                p = stpcpy(p, kp->comps[i]);
        }
        return s;
}

bool vhive_keypath_is_ccs(const struct vhive_keypath *kp, size_t i)
{
        return i == 0 && kp->n > 0 && (!kp->hive || strcmp(kp->hive, "SYSTEM") == 0) &&
               strcasecmp(kp->comps[0], "CurrentControlSet") == 0;
}

int vhive_keypath_check_hive(const struct vhive_keypath *kp, const char *hive,
                             struct vhive_error *err)
{
        if (!kp->hive || !hive || strcmp(kp->hive, hive) == 0)
                return 0;
        return vhive_fail(err, EINVAL, "%s is outside this hive (%s)", kp->root, hive);
}

/* ---- resolving -------------------------------------------------------- */

struct node_set {
        hive_node_h *v;
        size_t n;
};

static int set_add(struct node_set *s, hive_node_h node)
{
        hive_node_h *v = realloc(s->v, (s->n + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        v[s->n++] = node;
        s->v = v;
        return 0;
}

static int add_children(hive_h *h, hive_node_h node, struct node_set *out,
                        struct vhive_error *err)
{
        _cleanup_free_ hive_node_h *kids = NULL;

        errno = 0;
        kids = hivex_node_children(h, node);
        if (!kids)
                return vhive_fail(err, errno, "reading subkeys: %s", strerror(errno));
        for (size_t i = 0; kids[i]; i++)
                if (set_add(out, kids[i]) < 0)
                        return vhive_fail(err, ENOMEM, "out of memory");
        return 0;
}

static int step_one(hive_h *h, const struct vhive_keypath *kp, size_t i, hive_node_h node,
                    struct node_set *out, struct vhive_error *err)
{
        struct vhive_controlset cs;
        hive_node_h child = 0;
        int r;

        if (strcmp(kp->comps[i], "*") == 0)
                return add_children(h, node, out, err);
        if (vhive_keypath_is_ccs(kp, i)) {
                r = vhive_controlset_current(h, &cs, err);
                if (r < 0)
                        return r;
                child = cs.node;
        } else {
                r = vhive_child(h, node, kp->comps[i], &child, err);
                if (r < 0)
                        return r;
        }
        if (child && set_add(out, child) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        return 0;
}

static int missing(const struct vhive_keypath *kp, size_t upto, struct vhive_error *err)
{
        _cleanup_free_ char *all = vhive_keypath_text(kp, kp->n);
        _cleanup_free_ char *part = vhive_keypath_text(kp, upto);

        bool glob = false;

        if (!all || !part)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < upto; i++)
                glob = glob || strcmp(kp->comps[i], "*") == 0;
        if (glob)
                return vhive_fail(err, ENOENT, "no key matches %s", all);
        return vhive_fail(err, ENOENT, "key %s does not exist", part);
}

int vhive_keypath_resolve(hive_h *h, const struct vhive_keypath *kp, hive_node_h **nodes,
                          struct vhive_error *err)
{
        struct node_set cur = { 0 }, next = { 0 };
        int r = 0;

        if (set_add(&cur, hivex_root(h)) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < kp->n && r == 0; i++) {
                for (size_t j = 0; j < cur.n && r == 0; j++)
                        r = step_one(h, kp, i, cur.v[j], &next, err);
                free(cur.v);
                cur = next;
                next = (struct node_set){ 0 };
                if (r == 0 && cur.n == 0)
                        r = missing(kp, i + 1, err);
        }
        if (r < 0) {
                free(cur.v);
                return r;
        }
        *nodes = cur.v;
        return (int)cur.n;
}

char *vhive_node_path(hive_h *h, hive_node_h node)
{
        hive_node_h root = hivex_root(h);
        char *path = strdup("");

        while (path && node != root) {
                _cleanup_free_ char *name = hivex_node_name(h, node);
                char *p;

                errno = 0;
                node = hivex_node_parent(h, node);
                if (!name || !node) {
                        free(path);
                        return NULL;
                }
                if (asprintf(&p, "%s%s%s", name, *path ? "\\" : "", path) < 0)
                        p = NULL;
                free(path);
                path = p;
        }
        return path;
}
