/* Options as data: one table (cmd/options.c) gives each option its long
 * and short name, argument, help text and the commands that take it.  The
 * getopt table, every command's --help and the refusal of an option a
 * command does not take all come from it; tests/cli/test-man-options.sh
 * checks vhive(1) against it (vhive --list-options).
 */
#pragma once

#include <getopt.h> /* optind */
#include <stdbool.h>

#include "vhive.h"

enum cmd_id {
        CMD_SCRUB,
        CMD_CHECK,
        CMD_INFO,
        CMD_LS,
        CMD_GET,
        CMD_SET,
        CMD_DELETE,
        CMD_EXPORT,
        CMD_MERGE,
        CMD_RULES,
        CMD_COUNT,
};

/* Everything an option can set, for every command. */
struct cmd_opts {
        struct vhive_run_opts run;
        struct vhive_scrub_opts scrub;
        /* --profile, --rules FILE and --skip RULE (repeatable): the rule
         * selection (cmd_select_rules fills rules). */
        const char *profile;
        const char **rule_files;
        size_t n_rule_files;
        const char **skip;
        size_t n_skip;
        struct vhive_rules rules;
        bool json;
        bool raw;         /* get --raw */
        bool utf16;       /* export --utf16 */
        bool names;       /* rules --names */
        const char *from; /* --from FILE: more targets */
        bool progress;    /* --progress: even when stderr is not a terminal */
        bool no_progress; /* --no-progress: never (wins over --progress) */
        /* After cmd_parse_options: the targets (operands and --from), and
         * the operands that are not targets (KEY, NAME...). */
        char **targets;
        size_t n_targets;
        char **args;
        size_t n_args;
};

/* A command's name, its usage and description (the head of --help), and
 * its exit status line. */
struct cmd_text {
        const char *name;
        const char *usage;
        const char *exit_status;
        bool many_targets; /* every operand is a TARGET (else only the first) */
        bool no_targets;   /* takes no TARGET at all (vhive rules) */
};

/* Parses argv for command id and collects the targets (o->targets, with
 * --from's) and the other operands (o->args).  Returns -1 to go on, else
 * the exit code to return (--help: 0; a bad or unused option, no target:
 * 2). */
int cmd_parse_options(enum cmd_id id, const struct cmd_text *text, int argc, char **argv,
                      struct cmd_opts *o);

/* "vhive --list-options": one line per option and command set, for the
 * test that compares the table with vhive(1). */
int cmd_list_options(void);
/* "vhive --list-completion": what the bash completion is made of. */
int cmd_list_completion(void);

/* cmd/targets.c: the operands, then --from's lines (blank lines and
 * #comments skipped).  -1 when the list cannot be read (printed). */
int cmd_collect_targets(const struct cmd_text *text, int argc, char **argv, struct cmd_opts *o);

/* Loads the packs and selects the rules o asks for into o->rules (and
 * o->scrub.rules); -1 to go on, else 2 with the message printed. */
int cmd_select_rules(struct cmd_opts *o);
/* What options and the selection allocated. */
void cmd_opts_free(struct cmd_opts *o);

void cmd_error(const char *target, const struct vhive_error *err);
/* Text from a hive for human output, escaped (vhive_escape_text): the
 * result stays valid until eight more calls; never NULL. */
const char *cmd_esc(const char *s);
/* "Try 'vhive CMD --help'" on stderr, returns 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
