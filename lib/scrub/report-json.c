/* JSON reports.  jansson does the escaping, as in libguestfs. */
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "rules.h"
#include "vhive.h"

static json_t *value_json(const struct vhive_value_report *v)
{
        json_t *o = json_pack("{s:o, s:s?, s:s, s:o}", "name", vhive_json_text(v->name), "type",
                              v->type >= 0 ? vhive_type_name(v->type) : NULL, "action",
                              vhive_action_name(v->action), "old", vhive_json_text(v->old_text));

        if (o && v->rule)
                json_object_set_new(o, "rule", vhive_json_text(v->rule->name));
        return o;
}

static json_t *key_json(const struct vhive_key_report *k)
{
        json_t *values = json_array();

        for (size_t i = 0; i < k->n_values; i++)
                json_array_append_new(values, value_json(&k->values[i]));
        return json_pack("{s:o, s:o, s:b, s:o}", "key", vhive_json_text(k->name), "path",
                         vhive_json_text(k->path), "static", k->is_static, "values", values);
}

static json_t *controlset_roles_json(const struct vhive_controlset *cs)
{
        return json_pack("{s:o, s:i, s:b, s:b, s:b, s:b}", "name", vhive_json_text(cs->name),
                         "number", (int)cs->number, "current", cs->current, "default",
                         cs->next_boot, "last_known_good", cs->last_known_good, "failed",
                         cs->failed);
}

static bool is_parameters(const struct vhive_key_report *k)
{
        return strcasecmp(k->path, "Services\\Tcpip\\Parameters") == 0;
}

/* Today's packs fill "parameters", "interfaces" and "tcpip6", as the
 * fixed profiles did; keys of other rules go to "keys". */
static json_t *controlset_json(const struct vhive_cs_report *cr)
{
        json_t *ifaces = json_array(), *params = json_null(), *keys = json_array(), *o;

        o = controlset_roles_json(&cr->cs);
        for (size_t i = 0; i < cr->n_keys; i++) {
                if (cr->keys[i].is_tcpip6) /* Services\Tcpip6\Parameters */
                        json_object_set_new(o, "tcpip6", key_json(&cr->keys[i]));
                else if (cr->keys[i].is_interface)
                        json_array_append_new(ifaces, key_json(&cr->keys[i]));
                else if (is_parameters(&cr->keys[i]) && json_is_null(params))
                        params = key_json(&cr->keys[i]);
                else
                        json_array_append_new(keys, key_json(&cr->keys[i]));
        }
        json_object_set_new(o, "parameters", params);
        json_object_set_new(o, "interfaces", ifaces);
        if (json_array_size(keys))
                json_object_set_new(o, "keys", keys);
        else
                json_decref(keys);
        return o;
}

static json_t *keys_json(const struct vhive_cs_report *cr)
{
        json_t *keys = json_array();

        for (size_t i = 0; i < cr->n_keys; i++)
                json_array_append_new(keys, key_json(&cr->keys[i]));
        return keys;
}

static json_t *totals_json(const struct vhive_scrub_report *rep)
{
        json_t *t = json_object();

        for (int a = 0; a < VHIVE_ACTION_COUNT; a++)
                json_object_set_new(t, vhive_action_name(a), json_integer(rep->counts[a]));
        return t;
}

int vhive_json_add_scrub(json_t *obj, const struct vhive_scrub_report *rep)
{
        json_t *sets = json_array();

        for (size_t i = 0; i < rep->n_sets; i++)
                json_array_append_new(sets, controlset_json(&rep->sets[i]));
        json_object_set_new(obj, "hive_name", json_string(rep->hive));
        json_object_set_new(obj, "controlsets", sets);
        if (rep->root.n_keys)
                json_object_set_new(obj, "keys", keys_json(&rep->root));
        json_object_set_new(obj, "totals", totals_json(rep));
        return 0;
}

static const char *log_format_name(enum vhive_log_format f)
{
        switch (f) {
        case VHIVE_LOG_NONE:
                return "none";
        case VHIVE_LOG_OLD:
                return "old (DIRT)";
        case VHIVE_LOG_NEW:
                return "new (HvLE)";
        default:
                return "invalid";
        }
}

json_t *vhive_json_replay(const struct vhive_replay_result *res)
{
        json_t *logs = json_array();

        for (int i = 0; i < 2; i++) {
                const struct vhive_log_info *l = &res->log[i];

                json_array_append_new(
                        logs,
                        json_pack("{s:s, s:s, s:i, s:i, s:b, s:b, s:i, s:i, s:i, s:i}", "name",
                                  i ? "LOG2" : "LOG1", "format", log_format_name(l->format),
                                  "sequence1", (json_int_t)l->seq_primary, "sequence2",
                                  (json_int_t)l->seq_secondary, "eligible", l->eligible, "damaged",
                                  l->damaged, "entries", (int)l->entries, "first",
                                  (json_int_t)l->first_seq, "last", (json_int_t)l->last_seq,
                                  "applied", (int)l->applied));
                json_object_set_new(json_array_get(logs, (size_t)i), "ignored",
                                    json_boolean(l->ignored));
                if (l->ignored)
                        json_object_set_new(json_array_get(logs, (size_t)i), "warning",
                                            vhive_json_text(l->warning));
        }
        return json_pack("{s:o, s:i, s:i, s:b}", "logs", logs, "entries_applied",
                         (int)res->entries_applied, "final_sequence", (json_int_t)res->final_seq,
                         "base_block_rebuilt", res->base_block_rebuilt);
}

json_t *vhive_json_text(const char *s)
{
        _cleanup_free_ char *lossy = NULL;

        if (!s)
                return json_null();
        if (vhive_utf8_valid(s))
                return json_string(s);
        lossy = vhive_utf8_lossy(s);
        return lossy ? json_string(lossy) : NULL;
}

/* A log skipped because Windows ignores it: said where a reader looks. */
static void add_warnings(json_t *o, const struct vhive_replay_result *res)
{
        json_t *w = json_array();

        for (int i = 0; i < 2; i++)
                if (res->log[i].ignored)
                        json_array_append_new(w, vhive_json_text(res->log[i].warning));
        if (json_array_size(w))
                json_object_set_new(o, "warnings", w);
        else
                json_decref(w);
}

static void add_image(json_t *o, const struct vhive_job_result *r)
{
        json_object_set_new(o, "format", vhive_json_text(r->image.format));
        json_object_set_new(o, "format_label", vhive_json_text(r->image.label));
        if (r->root.device[0])
                json_object_set_new(o, "device", vhive_json_text(r->root.device));
        if (r->root.config_dir[0])
                json_object_set_new(o, "windows_config", vhive_json_text(r->root.config_dir));
        if (r->root.partition[0])
                json_object_set_new(o, "partition", vhive_json_text(r->root.partition));
        if (r->hive_path[0])
                json_object_set_new(o, "hive", vhive_json_text(r->hive_path));
}

/* A file name is bytes: "path" is readable text, "path_bytes" the exact
 * name (vhive(1), JSON OUTPUT) whenever the two could differ. */
static void add_path(json_t *o, const char *target)
{
        json_object_set_new(o, "path", vhive_json_text(target));
        if (!vhive_utf8_valid(target)) {
                _cleanup_free_ char *bytes = vhive_percent_bytes(target);

                json_object_set_new(o, "path_bytes", json_string(bytes ? bytes : ""));
        }
}

json_t *vhive_json_job_result(const char *target, const struct vhive_job_result *r)
{
        json_t *o = json_object();

        if (!o)
                return NULL;
        add_path(o, target);
        json_object_set_new(o, "kind", json_string(r->is_image ? "image" : "hive"));
        json_object_set_new(o, "ok", json_boolean(r->status == 0));
        json_object_set_new(o, "written", json_boolean(r->written));
        json_object_set_new(o, "changed", json_boolean(r->changed));
        if (r->status < 0)
                json_object_set_new(o, "error", vhive_json_text(r->err.msg));
        if (r->state.header.seq_primary || r->state.header.seq_secondary)
                json_object_set_new(o, "hive_state",
                                    json_pack("{s:b, s:i, s:i, s:b}", "dirty", r->state.dirty,
                                              "sequence1", (json_int_t)r->state.header.seq_primary,
                                              "sequence2",
                                              (json_int_t)r->state.header.seq_secondary,
                                              "checksum_ok", r->state.header.checksum_ok));
        if (r->state.replayed) {
                json_object_set_new(o, "replay", vhive_json_replay(&r->state.replay));
                add_warnings(o, &r->state.replay);
        }
        if (*r->notice)
                json_object_set_new(o, "notice", vhive_json_text(r->notice));
        if (r->state.replay_failed) {
                /* The values reported are the stale primary's. */
                json_object_set_new(o, "replay_failed", json_true());
                json_object_set_new(o, "replay_error", vhive_json_text(r->state.replay_error));
        }
        if (r->is_image)
                add_image(o, r);
        return o;
}

json_t *vhive_json_document(const char *command, json_t *fields, json_t *targets, int exit_code)
{
        json_t *doc = json_pack("{s:s, s:i, s:s}", "command", command, "schema", VHIVE_JSON_SCHEMA,
                                "version", VHIVE_VERSION);

        if (fields)
                json_object_update(doc, fields);
        json_decref(fields);
        json_object_set_new(doc, "targets", targets);
        json_object_set_new(doc, "exit_code", json_integer(exit_code));
        return doc;
}

json_t *vhive_json_hive_result(const struct vhive_hive_result *h)
{
        json_t *o = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}", "name", h->name, "ok",
                              h->status == 0, "written", h->written, "changed", h->changed, "dirty",
                              h->state.dirty, "replayed", h->state.replayed);

        if (*h->hive_path)
                json_object_set_new(o, "hive_path", vhive_json_text(h->hive_path));
        if (h->status < 0)
                json_object_set_new(o, "error", vhive_json_text(h->err.msg));
        return o;
}

/* The report of the hive a result entry names (a hive file's entry has no
 * name: its one report). */
static const struct vhive_scrub_report *report_of(const struct vhive_scrub_job *c,
                                                  const struct vhive_hive_result *h)
{
        for (size_t i = 0; i < c->n_reps; i++)
                if (!*h->name || strcmp(c->reps[i].hive, h->name) == 0)
                        return &c->reps[i];
        return NULL;
}

/* The first hive's report fills the target object, as with one hive
 * (when the target succeeded); "hive_reports" has one object per hive
 * worked on: what happened to it and, when it was read, its report. */
json_t *vhive_json_scrub_target(const char *target, const struct vhive_job_result *r,
                                const struct vhive_scrub_job *c)
{
        json_t *o = vhive_json_job_result(target, r), *hives = json_array();

        if (r->status == 0 && c->n_reps > 0)
                vhive_json_add_scrub(o, &c->reps[0]);
        for (size_t k = 0; k < r->n_hives; k++) {
                const struct vhive_scrub_report *rep = report_of(c, &r->hives[k]);
                json_t *h = vhive_json_hive_result(&r->hives[k]);

                if (rep)
                        vhive_json_add_scrub(h, rep);
                json_array_append_new(hives, h);
        }
        json_object_set_new(o, "hive_reports", hives);
        return o;
}

/* The DWORD, or -1 when absent or of another type (Windows ignores it). */
static int enable_dhcp_json(const struct vhive_interface *f)
{
        if (f->dhcp == VHIVE_DHCP_STATIC || f->dhcp == VHIVE_DHCP_ENABLED)
                return (int)f->enable_dhcp;
        return -1;
}

json_t *vhive_json_info_target(const char *target, const struct vhive_job_result *r,
                               const struct vhive_info *c)
{
        json_t *o = vhive_json_job_result(target, r), *sets, *ifs;

        if (r->status < 0)
                return o;
        sets = json_array();
        ifs = json_array();
        json_object_set_new(o, "logs", vhive_json_replay(&c->logs));
        for (int i = 0; i < c->n_sets; i++)
                json_array_append_new(sets, controlset_roles_json(&c->sets[i]));
        for (size_t i = 0; i < c->n_ifaces; i++)
                json_array_append_new(
                        ifs, json_pack("{s:o, s:i, s:o}", "key", vhive_json_text(c->ifaces[i].name),
                                       "enable_dhcp", enable_dhcp_json(&c->ifaces[i]), "address",
                                       vhive_json_text(c->ifaces[i].address)));
        json_object_set_new(o, "controlsets", sets);
        if (c->n_sets < 0)
                json_object_set_new(o, "controlsets_error", vhive_json_text(c->sets_error));
        json_object_set_new(o, "interfaces", ifs);
        return o;
}

/* check's identity report (the "shared" field). */
static json_t *group_json(const struct vhive_identity_group *g, char *const *targets)
{
        json_t *where = json_array();

        for (size_t t = 0; t < g->n_targets; t++) {
                const struct vhive_identity_where *w = &g->targets[t];

                json_array_append_new(where, json_pack("{s:o, s:I, s:o}", "target",
                                                       vhive_json_text(targets[w->target]), "index",
                                                       (json_int_t)w->target, "key",
                                                       vhive_json_text(w->key)));
        }
        return json_pack("{s:o, s:o, s:o, s:s, s:o, s:o}", "rule", vhive_json_text(g->value->rule),
                         "hive", vhive_json_text(g->value->hive), "name",
                         vhive_json_text(g->value->name), "type", vhive_type_name(g->value->type),
                         "data", vhive_json_text(g->text), "targets", where);
}

json_t *vhive_json_identity_report(const struct vhive_identity_report *rep, char *const *targets)
{
        json_t *shared = json_array();

        for (size_t i = 0; shared && i < rep->n_groups; i++)
                if (json_array_append_new(shared, group_json(&rep->groups[i], targets)) < 0) {
                        json_decref(shared);
                        return NULL;
                }
        return shared;
}
