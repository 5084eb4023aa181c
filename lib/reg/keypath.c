/* Key paths: "HKLM\SYSTEM\...", "HKEY_LOCAL_MACHINE\...", or relative to
 * the hive root; "*" components and CurrentControlSet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "reg.h"

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
                                          "is stored in hive files",
                                          text);
                return 0;
        }
        if (kp->n < 2 || !vhive_hive_canonical(kp->comps[1]))
                return vhive_fail(err, EINVAL,
                                  "key path '%s': expected HKLM\\SYSTEM, HKLM\\SOFTWARE, "
                                  "HKLM\\SAM or HKLM\\SECURITY",
                                  text);
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

/* ---- the keys a walk has reached ----------------------------------------- */

static size_t seen_slot(const struct vhive_node_seen *s, hive_node_h node)
{
        /* Handles are cell offsets: multiples of 8, so drop those bits. */
        size_t i = (size_t)((node >> 3) * 0x9e3779b97f4a7c15ull) & (s->cap - 1);

        while (s->slots[i] && s->slots[i] != node)
                i = (i + 1) & (s->cap - 1);
        return i;
}

static int seen_grow(struct vhive_node_seen *s)
{
        struct vhive_node_seen bigger = { .cap = s->cap ? s->cap * 2 : 64 };

        bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
        if (!bigger.slots)
                return -ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
                if (s->slots[i])
                        bigger.slots[seen_slot(&bigger, s->slots[i])] = s->slots[i];
        bigger.n = s->n;
        free(s->slots);
        *s = bigger;
        return 0;
}

int vhive_node_seen_add(struct vhive_node_seen *s, hive_node_h node)
{
        size_t i;

        if ((s->n + 1) * 2 > s->cap && seen_grow(s) < 0)
                return -ENOMEM;
        i = seen_slot(s, node);
        if (s->slots[i])
                return 1;
        s->slots[i] = node;
        s->n++;
        return 0;
}

void vhive_node_seen_free(struct vhive_node_seen *s)
{
        free(s->slots);
        *s = (struct vhive_node_seen){ 0 };
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

/* Adds node to out unless a key reached it already: in a sound hive the
 * keys of one level are all different, so a repeat is a damaged tree, and
 * going on would multiply the set at every "*". */
static int set_add_once(hive_h *h, struct node_set *out, struct vhive_node_seen *seen,
                        hive_node_h node, struct vhive_error *err)
{
        int r = vhive_node_seen_add(seen, node);

        if (r < 0 || set_add(out, node) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (r > 0) {
                _cleanup_free_ char *name = hivex_node_name(h, node);

                return vhive_fail(err, ELOOP,
                                  "the hive's key tree is damaged: key %s is "
                                  "reached twice (a cycle or a shared subkey list)",
                                  name ? name : "?");
        }
        return 0;
}

static int add_children(hive_h *h, hive_node_h node, struct node_set *out,
                        struct vhive_node_seen *seen, struct vhive_error *err)
{
        _cleanup_free_ hive_node_h *kids = NULL;
        int r = 0;

        errno = 0;
        kids = hivex_node_children(h, node);
        if (!kids)
                return vhive_fail(err, errno, "reading subkeys: %s", strerror(errno));
        for (size_t i = 0; kids[i] && r == 0; i++)
                r = set_add_once(h, out, seen, kids[i], err);
        return r;
}

static int step_one(hive_h *h, const struct vhive_keypath *kp, size_t i, hive_node_h node,
                    struct node_set *out, struct vhive_node_seen *seen, struct vhive_error *err)
{
        struct vhive_controlset cs;
        hive_node_h child = 0;
        int r;

        if (strcmp(kp->comps[i], "*") == 0)
                return add_children(h, node, out, seen, err);
        if (vhive_keypath_is_ccs(kp, i)) {
                r = vhive_controlset_ccs(h, &cs, err);
                if (r < 0)
                        return r;
                child = cs.node;
        } else {
                r = vhive_child(h, node, kp->comps[i], &child, err);
                if (r < 0)
                        return r;
        }
        return child ? set_add_once(h, out, seen, child, err) : 0;
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
        struct vhive_node_seen seen = { 0 };
        int r = 0;

        if (set_add(&cur, hivex_root(h)) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < kp->n && r == 0; i++) {
                for (size_t j = 0; j < cur.n && r == 0; j++)
                        r = step_one(h, kp, i, cur.v[j], &next, &seen, err);
                vhive_node_seen_free(&seen);
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

        for (unsigned depth = 0; path && node != root; depth++) {
                _cleanup_free_ char *name = NULL;
                char *p;

                if (depth == VHIVE_MAX_KEY_DEPTH) {
                        /* A cycle of parents, or a damaged tree. */
                        free(path);
                        errno = ELOOP;
                        return NULL;
                }
                name = hivex_node_name(h, node);

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
