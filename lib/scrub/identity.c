/* The store-wide identity report: values that identify one machine (a
 * delete or detect rule's MachineGuid, SusClientId, Dhcpv6DUID...) found
 * with the same bytes in two or more targets, i.e. clones that still carry
 * their master's identity.  One sort and one scan, for stores of thousands
 * of vDisks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive.h"
#include "macro.h"

/* One input value and its text, as the sort sees it. */
struct entry {
        const struct vhive_identity_value *v;
        char *text;
};

static int cmp_str(const char *a, const char *b)
{
        return strcmp(a ? a : "", b ? b : "");
}

/* What makes two values one identity: rule, hive, name (case-insensitive,
 * as the registry compares names), type and exact bytes.  The text sorts
 * before the bytes for the report's order; equal bytes give equal text. */
static int cmp_identity(const struct entry *a, const struct entry *b)
{
        int c = cmp_str(a->v->rule, b->v->rule);

        if (!c)
                c = cmp_str(a->v->hive, b->v->hive);
        if (!c)
                c = strcasecmp(a->v->name ? a->v->name : "", b->v->name ? b->v->name : "");
        if (!c)
                c = strcmp(a->text, b->text);
        if (!c && a->v->type != b->v->type)
                c = a->v->type < b->v->type ? -1 : 1;
        if (!c && a->v->len != b->v->len)
                c = a->v->len < b->v->len ? -1 : 1;
        if (!c && a->v->len)
                c = memcmp(a->v->data, b->v->data, a->v->len);
        return c;
}

/* Then by target, then by key: a target's first key in this order is the
 * one the report shows (ControlSet001 before ControlSet002). */
static int cmp_entry(const void *pa, const void *pb)
{
        const struct entry *a = pa, *b = pb;
        int c = cmp_identity(a, b);

        if (!c && a->v->target != b->v->target)
                c = a->v->target < b->v->target ? -1 : 1;
        if (!c)
                c = cmp_str(a->v->key, b->v->key);
        return c;
}

/* A blank value (the empty value of its type, as scrub leaves it) or one
 * that reads as empty text is the absence of an identity, not one. */
static bool is_identity(const struct vhive_identity_value *v, const char *text)
{
        if (v->len == 0 || !*text)
                return false;
        return !vhive_value_is_blank(v->type, (const char *)v->data, v->len);
}

static int cmp_size(const void *pa, const void *pb)
{
        size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

        return a < b ? -1 : a > b;
}

/* Appends the group of es[0..n) (sorted, one identity) when it spans two
 * or more targets. */
static int add_group(struct vhive_identity_report *rep, struct entry *es, size_t n)
{
        struct vhive_identity_group *g = &rep->groups[rep->n_groups];
        size_t distinct = 0;

        for (size_t i = 0; i < n; i++)
                distinct += i == 0 || es[i].v->target != es[i - 1].v->target;
        if (distinct < 2)
                return 0;
        g->targets = calloc(distinct, sizeof(*g->targets));
        if (!g->targets)
                return -ENOMEM;
        g->value = es[0].v;
        g->text = es[0].text;
        es[0].text = NULL; /* the group owns it now */
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && es[i].v->target == es[i - 1].v->target)
                        continue;
                g->targets[g->n_targets].target = es[i].v->target;
                g->targets[g->n_targets].key = es[i].v->key;
                g->n_targets++;
        }
        rep->n_groups++;
        return 0;
}

/* The number of distinct targets over every group. */
static int count_targets(struct vhive_identity_report *rep)
{
        size_t total = 0, k = 0;
        _cleanup_free_ size_t *all = NULL;

        for (size_t i = 0; i < rep->n_groups; i++)
                total += rep->groups[i].n_targets;
        if (!total)
                return 0;
        all = malloc(total * sizeof(*all));
        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < rep->n_groups; i++)
                for (size_t t = 0; t < rep->groups[i].n_targets; t++)
                        all[k++] = rep->groups[i].targets[t].target;
        qsort(all, total, sizeof(*all), cmp_size);
        for (size_t i = 0; i < total; i++)
                rep->n_targets += i == 0 || all[i] != all[i - 1];
        return 0;
}

/* The entries worth comparing, each with its text; *m of them. */
static int collect(const struct vhive_identity_value *vals, size_t n, struct entry *es, size_t *m)
{
        *m = 0;
        for (size_t i = 0; i < n; i++) {
                const struct vhive_identity_value *v = &vals[i];
                char *text = vhive_value_to_text(v->type, (const char *)v->data, v->len);

                if (!text)
                        return -ENOMEM;
                if (!is_identity(v, text)) {
                        free(text);
                        continue;
                }
                es[*m].v = v;
                es[(*m)++].text = text;
        }
        return 0;
}

static void free_entries(struct entry *es, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(es[i].text);
        free(es);
}

static int group_sorted(struct vhive_identity_report *rep, struct entry *es, size_t m)
{
        size_t start = 0;

        /* At most one group per two entries. */
        rep->groups = calloc(m / 2 + 1, sizeof(*rep->groups));
        if (!rep->groups)
                return -ENOMEM;
        for (size_t i = 1; i <= m; i++) {
                if (i < m && cmp_identity(&es[start], &es[i]) == 0)
                        continue;
                if (add_group(rep, es + start, i - start) < 0)
                        return -ENOMEM;
                start = i;
        }
        return count_targets(rep);
}

int vhive_identity_group(const struct vhive_identity_value *vals, size_t n,
                         struct vhive_identity_report *rep, struct vhive_error *err)
{
        struct entry *es = calloc(n ? n : 1, sizeof(*es));
        size_t m = 0;
        int r;

        memset(rep, 0, sizeof(*rep));
        if (!es)
                return vhive_fail(err, ENOMEM, "identity report: out of memory");
        r = collect(vals, n, es, &m);
        if (r == 0) {
                qsort(es, m, sizeof(*es), cmp_entry);
                r = group_sorted(rep, es, m);
        }
        free_entries(es, m);
        if (r < 0) {
                vhive_identity_report_free(rep);
                return vhive_fail(err, -r, "identity report: out of memory");
        }
        return 0;
}

void vhive_identity_report_free(struct vhive_identity_report *rep)
{
        for (size_t i = 0; i < rep->n_groups; i++) {
                free(rep->groups[i].text);
                free(rep->groups[i].targets);
        }
        free(rep->groups);
        memset(rep, 0, sizeof(*rep));
}
