/* The option table and the one option loop every command runs. */
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

enum opt_id {
        OPT_DRY_RUN = 'n',
        OPT_OUTPUT = 'o',
        OPT_VERBOSE = 'v',
        OPT_HELP = 'h',
        OPT_PROFILE = 0x100, /* long-only options from here */
        OPT_KEEP_STATIC,
        OPT_ALL_CONTROLSETS,
        OPT_RAW,
        OPT_UTF16,
        OPT_BACKUP,
        OPT_JSON,
        OPT_FORMAT,
        OPT_ROOT,
        OPT_FORCE,
        OPT_BACKEND,
        OPT_LOG_FORMAT,
        OPT_FROM,
        OPT_PROGRESS,
        OPT_NO_PROGRESS,
        OPT_SKIP,
        OPT_RULES,
        OPT_NAMES,
};

#define C(x) (1u << CMD_##x)
#define WRITERS (C(SCRUB) | C(SET) | C(DELETE) | C(MERGE))
#define EDITORS (C(SET) | C(DELETE) | C(MERGE))
#define SELECTORS (C(SCRUB) | C(CHECK) | C(RULES))
#define ALL ((1u << CMD_COUNT) - 1)
#define TARGETED (ALL & ~C(RULES)) /* every command that takes a TARGET */

/* What an option sets in struct cmd_opts: a flag, its argument, or (a
 * repeatable option) one more entry of a list. */
enum set_kind { SET_NONE, SET_FLAG, SET_ARG, SET_LIST };
#define FLAG(field) SET_FLAG, offsetof(struct cmd_opts, field)
#define ARG(field) SET_ARG, offsetof(struct cmd_opts, field)
#define LIST(field) SET_LIST, offsetof(struct cmd_opts, field)

/* One row per option and help text; an option whose help differs between
 * commands has several rows.  The order is the order of --help. */
static const struct cmd_option {
        int id;
        const char *name;
        const char *arg; /* NULL: takes none */
        unsigned commands;
        enum set_kind kind;
        size_t field; /* offset in struct cmd_opts */
        const char *help;
} table[] = {
        { OPT_DRY_RUN, "dry-run", NULL, C(SCRUB), FLAG(run.dry_run),
          "report what would change, write nothing" },
        { OPT_DRY_RUN, "dry-run", NULL, EDITORS, FLAG(run.dry_run),
          "print what would change, write nothing" },
        { OPT_OUTPUT, "output", "FILE", C(SCRUB), ARG(run.output),
          "write the result to FILE (one hive file only)" },
        { OPT_OUTPUT, "output", "FILE", EDITORS, ARG(run.output),
          "write the result to FILE (hive files only)" },
        { OPT_PROFILE, "profile", "P", C(SCRUB), ARG(profile),
          "rule packs or PACK.RULE, comma-separated: seed (default), lease (every cached "
          "lease value), dhcpv6 (delete the DUID), ... (vhive rules)" },
        { OPT_PROFILE, "profile", "P", C(CHECK), ARG(profile),
          "rule packs or PACK.RULE, comma-separated: seed (default), lease, dhcpv6, ..." },
        { OPT_PROFILE, "profile", "P", C(RULES), ARG(profile),
          "list only these packs or PACK.RULEs (default: every installed pack)" },
        { OPT_SKIP, "skip", "RULE", SELECTORS, LIST(skip),
          "leave out the rule PACK.RULE (repeatable)" },
        { OPT_RULES, "rules", "FILE", SELECTORS, LIST(rule_files),
          "add the rule pack FILE, every rule of it (repeatable)" },
        { OPT_NAMES, "names", NULL, C(RULES), FLAG(names),
          "only the names, one per line: each pack, then PACK.RULE of each of its rules" },
        { OPT_KEEP_STATIC, "keep-static", NULL, C(SCRUB), FLAG(scrub.keep_static),
          "keep NameServer/Domain on interfaces with EnableDHCP=0" },
        { OPT_KEEP_STATIC, "keep-static", NULL, C(CHECK), FLAG(scrub.keep_static),
          "do not count NameServer/Domain of static interfaces" },
        { OPT_ALL_CONTROLSETS, "all-controlsets", NULL, C(SCRUB) | C(CHECK),
          FLAG(scrub.all_controlsets), "every ControlSetNNN, not only the boot ones" },
        { OPT_RAW, "raw", NULL, C(GET), FLAG(raw), "write the value's bytes exactly as stored" },
        { OPT_UTF16, "utf16", NULL, C(EXPORT), FLAG(utf16),
          "UTF-16LE with a byte order mark, as regedit writes" },
        { OPT_BACKUP, "backup", "DIR", WRITERS, ARG(run.backup_dir),
          "copy the original hive and its logs into DIR first" },
        { OPT_JSON, "json", NULL, ALL, FLAG(json), "one JSON document on stdout (see vhive(1))" },
        { OPT_FROM, "from", "FILE", C(SCRUB) | C(CHECK) | C(INFO), ARG(from),
          "also read TARGETs from FILE, one per line (- for stdin)" },
        { OPT_FROM, "from", "FILE", TARGETED & ~(C(SCRUB) | C(CHECK) | C(INFO)), ARG(from),
          "read the TARGETs from FILE, one per line (- for stdin)" },
        { OPT_PROGRESS, "progress", NULL, TARGETED, FLAG(progress),
          "show progress on stderr (default: on a terminal)" },
        { OPT_NO_PROGRESS, "no-progress", NULL, TARGETED, FLAG(no_progress),
          "never show progress" },
        { OPT_FORMAT, "format", "FMT", TARGETED, ARG(run.format),
          "image format: vhdx, vhd, qcow2, raw (default: detect)" },
        { OPT_ROOT, "root", "DEVICE", TARGETED, ARG(run.root_device),
          "the Windows partition when an image has several" },
        { OPT_FORCE, "force", NULL, WRITERS, FLAG(run.force),
          "write despite a .lok file or version siblings" },
        { OPT_BACKEND, "backend", "B", TARGETED, ARG(run.backend),
          "appliance (libguestfs, default) or direct" },
        { OPT_LOG_FORMAT, "log-format", "F", WRITERS, ARG(run.log_format),
          "new (8.1 and later) or old: the image's log format, when nothing in it tells" },
        { OPT_VERBOSE, "verbose", NULL, TARGETED, FLAG(run.verbose),
          "pass libguestfs' verbose output through" },
        { OPT_HELP, "help", NULL, ALL, SET_NONE, 0, "this help" },
};

#define N_ROWS (sizeof(table) / sizeof(table[0]))

/* The values an option's argument takes, for the shell completion. */
static const struct {
        int id;
        const char *values;
} choices[] = {
        /* Not a fixed list: the completion asks vhive rules --names. */
        { OPT_PROFILE, "@rules" },
        { OPT_SKIP, "@rules" },
        { OPT_FORMAT, "vhdx vhd qcow2 raw" },
        { OPT_BACKEND, "appliance direct" },
        { OPT_LOG_FORMAT, "new old" },
};

static const char *const cmd_names[CMD_COUNT] = {
        "scrub", "check", "info", "ls", "get", "set", "delete", "export", "merge", "rules",
};

/* The getopt tables over every option: an option another command takes
 * is recognised, then refused by name. */
static void getopt_tables(struct option *longopts, char *shortopts)
{
        size_t n = 0;

        for (size_t i = 0; i < N_ROWS; i++) {
                bool seen = false;

                for (size_t j = 0; j < i; j++)
                        seen |= table[j].id == table[i].id;
                if (seen)
                        continue;
                longopts[n++] = (struct option){ table[i].name,
                                                 table[i].arg ? required_argument : no_argument,
                                                 NULL, table[i].id };
                if (table[i].id < 0x100) {
                        *shortopts++ = (char)table[i].id;
                        if (table[i].arg)
                                *shortopts++ = ':';
                }
        }
        longopts[n] = (struct option){ NULL, 0, NULL, 0 };
        *shortopts = '\0';
}

static const struct cmd_option *row_for(int id, enum cmd_id cmd)
{
        for (size_t i = 0; i < N_ROWS; i++)
                if (table[i].id == id && (table[i].commands & (1u << cmd)))
                        return &table[i];
        return NULL;
}

static const char *name_of(int id)
{
        for (size_t i = 0; i < N_ROWS; i++)
                if (table[i].id == id)
                        return table[i].name;
        return "?";
}

static int help(enum cmd_id cmd, const struct cmd_text *text)
{
        printf("%s\nOptions:\n", text->usage);
        for (size_t i = 0; i < N_ROWS; i++) {
                const struct cmd_option *r = &table[i];
                char left[32];

                if (!(r->commands & (1u << cmd)))
                        continue;
                snprintf(left, sizeof(left), "--%s%s%s", r->name, r->arg ? " " : "",
                         r->arg ? r->arg : "");
                if (r->id < 0x100)
                        printf("  -%c, %-18s %s\n", r->id, left, r->help);
                else
                        printf("      %-18s %s\n", left, r->help);
        }
        printf("\nExit status: %s  See vhive(1).\n", text->exit_status);
        return VHIVE_EXIT_OK;
}

/* A list's count follows its array in struct cmd_opts. */
static int push_arg(char *field, const char *arg)
{
        const char ***list = (const char ***)field;
        size_t *n = (size_t *)(field + sizeof(*list));
        const char **l = realloc(*list, (*n + 1) * sizeof(*l));

        if (!l) {
                fprintf(stderr, "vhive: out of memory\n");
                return -1;
        }
        l[(*n)++] = arg;
        *list = l;
        return 0;
}

/* 0, or -1 for a bad value (printed). */
static int set_option(const struct cmd_option *r, const char *arg, struct cmd_opts *o)
{
        char *field = (char *)o + r->field;

        if (r->kind == SET_FLAG)
                *(bool *)field = true;
        else if (r->kind == SET_ARG)
                *(const char **)field = arg;
        else if (r->kind == SET_LIST)
                return push_arg(field, arg);
        return 0;
}

int cmd_parse_options(enum cmd_id cmd, const struct cmd_text *text, int argc, char **argv,
                      struct cmd_opts *o)
{
        struct option longopts[N_ROWS + 1];
        char shortopts[2 * N_ROWS + 1];
        struct vhive_error err = { 0 };
        const struct cmd_option *row;
        int c;

        getopt_tables(longopts, shortopts);
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
                if (c == '?' || c == ':')
                        return cmd_usage_error(text->name, "unknown option");
                row = row_for(c, cmd);
                if (!row)
                        return cmd_usage_error(text->name, "--%s does not apply to %s", name_of(c),
                                               text->name);
                if (c == OPT_HELP)
                        return help(cmd, text);
                if (set_option(row, optarg, o) < 0)
                        return cmd_usage_error(text->name, "bad option value");
        }
        if (o->json && o->names)
                return cmd_usage_error(text->name, "--json and --names exclude each other");
        if (o->json && (o->raw || o->utf16))
                return cmd_usage_error(text->name, "--json and --%s exclude each other",
                                       o->raw ? "raw" : "utf16");
        if (text->no_targets)
                return optind < argc ? cmd_usage_error(text->name, "takes no operand") : -1;
        if (cmd_collect_targets(text, argc, argv, o) < 0)
                return VHIVE_EXIT_FAIL;
        if (o->n_targets == 0)
                return cmd_usage_error(text->name, "no TARGET given%s",
                                       o->from ? " (the --from list is empty)" : "");
        /* The format and backend names, VHIVE_BACKEND, --output with one
         * target: usage errors, before any target is touched. */
        if (vhive_run_check(&o->run, o->n_targets, &err) < 0)
                return cmd_usage_error(text->name, "%s", err.msg);
        return -1;
}

int cmd_list_options(void)
{
        for (size_t i = 0; i < N_ROWS; i++) {
                printf("--%s", table[i].name);
                if (table[i].id < 0x100)
                        printf(" -%c", table[i].id);
                for (int c = 0; c < CMD_COUNT; c++)
                        if (table[i].commands & (1u << c))
                                printf(" %s", cmd_names[c]);
                putchar('\n');
        }
        return VHIVE_EXIT_OK;
}

static const char *choices_of(int id)
{
        for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
                if (choices[i].id == id)
                        return choices[i].values;
        return "";
}

/* "CMD<TAB>--LONG<TAB>-S<TAB>ARG<TAB>CHOICES", one line per option a
 * command takes (empty fields when none): completion/gen-completion.py
 * turns it into the bash completion. */
int cmd_list_completion(void)
{
        for (int c = 0; c < CMD_COUNT; c++) {
                for (size_t i = 0; i < N_ROWS; i++) {
                        const struct cmd_option *r = &table[i];

                        if (!(r->commands & (1u << c)) || row_for(r->id, c) != r)
                                continue;
                        printf("%s\t--%s\t", cmd_names[c], r->name);
                        if (r->id < 0x100)
                                printf("-%c", r->id);
                        printf("\t%s\t%s\n", r->arg ? r->arg : "", choices_of(r->id));
                }
        }
        return VHIVE_EXIT_OK;
}

/* Every human printer passes hive text through here, in any output and not
 * only on a terminal: a log file or a CI page is read on one later, and the
 * exact bytes stay available (--raw, --json, export). */
const char *cmd_esc(const char *s)
{
        static char *ring[8];
        static unsigned next;
        char **slot = &ring[next++ % (sizeof(ring) / sizeof(ring[0]))];

        free(*slot);
        *slot = s ? vhive_escape_text(s) : NULL;
        return *slot ? *slot : "?";
}

void cmd_error(const char *target, const struct vhive_error *err)
{
        /* Messages quote key and value names read from the hive. */
        fprintf(stderr, "vhive: %s: %s\n", target, cmd_esc(err->msg));
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "vhive %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'vhive %s --help' for more information.\n", cmd);
        return VHIVE_EXIT_FAIL;
}
