/* The rule-pack format (vhive(1), RULE PACKS): "[ID]" sections of
 * "field = value" lines.  A pack loads whole or not at all: any error is
 * "FILE:LINE: what", and a rule without a source is an error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "rules.h"

struct parser {
        const char *file;
        unsigned line;
        struct vhive_pack *p;
        struct vhive_rule *r; /* the rule being read, NULL before the first */
        struct vhive_error *err;
};

static int perr(struct parser *ps, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int perr(struct parser *ps, unsigned line, const char *fmt, ...)
{
        char msg[800];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return vhive_fail(ps->err, EINVAL, "%s:%u: %s", ps->file, line, msg);
}

bool vhive_rules_name_ok(const char *name, size_t len)
{
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
                      name[i] == '-'))
                        return false;
        return true;
}

bool vhive_rule_key_in_cs(const struct vhive_rule *r, const char *key)
{
        size_t n = strlen("CurrentControlSet");

        return strcasecmp(r->hive, "SYSTEM") == 0 &&
               strncasecmp(key, "CurrentControlSet", n) == 0 && (key[n] == '\0' || key[n] == '\\');
}

const char *vhive_rule_action_name(enum vhive_rule_action a)
{
        static const char *const names[] = { "blank", "delete", "detect" };

        return (unsigned)a < ARRAY_SIZE(names) ? names[a] : "unknown";
}

static char *trim(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

static int push_str(char ***list, size_t *n, const char *s, struct parser *ps)
{
        char **l = realloc(*list, (*n + 2) * sizeof(*l));

        if (!l)
                return vhive_fail(ps->err, ENOMEM, "out of memory");
        *list = l;
        l[*n] = strdup(s);
        if (!l[*n])
                return vhive_fail(ps->err, ENOMEM, "out of memory");
        l[++*n] = NULL;
        return 0;
}

/* "a, b, c": every item non-empty. */
static int push_list(char ***list, size_t *n, char *value, struct parser *ps, const char *field)
{
        char *save = NULL, *item;

        if (value[strlen(value) - 1] == ',' || value[0] == ',' || strstr(value, ",,"))
                return perr(ps, ps->line, "%s: an empty name in the list", field);
        for (item = strtok_r(value, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *t = trim(item);
                int r;

                if (*t == '\0')
                        return perr(ps, ps->line, "%s: an empty name in the list", field);
                r = push_str(list, n, t, ps);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Backslash-separated, relative to the hive root, no empty component. */
static int check_key(struct parser *ps, const char *key)
{
        size_t len = strlen(key);

        if (key[0] == '\\' || key[len - 1] == '\\' || strstr(key, "\\\\"))
                return perr(ps, ps->line,
                            "key '%s': an empty component (keys are relative to the hive root)",
                            key);
        if (strncasecmp(key, "HKLM", 4) == 0 || strncasecmp(key, "HKEY_", 5) == 0)
                return perr(ps, ps->line, "key '%s': give it relative to the hive root", key);
        return 0;
}

static int set_once(struct parser *ps, char **field, const char *name, const char *value)
{
        if (*field)
                return perr(ps, ps->line, "'%s' given twice in rule '%s'", name, ps->r->id);
        *field = strdup(value);
        return *field ? 0 : vhive_fail(ps->err, ENOMEM, "out of memory");
}

static int set_hive(struct parser *ps, const char *value)
{
        if (strcmp(value, "SYSTEM") != 0 && strcmp(value, "SOFTWARE") != 0)
                return perr(ps, ps->line, "hive '%s': SYSTEM or SOFTWARE", value);
        return set_once(ps, &ps->r->hive, "hive", value);
}

static int set_action(struct parser *ps, const char *value, bool *seen)
{
        static const enum vhive_rule_action all[] = { VHIVE_RULE_BLANK, VHIVE_RULE_DELETE,
                                                      VHIVE_RULE_DETECT };

        if (*seen)
                return perr(ps, ps->line, "'action' given twice in rule '%s'", ps->r->id);
        for (size_t i = 0; i < ARRAY_SIZE(all); i++)
                if (strcmp(value, vhive_rule_action_name(all[i])) == 0) {
                        ps->r->action = all[i];
                        *seen = true;
                        return 0;
                }
        return perr(ps, ps->line, "action '%s': blank, delete or detect", value);
}

/* One "field = value" line inside a rule. */
static int rule_field(struct parser *ps, const char *field, char *value, bool *action_seen)
{
        struct vhive_rule *r = ps->r;
        int ret;

        if (strcmp(field, "hive") == 0)
                return set_hive(ps, value);
        if (strcmp(field, "action") == 0)
                return set_action(ps, value, action_seen);
        if (strcmp(field, "advice") == 0)
                return set_once(ps, &r->advice, "advice", value);
        if (strcmp(field, "source") == 0)
                return push_str(&r->sources, &r->n_sources, value, ps);
        if (strcmp(field, "key") == 0) {
                ret = check_key(ps, value);
                return ret < 0 ? ret : push_str(&r->keys, &r->n_keys, value, ps);
        }
        if (strcmp(field, "values") == 0)
                return push_list(&r->values, &r->n_values, value, ps, field);
        if (strcmp(field, "keep-static") == 0)
                return push_list(&r->keep_static, &r->n_keep_static, value, ps, field);
        if (strcmp(field, "files") == 0)
                return push_list(&r->files, &r->n_files, value, ps, field);
        return perr(ps, ps->line, "unknown field '%s' in rule '%s'", field, r->id);
}

static bool in_list(char *const *list, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(list[i], name) == 0)
                        return true;
        return false;
}

/* What a finished rule must have. */
static int check_rule(struct parser *ps, bool action_seen)
{
        const struct vhive_rule *r = ps->r;
        unsigned l = r->line;

        if (!r->hive)
                return perr(ps, l, "rule '%s' has no hive (SYSTEM or SOFTWARE)", r->id);
        if (!r->n_keys)
                return perr(ps, l, "rule '%s' has no key", r->id);
        if (!action_seen)
                return perr(ps, l, "rule '%s' has no action (blank, delete or detect)", r->id);
        if (!r->n_sources)
                return perr(ps, l, "rule '%s' has no source: a rule without one does not load",
                            r->id);
        if (!r->n_values && r->action != VHIVE_RULE_DETECT)
                return perr(ps, l, "rule '%s' has no values (%s needs them)", r->id,
                            vhive_rule_action_name(r->action));
        if (!r->advice && r->action == VHIVE_RULE_DETECT)
                return perr(ps, l, "rule '%s' has no advice (detect needs it)", r->id);
        for (size_t i = 0; i < r->n_keep_static; i++)
                if (!in_list(r->values, r->n_values, r->keep_static[i]))
                        return perr(ps, l, "rule '%s': keep-static '%s' is not in its values",
                                    r->id, r->keep_static[i]);
        return 0;
}

static int start_rule(struct parser *ps, char *s)
{
        size_t len = strlen(s);
        struct vhive_rule *rules;
        char *id;

        if (s[len - 1] != ']' || !vhive_rules_name_ok(s + 1, len - 2))
                return perr(ps, ps->line, "bad rule header '%s': [ID], ID of a-z, 0-9 and -", s);
        s[len - 1] = '\0';
        id = s + 1;
        for (size_t i = 0; i < ps->p->n_rules; i++)
                if (strcmp(ps->p->rules[i].id, id) == 0)
                        return perr(ps, ps->line, "rule '%s' is defined twice (first on line %u)",
                                    id, ps->p->rules[i].line);
        rules = realloc(ps->p->rules, (ps->p->n_rules + 1) * sizeof(*rules));
        if (!rules)
                return vhive_fail(ps->err, ENOMEM, "out of memory");
        ps->p->rules = rules;
        ps->r = memset(&rules[ps->p->n_rules++], 0, sizeof(*rules));
        ps->r->line = ps->line;
        ps->r->id = strdup(id);
        ps->r->pack = strdup(ps->p->name);
        if (!ps->r->id || !ps->r->pack || asprintf(&ps->r->name, "%s.%s", ps->p->name, id) < 0)
                return vhive_fail(ps->err, ENOMEM, "out of memory");
        return 0;
}

static int header_field(struct parser *ps, const char *field, const char *value)
{
        if (strcmp(field, "description") != 0)
                return perr(ps, ps->line,
                            "'%s' before the first [rule] (only description goes there)", field);
        if (*ps->p->description)
                return perr(ps, ps->line, "'description' given twice");
        free(ps->p->description);
        ps->p->description = strdup(value);
        return ps->p->description ? 0 : vhive_fail(ps->err, ENOMEM, "out of memory");
}

static int parse_line(struct parser *ps, char *s, bool *action_seen)
{
        char *eq, *field, *value;
        int r;

        if (*s == '[') {
                if (ps->r && (r = check_rule(ps, *action_seen)) < 0)
                        return r;
                *action_seen = false;
                return start_rule(ps, s);
        }
        eq = strchr(s, '=');
        if (!eq)
                return perr(ps, ps->line, "expected 'field = value' or '[ID]'");
        *eq = '\0';
        field = trim(s);
        value = trim(eq + 1);
        if (*value == '\0')
                return perr(ps, ps->line, "'%s' has no value", field);
        if (!vhive_utf8_valid(value))
                return perr(ps, ps->line, "not UTF-8");
        if (!ps->r)
                return header_field(ps, field, value);
        return rule_field(ps, field, value, action_seen);
}

static int parse_lines(struct parser *ps, char *text)
{
        bool action_seen = false;
        char *next;
        int r;

        for (char *s = text; s && *s; s = next) {
                next = strchr(s, '\n');
                if (next)
                        *next++ = '\0';
                ps->line++;
                s = trim(s);
                if (*s == '\0' || *s == '#')
                        continue;
                r = parse_line(ps, s, &action_seen);
                if (r < 0)
                        return r;
        }
        if (!ps->r)
                return perr(ps, ps->line, "the pack has no rule");
        return check_rule(ps, action_seen);
}

int vhive_pack_parse(const char *text, size_t len, const char *file, const char *name,
                     struct vhive_pack *p, struct vhive_error *err)
{
        struct parser ps = { .file = file, .p = p, .err = err };
        _cleanup_free_ char *copy = NULL;
        int r;

        memset(p, 0, sizeof(*p));
        if (!vhive_rules_name_ok(name, strlen(name)))
                return vhive_fail(err, EINVAL, "%s: bad pack name '%s': a-z, 0-9 and -", file,
                                  name);
        if (memchr(text, '\0', len))
                return vhive_fail(err, EINVAL, "%s: not a text file", file);
        copy = strndup(text, len);
        p->name = strdup(name);
        p->description = strdup("");
        p->path = strdup(file);
        if (!copy || !p->name || !p->description || !p->path)
                r = vhive_fail(err, ENOMEM, "out of memory");
        else
                r = parse_lines(&ps, copy);
        if (r < 0)
                vhive_pack_free(p);
        return r;
}

static void free_list(char **l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

void vhive_pack_free(struct vhive_pack *p)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                struct vhive_rule *r = &p->rules[i];

                free(r->name);
                free(r->id);
                free(r->pack);
                free(r->hive);
                free(r->advice);
                free_list(r->keys, r->n_keys);
                free_list(r->values, r->n_values);
                free_list(r->sources, r->n_sources);
                free_list(r->keep_static, r->n_keep_static);
                free_list(r->files, r->n_files);
        }
        free(p->rules);
        free(p->name);
        free(p->description);
        free(p->path);
        memset(p, 0, sizeof(*p));
}
