/* The scrub: blank the cached TCP/IP and DHCP values of every interface. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "scrub.h"

#define TCPIP_PARAMETERS "Services\\Tcpip\\Parameters"
#define TCPIP6_PARAMETERS "Services\\Tcpip6\\Parameters"

/* Under Parameters itself: the global NameServer; the lease profile also
 * takes the global copies of DHCP-supplied DNS settings. */
static const char *const parameters_seed[] = { "NameServer", NULL };
static const char *const parameters_lease[] = { "NameServer", "DhcpNameServer", "DhcpDomain",
                                                NULL };
/* The dhcpv6 profile: the machine's DHCPv6 client identity (a DUID,
 * RFC 3315 9), deleted so that each clone makes its own at boot.  The
 * per-interface Dhcpv6Iaid stays: it only has to be unique within one
 * client (RFC 3315 10).  See vhive(1). */
static const char *const tcpip6_delete[] = { "Dhcpv6DUID", NULL };

static bool is_static_only_name(const char *name)
{
        return strcasecmp(name, "NameServer") == 0 || strcasecmp(name, "Domain") == 0;
}

/* EnableDHCP = 0 marks an interface configured by hand. */
static bool interface_is_static(hive_h *h, hive_node_h node)
{
        uint32_t value;

        return vhive_interface_dhcp(h, node, &value) == VHIVE_DHCP_STATIC;
}

static int classify_value(hive_h *h, hive_node_h node, const char *name, bool keep,
                          struct vhive_value_report *vr, struct vhive_error *err)
{
        hive_value_h v;
        hive_type t;
        size_t len;
        _cleanup_free_ char *data = NULL;

        errno = 0;
        v = hivex_node_get_value(h, node, name);
        if (v == 0 && errno != 0)
                return vhive_fail(err, errno, "reading value %s: %s", name, strerror(errno));
        vr->type = -1;
        vr->action = VHIVE_ACTION_ABSENT;
        vr->name = v ? hivex_value_key(h, v) : strdup(name);
        if (!vr->name)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (v == 0)
                return 0;
        data = hivex_value_value(h, v, &t, &len);
        if (!data)
                return vhive_fail(err, errno, "reading value %s: %s", name, strerror(errno));
        vr->type = t;
        vr->old_text = vhive_value_to_text(t, data, len);
        if (!vr->old_text)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (vhive_value_is_blank(t, data, len))
                vr->action = VHIVE_ACTION_ALREADY_BLANK;
        else
                vr->action = keep ? VHIVE_ACTION_KEPT : VHIVE_ACTION_BLANKED;
        return 0;
}

static const struct vhive_value_report *find_action(const struct vhive_key_report *kr,
                                                    const char *name, enum vhive_action a)
{
        for (size_t i = 0; i < kr->n_values; i++)
                if (kr->values[i].action == a && strcasecmp(kr->values[i].name, name) == 0)
                        return &kr->values[i];
        return NULL;
}

static void free_set_values(hive_set_value *vals, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(vals[i].key);
                free(vals[i].value);
        }
        free(vals);
}

static int replace_with_blank(hive_set_value *sv, struct vhive_error *err)
{
        const char *blank;
        size_t len;
        char *copy;

        vhive_blank_for_type(sv->t, &blank, &len);
        copy = malloc(len ? len : 1);
        if (!copy)
                return vhive_fail(err, ENOMEM, "out of memory");
        memcpy(copy, blank, len);
        free(sv->value);
        sv->value = copy;
        sv->len = len;
        return 0;
}

/* hivex rewrites a key's whole value list per call: one call per key. */
static int apply_key(hive_h *h, hive_node_h node, const struct vhive_key_report *kr,
                     struct vhive_error *err)
{
        _cleanup_free_ hive_value_h *values = hivex_node_values(h, node);
        hive_set_value *set;
        size_t n = 0, kept = 0;
        int r = 0;

        if (!values)
                return vhive_fail(err, errno, "listing values of %s: %s", kr->name,
                                  strerror(errno));
        while (values[n])
                n++;
        set = calloc(n ? n : 1, sizeof(*set));
        if (!set)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n && r == 0; i++) {
                hive_set_value *sv = &set[kept++];

                sv->key = hivex_value_key(h, values[i]);
                sv->value = hivex_value_value(h, values[i], &sv->t, &sv->len);
                if (!sv->key || !sv->value) {
                        r = vhive_fail(err, errno ? errno : EIO, "reading values of %s", kr->name);
                        break;
                }
                if (find_action(kr, sv->key, VHIVE_ACTION_DELETED)) {
                        free(sv->key);
                        free(sv->value);
                        memset(sv, 0, sizeof(*sv));
                        kept--; /* left out of the new list: deleted */
                } else if (find_action(kr, sv->key, VHIVE_ACTION_BLANKED)) {
                        r = replace_with_blank(sv, err);
                }
        }
        if (r == 0)
                r = vhive_values_rewritable(h, node, err);
        if (r == 0 && hivex_node_set_values(h, node, kept, set, 0) < 0)
                r = vhive_fail(err, errno, "writing values of %s: %s", kr->name, strerror(errno));
        free_set_values(set, n);
        return r;
}

/* In place: each blanked value rewritten in its own vk cell, each deleted
 * one taken out of the key's value list. */
static int apply_key_in_place(hive_h *h, struct vhive_hive_buf *buf, hive_node_h node,
                              const struct vhive_key_report *kr, struct vhive_error *err)
{
        for (size_t i = 0; i < kr->n_values; i++) {
                const struct vhive_value_report *vr = &kr->values[i];
                hive_value_h v;
                int r;

                if (vr->action != VHIVE_ACTION_BLANKED && vr->action != VHIVE_ACTION_DELETED)
                        continue;
                errno = 0;
                v = hivex_node_get_value(h, node, vr->name);
                if (v == 0)
                        return vhive_fail(err, errno ? errno : EIO, "finding value %s again",
                                          vr->name);
                if (vr->action == VHIVE_ACTION_DELETED)
                        r = vhive_inplace_delete(buf, node, v, err);
                else
                        r = vhive_inplace_blank(buf, node, v, err);
                if (r < 0)
                        return r;
        }
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

/* Where blanks go: nowhere (report only), hivex's writer, or in place. */
struct target {
        bool apply;
        struct vhive_hive_buf *buf;
};

static int scrub_key(hive_h *h, hive_node_h node, const char *const *names,
                     const struct vhive_scrub_opts *opts, const struct target *t,
                     struct vhive_key_report *kr, struct vhive_error *err)
{
        int r;

        kr->is_static = kr->is_interface && interface_is_static(h, node);
        for (size_t i = 0; names[i]; i++) {
                struct vhive_value_report *vr = NULL;
                bool keep = opts->keep_static && kr->is_static && is_static_only_name(names[i]);

                r = push_value(kr, &vr, err);
                if (r < 0)
                        return r;
                r = classify_value(h, node, names[i], keep, vr, err);
                if (r < 0)
                        return r;
                /* Present at all, blank or not: deleted. */
                if (kr->is_tcpip6 && vr->action != VHIVE_ACTION_ABSENT)
                        vr->action = VHIVE_ACTION_DELETED;
        }
        if (!t->apply || !key_needs_write(kr))
                return 0;
        return t->buf ? apply_key_in_place(h, t->buf, node, kr, err) : apply_key(h, node, kr, err);
}

static int push_key(struct vhive_cs_report *cr, const char *name, bool is_interface,
                    struct vhive_key_report **out, struct vhive_error *err)
{
        struct vhive_key_report *k = realloc(cr->keys, (cr->n_keys + 1) * sizeof(*k));

        if (!k)
                return vhive_fail(err, ENOMEM, "out of memory");
        cr->keys = k;
        k = memset(&k[cr->n_keys++], 0, sizeof(*k));
        k->name = strdup(name);
        k->is_interface = is_interface;
        *out = k;
        return k->name ? 0 : vhive_fail(err, ENOMEM, "out of memory");
}

static int scrub_interfaces(hive_h *h, hive_node_h params, const struct vhive_scrub_opts *opts,
                            const struct target *t, struct vhive_cs_report *cr,
                            struct vhive_error *err)
{
        _cleanup_free_ hive_node_h *children = NULL;
        hive_node_h ifaces;
        int r = vhive_child(h, params, "Interfaces", &ifaces, err);

        if (r < 0 || ifaces == 0)
                return r;
        children = hivex_node_children(h, ifaces);
        if (!children)
                return vhive_fail(err, errno, "listing Interfaces: %s", strerror(errno));
        /* Value writes add cells but leave key handles valid. */
        for (size_t i = 0; children[i]; i++) {
                _cleanup_free_ char *name = hivex_node_name(h, children[i]);
                struct vhive_key_report *kr = NULL;

                if (!name)
                        return vhive_fail(err, errno ? errno : EIO,
                                          "reading an interface key name");
                r = vhive_check_parent(h, ifaces, children[i], name, err);
                if (r == 0)
                        r = push_key(cr, name, true, &kr, err);
                if (r == 0)
                        r = scrub_key(h, children[i], vhive_profile_values(opts->profile), opts, t,
                                      kr, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Without Tcpip6\Parameters the DUID is reported absent all the same. */
static int report_absent(struct vhive_key_report *kr, const char *const *names,
                         struct vhive_error *err)
{
        for (size_t i = 0; names[i]; i++) {
                struct vhive_value_report *vr = NULL;
                int r = push_value(kr, &vr, err);

                if (r < 0)
                        return r;
                vr->type = -1;
                vr->action = VHIVE_ACTION_ABSENT;
                vr->name = strdup(names[i]);
                if (!vr->name)
                        return vhive_fail(err, ENOMEM, "out of memory");
        }
        return 0;
}

static int scrub_tcpip6(hive_h *h, const struct vhive_controlset *cs,
                        const struct vhive_scrub_opts *opts, const struct target *t,
                        struct vhive_cs_report *cr, struct vhive_error *err)
{
        struct vhive_key_report *kr = NULL;
        hive_node_h params;
        int r = vhive_lookup(h, cs->node, TCPIP6_PARAMETERS, &params, err);

        if (r == 0)
                r = push_key(cr, "Parameters", false, &kr, err);
        if (r < 0)
                return r;
        kr->is_tcpip6 = true;
        if (params == 0)
                return report_absent(kr, tcpip6_delete, err);
        return scrub_key(h, params, tcpip6_delete, opts, t, kr, err);
}

static int scrub_tcpip(hive_h *h, const struct vhive_controlset *cs,
                       const struct vhive_scrub_opts *opts, const struct target *t,
                       struct vhive_cs_report *cr, struct vhive_error *err)
{
        struct vhive_key_report *kr = NULL;
        hive_node_h params;
        int r;

        r = vhive_lookup(h, cs->node, TCPIP_PARAMETERS, &params, err);
        if (r < 0 || params == 0)
                return r; /* no TCP/IP stack configured: nothing to blank */
        r = push_key(cr, "Parameters", false, &kr, err);
        if (r == 0)
                r = scrub_key(h, params,
                              opts->profile & VHIVE_PROFILE_LEASE ? parameters_lease
                                                                  : parameters_seed,
                              opts, t, kr, err);
        if (r == 0)
                r = scrub_interfaces(h, params, opts, t, cr, err);
        return r;
}

static int scrub_controlset(hive_h *h, const struct vhive_controlset *cs,
                            const struct vhive_scrub_opts *opts, const struct target *t,
                            struct vhive_cs_report *cr, struct vhive_error *err)
{
        int r = 0;

        cr->cs = *cs;
        if (opts->profile & (VHIVE_PROFILE_SEED | VHIVE_PROFILE_LEASE))
                r = scrub_tcpip(h, cs, opts, t, cr, err);
        if (r == 0 && opts->profile & VHIVE_PROFILE_DHCPV6)
                r = scrub_tcpip6(h, cs, opts, t, cr, err);
        return r;
}

static void count_actions(struct vhive_scrub_report *rep)
{
        memset(rep->counts, 0, sizeof(rep->counts));
        for (size_t s = 0; s < rep->n_sets; s++)
                for (size_t k = 0; k < rep->sets[s].n_keys; k++)
                        for (size_t v = 0; v < rep->sets[s].keys[k].n_values; v++)
                                rep->counts[rep->sets[s].keys[k].values[v].action]++;
}

static int select_controlsets(hive_h *h, bool all, struct vhive_controlset **sets,
                              struct vhive_error *err)
{
        int r;

        if (all)
                return vhive_controlset_list(h, sets, err);
        /* Every set the next boot may load counts as current. */
        *sets = calloc(2, sizeof(**sets));
        if (!*sets)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = vhive_controlset_boot(h, *sets, err);
        return r;
}

static int scrub(hive_h *h, const struct vhive_scrub_opts *opts, const struct target *t,
                 struct vhive_scrub_report *rep, struct vhive_error *err)
{
        _cleanup_free_ struct vhive_controlset *sets = NULL;
        int n = select_controlsets(h, opts->all_controlsets, &sets, err);

        memset(rep, 0, sizeof(*rep));
        if (n < 0)
                return n;
        rep->sets = calloc(n ? n : 1, sizeof(*rep->sets));
        if (!rep->sets)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (int i = 0; i < n; i++) {
                int r = scrub_controlset(h, &sets[i], opts, t, &rep->sets[i], err);

                rep->n_sets++;
                if (r < 0)
                        return r;
        }
        count_actions(rep);
        return 0;
}

int vhive_scrub(hive_h *h, const struct vhive_scrub_opts *opts, bool apply,
                struct vhive_scrub_report *rep, struct vhive_error *err)
{
        struct target t = { .apply = apply };

        return scrub(h, opts, &t, rep, err);
}

int vhive_scrub_in_place(hive_h *h, struct vhive_hive_buf *buf, const struct vhive_scrub_opts *opts,
                         struct vhive_scrub_report *rep, struct vhive_error *err)
{
        struct target t = { .apply = true, .buf = buf };
        int r = scrub(h, opts, &t, rep, err);

        /* Built by the first edit, for this scrub's edits only. */
        vhive_hive_buf_drop_refs(buf);
        return r;
}

static int verify_value(hive_h *h, hive_node_h node, const struct vhive_value_report *vr,
                        struct vhive_error *err)
{
        hive_value_h v = hivex_node_get_value(h, node, vr->name);
        _cleanup_free_ char *data = NULL;
        hive_type t;
        size_t len;

        if (v == 0)
                return vhive_fail(err, EIO, "verify: value %s vanished", vr->name);
        data = hivex_value_value(h, v, &t, &len);
        if (!data || (int)t != vr->type || !vhive_value_is_blank(t, data, len))
                return vhive_fail(err, EIO, "verify: value %s is not blank after the write",
                                  vr->name);
        return 0;
}

/* Deleted (and absent) values must be absent after the write. */
static int verify_tcpip6(hive_h *h, hive_node_h cs, const struct vhive_key_report *kr,
                         struct vhive_error *err)
{
        hive_node_h node;
        int r = vhive_lookup(h, cs, TCPIP6_PARAMETERS, &node, err);

        for (size_t i = 0; r == 0 && i < kr->n_values; i++) {
                const struct vhive_value_report *vr = &kr->values[i];

                if (node == 0 && vr->action == VHIVE_ACTION_DELETED)
                        return vhive_fail(err, EIO, "verify: key %s vanished", TCPIP6_PARAMETERS);
                if (node && hivex_node_get_value(h, node, vr->name) != 0)
                        return vhive_fail(err, EIO, "verify: value %s is still there", vr->name);
        }
        return r;
}

static int verify_key(hive_h *h, hive_node_h cs, const struct vhive_key_report *kr,
                      struct vhive_error *err)
{
        hive_node_h node;
        int r;

        if (kr->is_tcpip6)
                return verify_tcpip6(h, cs, kr, err);
        r = vhive_lookup(h, cs, TCPIP_PARAMETERS, &node, err);

        if (r == 0 && node && kr->is_interface) {
                r = vhive_child(h, node, "Interfaces", &node, err);
                if (r == 0 && node)
                        r = vhive_child(h, node, kr->name, &node, err);
        }
        if (r < 0)
                return r;
        if (node == 0)
                return vhive_fail(err, EIO, "verify: key %s vanished", kr->name);
        for (size_t i = 0; i < kr->n_values; i++) {
                enum vhive_action a = kr->values[i].action;

                if (a == VHIVE_ACTION_BLANKED || a == VHIVE_ACTION_ALREADY_BLANK) {
                        r = verify_value(h, node, &kr->values[i], err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int vhive_scrub_verify(hive_h *h, const struct vhive_scrub_report *rep, struct vhive_error *err)
{
        for (size_t s = 0; s < rep->n_sets; s++) {
                const struct vhive_cs_report *cr = &rep->sets[s];
                hive_node_h cs;
                int r = vhive_child(h, hivex_root(h), cr->cs.name, &cs, err);

                if (r < 0)
                        return r;
                if (cs == 0)
                        return vhive_fail(err, EIO, "verify: %s vanished", cr->cs.name);
                for (size_t k = 0; k < cr->n_keys; k++) {
                        r = verify_key(h, cs, &cr->keys[k], err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

void vhive_scrub_report_free(struct vhive_scrub_report *rep)
{
        for (size_t s = 0; s < rep->n_sets; s++) {
                for (size_t k = 0; k < rep->sets[s].n_keys; k++) {
                        struct vhive_key_report *kr = &rep->sets[s].keys[k];

                        for (size_t v = 0; v < kr->n_values; v++) {
                                free(kr->values[v].name);
                                free(kr->values[v].old_text);
                        }
                        free(kr->values);
                        free(kr->name);
                }
                free(rep->sets[s].keys);
        }
        free(rep->sets);
        memset(rep, 0, sizeof(*rep));
}
