/* The targets of a run: the operands, and with --from FILE the lines of
 * FILE (- for stdin), so that a listing of a vDisk store can be piped in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* Kept until exit: the targets are used until the command returns. */
static struct {
        char **v;
        size_t n, cap;
        char **lines; /* the strings read from --from, to free */
        size_t n_lines;
} store;

static void store_free(void)
{
        for (size_t i = 0; i < store.n_lines; i++)
                free(store.lines[i]);
        free(store.lines);
        free(store.v);
}

static int add(char *target)
{
        if (store.n == store.cap) {
                size_t cap = store.cap ? 2 * store.cap : 16;
                char **v = realloc(store.v, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                store.v = v;
                store.cap = cap;
        }
        store.v[store.n++] = target;
        return 0;
}

static int keep_line(char *line)
{
        char **v = realloc(store.lines, (store.n_lines + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        store.lines = v;
        store.lines[store.n_lines++] = line;
        return 0;
}

/* A line is a name exactly as written: only its newline goes, and only an
 * empty line is skipped.  "#old.hive" is a file and "clean.hive " is not
 * "clean.hive": a name that does not exist fails its own target (exit 2)
 * instead of vanishing from the run or landing on another file. */
static int read_line(char *line, size_t len)
{
        int r = keep_line(line);

        if (r < 0) {
                free(line);
                return r;
        }
        if (len && line[len - 1] == '\n')
                line[--len] = '\0';
        if (strlen(line) != len)
                return -EILSEQ; /* a NUL byte: no file name holds one */
        return len ? add(line) : 0;
}

static int read_list(const char *cmd, const char *path)
{
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        char *line = NULL;
        size_t size = 0, lineno = 0;
        ssize_t n;
        int r = 0;

        if (!f) {
                fprintf(stderr, "vhive %s: --from %s: %s\n", cmd, path, strerror(errno));
                return -1;
        }
        while (r == 0 && (n = getline(&line, &size, f)) >= 0) {
                lineno++;
                r = read_line(line, (size_t)n);
                line = NULL;
                size = 0;
        }
        free(line);
        if (r == 0 && ferror(f))
                r = -EIO;
        if (f != stdin)
                fclose(f);
        if (r == -EILSEQ)
                fprintf(stderr, "vhive %s: --from %s: line %zu holds a NUL byte\n", cmd, path,
                        lineno);
        else if (r < 0)
                fprintf(stderr, "vhive %s: --from %s: %s\n", cmd, path, strerror(-r));
        return r < 0 ? -1 : 0;
}

int cmd_collect_targets(const struct cmd_text *text, int argc, char **argv, struct cmd_opts *o)
{
        int first_arg = optind;

        atexit(store_free);
        /* Without --from, an editor command's first operand is its TARGET;
         * with it, every operand is an argument (KEY, NAME...). */
        if (text->many_targets)
                first_arg = argc;
        else if (!o->from && optind < argc)
                first_arg = optind + 1;
        for (int i = optind; i < first_arg; i++)
                if (add(argv[i]) < 0)
                        return -1;
        if (o->from && read_list(text->name, o->from) < 0)
                return -1;
        o->targets = store.v;
        o->n_targets = store.n;
        o->args = argv + first_arg;
        o->n_args = (size_t)(argc - first_arg);
        return 0;
}
