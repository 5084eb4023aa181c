/* The editor commands' JSON: values typed as the registry types them,
 * keys (ls, get, export) and the changes of set, delete and merge.  The
 * shape is documented in vhive(1), JSON OUTPUT. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "reg.h"

static json_t *hex_json(const char *data, size_t len)
{
        static const char digits[] = "0123456789abcdef";
        _cleanup_free_ char *s = malloc(2 * len + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                s[2 * i] = digits[(unsigned char)data[i] >> 4];
                s[2 * i + 1] = digits[(unsigned char)data[i] & 15];
        }
        s[2 * len] = '\0';
        return json_string(s);
}

static json_t *string_json(const char *data, size_t len)
{
        _cleanup_free_ char *s = vhive_utf16le_to_utf8(data, len);

        return s ? vhive_json_text(s) : NULL;
}

/* REG_MULTI_SZ: the strings up to the empty one that ends the list. */
static json_t *multi_json(const char *data, size_t len)
{
        json_t *a = json_array();
        size_t pos = 0, n;
        const char *p;

        while (a && vhive_multi_sz_next(data, len, &pos, &p, &n))
                json_array_append_new(a, string_json(p, n));
        return a;
}

static uint64_t le(const char *data, size_t len)
{
        uint64_t v = 0;

        for (size_t i = len; i-- > 0;)
                v = v << 8 | (unsigned char)data[i];
        return v;
}

/* A QWORD past what a JSON integer holds here (int64) is a decimal string. */
static json_t *number_json(uint64_t v)
{
        char buf[24];

        if (v <= INT64_MAX)
                return json_integer((json_int_t)v);
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        return json_string(buf);
}

/* NULL when the bytes do not make a value of type t (a 3-byte DWORD). */
static json_t *typed_json(hive_type t, const char *data, size_t len)
{
        switch (t) {
        case hive_t_REG_SZ:
        case hive_t_REG_EXPAND_SZ:
        case hive_t_REG_LINK:
                return string_json(data, len);
        case hive_t_REG_MULTI_SZ:
                return multi_json(data, len);
        case hive_t_REG_DWORD:
                return len == 4 ? number_json(le(data, 4)) : NULL;
        case hive_t_REG_DWORD_BIG_ENDIAN:
                return len == 4 ? number_json(__builtin_bswap32((uint32_t)le(data, 4))) : NULL;
        case hive_t_REG_QWORD:
                return len == 8 ? number_json(le(data, 8)) : NULL;
        default:
                return hex_json(data, len);
        }
}

static json_t *data_json(json_t *o, hive_type t, const char *data, size_t len)
{
        json_t *d = typed_json(t, data, len);

        json_object_set_new(o, "type", json_string(vhive_type_name(t)));
        if ((unsigned)t > hive_t_REG_QWORD)
                json_object_set_new(o, "type_code", json_integer((json_int_t)t));
        if (!d) {
                d = hex_json(data, len);
                json_object_set_new(o, "malformed", json_true());
        }
        json_object_set_new(o, "data", d ? d : json_null());
        return o;
}

json_t *vhive_json_value(const char *name, hive_type t, const char *data, size_t len)
{
        return data_json(json_pack("{s:o}", "name", vhive_json_text(name)), t, data, len);
}

static json_t *values_json(const struct vhive_key *k)
{
        json_t *a = json_array();

        for (size_t i = 0; i < k->n_values; i++) {
                const struct vhive_value *v = &k->values[i];

                json_array_append_new(a, vhive_json_value(v->name, v->type, v->data, v->len));
        }
        return a;
}

static json_t *ls_key_json(const struct vhive_key *k)
{
        json_t *subs = json_array();

        for (size_t i = 0; i < k->n_subkeys; i++)
                json_array_append_new(subs, vhive_json_text(k->subkeys[i].name));
        return json_pack("{s:o, s:o, s:o}", "key", vhive_json_text(k->path), "subkeys", subs,
                         "values", values_json(k));
}

static json_t *tree_json(const struct vhive_key *k)
{
        json_t *subs = json_array();

        for (size_t i = 0; i < k->n_subkeys; i++)
                json_array_append_new(subs, tree_json(&k->subkeys[i]));
        return json_pack("{s:o, s:o, s:o, s:o}", "key", vhive_json_text(k->path), "name",
                         vhive_json_text(k->name), "values", values_json(k), "subkeys", subs);
}

/* get: one object per key that has the value, the key's path first. */
static json_t *get_json(const struct vhive_read_job *c)
{
        json_t *a = json_array();

        for (size_t i = 0; i < c->n_keys; i++) {
                const struct vhive_key *k = &c->keys[i];
                const struct vhive_value *v = &k->values[0];
                json_t *o = json_pack("{s:o, s:o}", "key", vhive_json_text(k->path), "name",
                                      vhive_json_text(v->name));

                json_array_append_new(a, data_json(o, v->type, v->data, v->len));
        }
        return a;
}

json_t *vhive_json_read_target(const char *target, const struct vhive_job_result *r,
                               const struct vhive_op *op, const struct vhive_read_job *c)
{
        json_t *o = vhive_json_job_result(target, r), *keys;

        if (r->status < 0)
                return o;
        json_object_set_new(o, "root", vhive_json_text(c->root));
        if (op == &vhive_get_op) {
                json_object_set_new(o, "values", get_json(c));
                return o;
        }
        keys = json_array();
        for (size_t i = 0; i < c->n_keys; i++)
                json_array_append_new(keys, op == &vhive_ls_op ? ls_key_json(&c->keys[i])
                                                               : tree_json(&c->keys[i]));
        json_object_set_new(o, "keys", keys);
        return o;
}

static const char *action_name(enum vhive_change_kind k)
{
        static const char *const names[] = { "add-key",   "delete-key",   "add-value",
                                             "set-value", "delete-value", "no-match" };

        return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

/* prefix: the hive's name when keys are shown below HKEY_LOCAL_MACHINE
 * (a run on several hives), else NULL. */
static json_t *change_json(const struct vhive_change *c, const char *prefix)
{
        _cleanup_free_ char *key = NULL;
        json_t *o;

        if (prefix && asprintf(&key, "%s%s%s", prefix, *c->key ? "\\" : "", c->key) < 0)
                key = NULL;
        o = json_pack("{s:s, s:o}", "action", action_name(c->kind), "key",
                      vhive_json_text(key ? key : c->key));
        bool has_old = c->kind == VHIVE_CHANGE_SET_VALUE || c->kind == VHIVE_CHANGE_DELETE_VALUE;
        bool has_new = c->kind == VHIVE_CHANGE_SET_VALUE || c->kind == VHIVE_CHANGE_ADD_VALUE;

        if (c->value)
                json_object_set_new(o, "value", vhive_json_text(c->value));
        if (has_old)
                json_object_set_new(o, "old",
                                    data_json(json_object(), c->old_type, c->old_data, c->old_len));
        if (has_new)
                json_object_set_new(o, "new", data_json(json_object(), c->type, c->data, c->len));
        if (c->line) {
                json_object_set_new(o, "file", vhive_json_text(c->file));
                json_object_set_new(o, "line", json_integer(c->line));
        }
        return o;
}

/* Appends plan's changes and unmatched sections to the two arrays. */
static void add_changes(const struct vhive_merge *plan, const char *prefix, json_t *changes,
                        json_t *unmatched)
{
        size_t n = 0;
        const struct vhive_change *c = plan ? vhive_merge_changes(plan, &n) : NULL; /* failed */

        for (size_t i = 0; i < n; i++)
                json_array_append_new(c[i].kind == VHIVE_CHANGE_NO_MATCH ? unmatched : changes,
                                      change_json(&c[i], prefix));
}

static const char *plan_root(const struct vhive_merge_job *j, size_t k, char *root, size_t len)
{
        snprintf(root, len, "HKEY_LOCAL_MACHINE\\%s",
                 j->plan_hives[k] ? j->plan_hives[k]
                 : j->hive        ? j->hive
                                  : "SYSTEM");
        return root;
}

/* Each hive worked on: what happened to it, and its changes. */
static json_t *hives_json(const struct vhive_job_result *r, const struct vhive_merge_job *j)
{
        json_t *a = json_array();
        char root[64];

        for (size_t k = 0; k < r->n_hives; k++) {
                const struct vhive_hive_result *h = &r->hives[k];
                json_t *o = vhive_json_hive_result(h);

                for (size_t p = 0; p < j->n_plans; p++) {
                        if (*h->name && (!j->plan_hives[p] || strcmp(j->plan_hives[p], h->name)))
                                continue;
                        json_t *changes = json_array(), *unmatched = json_array();
                        json_object_set_new(o, "root",
                                            vhive_json_text(plan_root(j, p, root, sizeof(root))));
                        add_changes(j->plans[p], NULL, changes, unmatched);
                        json_object_set_new(o, "changes", changes);
                        json_object_set_new(o, "unmatched", unmatched);
                        break;
                }
                json_array_append_new(a, o);
        }
        return a;
}

json_t *vhive_json_merge_target(const char *target, const struct vhive_job_result *r,
                                const struct vhive_merge_job *j)
{
        json_t *o = vhive_json_job_result(target, r), *changes, *unmatched;
        bool several = j->n_plans > 1;
        char root[64];

        json_object_set_new(o, "hives", hives_json(r, j));
        if (r->status < 0 || !j->n_plans)
                return o;
        /* Several hives: keys below HKEY_LOCAL_MACHINE, each with its hive. */
        json_object_set_new(o, "root",
                            vhive_json_text(several ? "HKEY_LOCAL_MACHINE"
                                                    : plan_root(j, 0, root, sizeof(root))));
        changes = json_array();
        unmatched = json_array();
        for (size_t k = 0; k < j->n_plans; k++)
                add_changes(j->plans[k], several ? j->plan_hives[k] : NULL, changes, unmatched);
        json_object_set_new(o, "changes", changes);
        json_object_set_new(o, "unmatched", unmatched);
        return o;
}
