/* The scrub: the selected rules' values in each key they name, blanked,
 * deleted or (detect) only reported.  Keys under CurrentControlSet are
 * walked in each boot control set (every set with --all-controlsets). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "scrub.h"

/* Where blanks go: nowhere (report only), hivex's writer, or in place. */
struct target {
        bool apply;
        struct vhive_hive_buf *buf;
};

/* One visit's walk from a control set or the hive root. */
struct walk {
        const struct vhive_reader *rd; /* rd->h: hivex's, for the writes */
        const struct vhive_scrub_opts *opts;
        const struct target *t;
        const struct vhive_visit *v;
        struct vhive_cs_report *cr;
        char **comps;
        size_t n;
};

static bool in_list(char *const *list, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(list[i], name) == 0)
                        return true;
        return false;
}

/* EnableDHCP = 0 marks an interface configured by hand. */
static bool interface_is_static(const struct vhive_reader *rd, hive_node_h node)
{
        uint32_t value;

        return vhive_rd_interface_dhcp(rd, node, &value) == VHIVE_DHCP_STATIC;
}

/* What the value's rule does with what is there. */
static enum vhive_action present_action(const struct vhive_rule *r, bool blank, bool keep)
{
        if (r->action == VHIVE_RULE_DELETE)
                return VHIVE_ACTION_DELETED; /* present at all, blank or not */
        if (blank)
                return VHIVE_ACTION_ALREADY_BLANK;
        if (r->action == VHIVE_RULE_DETECT)
                return VHIVE_ACTION_DETECTED;
        return keep ? VHIVE_ACTION_KEPT : VHIVE_ACTION_BLANKED;
}

static int classify_value(const struct vhive_reader *rd, hive_node_h node,
                          const struct vhive_visit_value *vv, bool keep,
                          struct vhive_value_report *vr, struct vhive_error *err)
{
        _cleanup_free_ char *data = NULL;
        hive_value_h v;
        hive_type t;
        size_t len;

        errno = 0;
        v = rd->ops->get_value(rd, node, vv->name);
        if (v == 0 && errno != 0)
                return vhive_fail(err, errno, "reading value %s: %s", vv->name, strerror(errno));
        vr->rule = vv->rule;
        vr->type = -1;
        vr->action = VHIVE_ACTION_ABSENT;
        vr->name = v ? rd->ops->value_key(rd, v) : strdup(vv->name);
        if (!vr->name)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (v == 0)
                return 0;
        data = rd->ops->value_value(rd, v, &t, &len);
        if (!data)
                return vhive_fail(err, errno, "reading value %s: %s", vv->name, strerror(errno));
        vr->type = t;
        vr->old_text = vhive_value_to_text(t, data, len);
        if (!vr->old_text)
                return vhive_fail(err, ENOMEM, "out of memory");
        vr->action = present_action(vv->rule, vhive_value_is_blank(t, data, len), keep);
        vr->old_len = len;
        vr->old_data = (uint8_t *)data;
        data = NULL; /* the report keeps the bytes */
        return 0;
}

static int push_value(struct vhive_key_report *kr, struct vhive_value_report **out,
                      struct vhive_error *err)
{
        struct vhive_value_report *v = realloc(kr->values, (kr->n_values + 1) * sizeof(*v));

        if (!v)
                return vhive_fail(err, ENOMEM, "out of memory");
        kr->values = v;
        *out = memset(&v[kr->n_values++], 0, sizeof(*v));
        return 0;
}

static bool key_needs_write(const struct vhive_key_report *kr)
{
        for (size_t i = 0; i < kr->n_values; i++)
                if (kr->values[i].action == VHIVE_ACTION_BLANKED ||
                    kr->values[i].action == VHIVE_ACTION_DELETED)
                        return true;
        return false;
}

static bool has_keep_static(const struct vhive_visit *v)
{
        for (size_t i = 0; i < v->n_values; i++)
                if (v->values[i].rule->n_keep_static)
                        return true;
        return false;
}

static int scrub_key(struct walk *w, hive_node_h node, struct vhive_key_report *kr,
                     struct vhive_error *err)
{
        struct vhive_value_report *vr = NULL;
        int r;

        kr->is_static = has_keep_static(w->v) && interface_is_static(w->rd, node);
        for (size_t i = 0; i < w->v->n_values; i++) {
                const struct vhive_visit_value *vv = &w->v->values[i];
                bool keep = w->opts->keep_static && kr->is_static &&
                            in_list(vv->rule->keep_static, vv->rule->n_keep_static, vv->name);

                r = push_value(kr, &vr, err);
                if (r == 0)
                        r = classify_value(w->rd, node, vv, keep, vr, err);
                if (r < 0)
                        return r;
        }
        if (w->v->key_rule) { /* the key itself is what the rule detects */
                r = push_value(kr, &vr, err);
                if (r < 0)
                        return r;
                vr->rule = w->v->key_rule;
                vr->type = -1;
                vr->action = VHIVE_ACTION_DETECTED;
        }
        if (!w->t->apply || !key_needs_write(kr))
                return 0;
        if (!w->rd->h)
                return vhive_fail(err, EINVAL, "a scrub writes through hivex only");
        return w->t->buf ? vhive_scrub_apply_in_place(w->rd->h, w->t->buf, node, kr, err)
                         : vhive_scrub_apply_key(w->rd->h, node, kr, err);
}

/* The report's old shape (JSON "parameters", "interfaces", "tcpip6"). */
static void classify_key(struct vhive_key_report *k, bool in_cs)
{
        static const char ifaces[] = "Services\\Tcpip\\Parameters\\Interfaces\\";
        size_t n = strlen(ifaces);

        if (!in_cs)
                return;
        k->is_tcpip6 = strcasecmp(k->path, "Services\\Tcpip6\\Parameters") == 0;
        k->is_interface = strncasecmp(k->path, ifaces, n) == 0 && k->path[n] &&
                          !strchr(k->path + n, '\\');
}

static int push_key(struct walk *w, const char *path, struct vhive_key_report **out,
                    struct vhive_error *err)
{
        struct vhive_cs_report *cr = w->cr;
        struct vhive_key_report *k = realloc(cr->keys, (cr->n_keys + 1) * sizeof(*k));
        const char *last = strrchr(path, '\\');

        if (!k)
                return vhive_fail(err, ENOMEM, "out of memory");
        cr->keys = k;
        k = memset(&k[cr->n_keys++], 0, sizeof(*k));
        k->path = strdup(path);
        k->name = strdup(last ? last + 1 : path);
        if (!k->path || !k->name)
                return vhive_fail(err, ENOMEM, "out of memory");
        classify_key(k, w->v->in_cs);
        *out = k;
        return 0;
}

/* A key that is not there: a delete rule's values are reported absent
 * (absent stays absent); blank and detect rules have nothing to say. */
static int missing_key(struct walk *w, struct vhive_error *err)
{
        struct vhive_key_report *kr = NULL;
        bool any = false;
        int r;

        for (size_t i = 0; i < w->v->n_values; i++)
                any |= w->v->values[i].rule->action == VHIVE_RULE_DELETE;
        if (!any || w->v->wildcard)
                return 0;
        r = push_key(w, w->v->key, &kr, err);
        for (size_t i = 0; r == 0 && i < w->v->n_values; i++) {
                struct vhive_value_report *vr = NULL;

                if (w->v->values[i].rule->action != VHIVE_RULE_DELETE)
                        continue;
                r = push_value(kr, &vr, err);
                if (r < 0)
                        return r;
                vr->type = -1;
                vr->action = VHIVE_ACTION_ABSENT;
                vr->rule = w->v->values[i].rule;
                vr->name = strdup(w->v->values[i].name);
                if (!vr->name)
                        r = vhive_fail(err, ENOMEM, "out of memory");
        }
        return r;
}

static int walk_at(struct walk *w, hive_node_h node, size_t i, const char *path,
                   struct vhive_error *err);

static int walk_child(struct walk *w, hive_node_h parent, hive_node_h child, size_t i,
                      const char *path, struct vhive_error *err)
{
        _cleanup_free_ char *name = w->rd->ops->name(w->rd, child), *sub = NULL;
        int r;

        if (!name)
                return vhive_fail(err, errno ? errno : EIO, "reading a key name below %s",
                                  *path ? path : "the root");
        r = vhive_rd_check_parent(w->rd, parent, child, name, err);
        if (r < 0)
                return r;
        if (asprintf(&sub, "%s%s%s", path, *path ? "\\" : "", name) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        return walk_at(w, child, i + 1, sub, err);
}

/* "*": every subkey.  Value writes add cells but leave key handles valid. */
static int walk_children(struct walk *w, hive_node_h node, size_t i, const char *path,
                         struct vhive_error *err)
{
        _cleanup_free_ hive_node_h *children = w->rd->ops->children(w->rd, node);

        if (!children)
                return vhive_fail(err, errno, "listing the subkeys of %s: %s",
                                  *path ? path : "the root", strerror(errno));
        for (size_t c = 0; children[c]; c++) {
                int r = walk_child(w, node, children[c], i, path, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int walk_at(struct walk *w, hive_node_h node, size_t i, const char *path,
                   struct vhive_error *err)
{
        struct vhive_key_report *kr = NULL;
        hive_node_h child;
        int r;

        if (i == w->n) {
                r = push_key(w, path, &kr, err);
                return r < 0 ? r : scrub_key(w, node, kr, err);
        }
        if (strcmp(w->comps[i], "*") == 0)
                return walk_children(w, node, i, path, err);
        r = vhive_rd_child(w->rd, node, w->comps[i], &child, err);
        if (r < 0)
                return r;
        if (child == 0)
                return missing_key(w, err);
        return walk_child(w, node, child, i, path, err);
}

static int walk_visit(const struct vhive_reader *rd, hive_node_h from, const struct vhive_visit *v,
                      const struct vhive_scrub_opts *opts, const struct target *t,
                      struct vhive_cs_report *cr, struct vhive_error *err)
{
        _cleanup_free_ char *copy = strdup(v->key);
        _cleanup_free_ char **comps = calloc(strlen(v->key) / 2 + 2, sizeof(*comps));
        struct walk w = { rd, opts, t, v, cr, comps, 0 };
        char *save = NULL;

        if (!copy || !comps)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (char *c = strtok_r(copy, "\\", &save); c; c = strtok_r(NULL, "\\", &save))
                comps[w.n++] = c;
        return walk_at(&w, from, 0, "", err);
}

static void count_set(struct vhive_scrub_report *rep, const struct vhive_cs_report *cr)
{
        for (size_t k = 0; k < cr->n_keys; k++)
                for (size_t v = 0; v < cr->keys[k].n_values; v++)
                        rep->counts[cr->keys[k].values[v].action]++;
}

static void count_actions(struct vhive_scrub_report *rep)
{
        memset(rep->counts, 0, sizeof(rep->counts));
        for (size_t s = 0; s < rep->n_sets; s++)
                count_set(rep, &rep->sets[s]);
        count_set(rep, &rep->root);
}

static int select_controlsets(const struct vhive_reader *rd, bool all,
                              struct vhive_controlset **sets, struct vhive_error *err)
{
        if (all)
                return vhive_rd_controlset_list(rd, sets, err);
        /* Every set the next boot may load counts as current. */
        *sets = calloc(2, sizeof(**sets));
        if (!*sets)
                return vhive_fail(err, ENOMEM, "out of memory");
        return vhive_rd_controlset_boot(rd, *sets, err);
}

static int scrub_sets(const struct vhive_reader *rd, const struct vhive_visits *vs,
                      const struct vhive_scrub_opts *opts, const struct target *t,
                      struct vhive_scrub_report *rep, struct vhive_error *err)
{
        _cleanup_free_ struct vhive_controlset *sets = NULL;
        int n = select_controlsets(rd, opts->all_controlsets, &sets, err);

        if (n < 0)
                return n;
        rep->sets = calloc(n ? n : 1, sizeof(*rep->sets));
        if (!rep->sets)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (int i = 0; i < n; i++) {
                struct vhive_cs_report *cr = &rep->sets[rep->n_sets++];

                cr->cs = sets[i];
                for (size_t k = 0; k < vs->n; k++) {
                        int r = vs->v[k].in_cs
                                        ? walk_visit(rd, sets[i].node, &vs->v[k], opts, t, cr, err)
                                        : 0;

                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int scrub(const struct vhive_reader *rd, const struct vhive_scrub_opts *opts,
                 const struct target *t, struct vhive_scrub_report *rep, struct vhive_error *err)
{
        const char *hive = opts->hive ? opts->hive : "SYSTEM";
        struct vhive_visits vs;
        int r;

        memset(rep, 0, sizeof(*rep));
        snprintf(rep->hive, sizeof(rep->hive), "%s", hive);
        r = vhive_visits_build(opts->rules, hive, &vs, err);
        if (r < 0)
                return r;
        if (vs.any_cs)
                r = scrub_sets(rd, &vs, opts, t, rep, err);
        for (size_t k = 0; r == 0 && k < vs.n; k++)
                if (!vs.v[k].in_cs)
                        r = walk_visit(rd, rd->ops->root(rd), &vs.v[k], opts, t, &rep->root, err);
        vhive_visits_free(&vs);
        count_actions(rep);
        return r;
}

int vhive_scrub(hive_h *h, const struct vhive_scrub_opts *opts, bool apply,
                struct vhive_scrub_report *rep, struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);
        struct target t = { .apply = apply };

        return scrub(&rd, opts, &t, rep, err);
}

int vhive_scrub_read(const struct vhive_reader *rd, const struct vhive_scrub_opts *opts,
                     struct vhive_scrub_report *rep, struct vhive_error *err)
{
        struct target t = { .apply = false };

        return scrub(rd, opts, &t, rep, err);
}

int vhive_scrub_in_place(hive_h *h, struct vhive_hive_buf *buf, const struct vhive_scrub_opts *opts,
                         struct vhive_scrub_report *rep, struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);
        struct target t = { .apply = true, .buf = buf };
        int r = scrub(&rd, opts, &t, rep, err);

        /* Built by the first edit, for this scrub's edits only. */
        vhive_hive_buf_drop_refs(buf);
        return r;
}

int vhive_scrub_hive_kind(const struct vhive_reader *rd, const char **hive, struct vhive_error *err)
{
        hive_node_h node;
        int r = vhive_rd_child(rd, rd->ops->root(rd), "Select", &node, err);

        if (r == 0 && node) {
                *hive = "SYSTEM";
                return 0;
        }
        if (r == 0)
                r = vhive_rd_lookup(rd, rd->ops->root(rd), "Microsoft\\Windows NT\\CurrentVersion",
                                    &node, err);
        if (r < 0)
                return r;
        if (node == 0)
                return vhive_fail(err, EINVAL,
                                  "neither a SYSTEM hive (no Select key at the root) nor a "
                                  "SOFTWARE hive (no Microsoft\\Windows NT\\CurrentVersion)");
        *hive = "SOFTWARE";
        return 0;
}
