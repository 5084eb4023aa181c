/* vhive: the command table and dispatcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "options.h"
#include "signals.h"

static const struct command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *help;
} commands[] = {
        { .name = "scrub",
          .run = cmd_scrub,
          .help = "apply the selected rule packs (default seed: the cached DHCP lease)" },
        { .name = "check",
          .run = cmd_check,
          .help = "report stale values and detected identities; exit 1 when any" },
        { .name = "info",
          .run = cmd_info,
          .help = "show the hive's state: dirty or clean, logs, control sets, interfaces" },
        { .name = "ls", .run = cmd_ls, .help = "list the subkeys and values of a key" },
        { .name = "get", .run = cmd_get, .help = "print one value" },
        { .name = "set", .run = cmd_set, .help = "set one value, creating missing keys" },
        { .name = "delete", .run = cmd_delete, .help = "delete a key or a value" },
        { .name = "export", .run = cmd_export, .help = "export a key as regedit .reg text" },
        { .name = "merge", .run = cmd_merge, .help = "merge regedit .reg files" },
        { .name = "rules",
          .run = cmd_rules,
          .help = "list the rule packs: rules, hives, keys, values, actions, sources" },
};

static int usage(FILE *out, int status)
{
        fprintf(out, "Usage: vhive COMMAND [OPTIONS] TARGET...\n\n"
                     "Offline registry editing for Windows vDisk images (VHD, VHDX, qcow2, raw)\n"
                     "and SYSTEM hive files.\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
        fprintf(out, "\nEvery command takes --json (one JSON document on stdout) and --from FILE\n"
                     "(targets one per line, - for stdin).\n"
                     "Run 'vhive COMMAND --help' for a command's options; see vhive(1).\n"
                     "Exit status: 0 success, 1 check found stale values, 2 failure,\n"
                     "128+N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP).\n");
        return status;
}

/* hivex's writer reads a whole hive into one malloc'd buffer.  On VMs
 * where a page fault is dear, faulting in 3000 small pages costs ten times
 * the read itself (measured: 150 ms against 10 ms for a 12 MB hive); glibc
 * backs large allocations with huge pages only when told so at start-up,
 * hence one re-exec with the tunable set, for the commands that write
 * through hivex.  The others' hive-sized buffers are the library's, which
 * ask for huge pages themselves (lib/util/huge.c): for them the second
 * start would cost more than it saves (issue 20: 3-8 ms of a scrub). */
static bool writes_through_hivex(const char *cmd)
{
        return strcmp(cmd, "set") == 0 || strcmp(cmd, "delete") == 0 || strcmp(cmd, "merge") == 0;
}

static void use_huge_pages(int argc, char **argv)
{
        const char *t = getenv("GLIBC_TUNABLES");
        char *value;

        if (argc < 2 || !writes_through_hivex(argv[1]))
                return;
        if (getenv("VHIVE_NO_REEXEC") || (t && strstr(t, "glibc.malloc.hugetlb")))
                return;
        if (asprintf(&value, "%s%sglibc.malloc.hugetlb=1", t ? t : "", t ? ":" : "") < 0)
                return;
        setenv("GLIBC_TUNABLES", value, 1);
        execv("/proc/self/exe", argv);
        free(value); /* exec failed: run as we are */
}

int main(int argc, char **argv)
{
        use_huge_pages(argc, argv);
        if (argc < 2) {
                fprintf(stderr, "vhive: missing command\n"
                                "Try 'vhive --help' for more information.\n");
                return VHIVE_EXIT_FAIL;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0)
                return usage(stdout, VHIVE_EXIT_OK);
        if (strcmp(argv[1], "--list-options") == 0) /* for tests/cli/test-man-options.sh */
                return cmd_list_options();
        if (strcmp(argv[1], "--list-completion") == 0) /* for cmd/gen-completion.py */
                return cmd_list_completion();
        if (strcmp(argv[1], "--version") == 0) {
                printf("vhive %s\n", VHIVE_VERSION);
                return VHIVE_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0) {
                        signals_install();
                        return signals_exit_status(commands[i].run(argc - 1, argv + 1));
                }
        fprintf(stderr, "vhive: unknown command '%s'\nTry 'vhive --help' for more information.\n",
                argv[1]);
        return VHIVE_EXIT_FAIL;
}
