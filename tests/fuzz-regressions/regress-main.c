/* Replays fuzz-found inputs through the fuzz target's own code (the
 * target's .c file is linked in), in the normal ASan+UBSan build.
 *
 * Usage: fuzz-regress-TARGET FILE.hex
 *
 * FILE.hex is a sparse hex dump, so that a mostly-zero hive stays a small
 * text file: "size N" first, then lines "OFFSET HEX" (offset in hex, up to
 * 32 bytes of data); bytes not listed are zero.  '#' starts a comment. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static uint8_t *decode(FILE *f, size_t *size)
{
        char line[256];
        uint8_t *buf = NULL;
        unsigned lineno = 0;

        *size = 0;
        while (fgets(line, sizeof(line), f)) {
                unsigned long long off;
                char *p;

                lineno++;
                if (line[0] == '#' || line[0] == '\n')
                        continue;
                if (!buf) {
                        if (sscanf(line, "size %zu", size) != 1 || *size > (64u << 20))
                                goto bad;
                        buf = calloc(1, *size ? *size : 1);
                        if (!buf)
                                return NULL;
                        continue;
                }
                off = strtoull(line, &p, 16);
                if (p == line || *p != ' ')
                        goto bad;
                for (p++; hexval(p[0]) >= 0 && hexval(p[1]) >= 0; p += 2, off++) {
                        if (off >= *size)
                                goto bad;
                        buf[off] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
                }
                if (*p != '\n' && *p != '\0')
                        goto bad;
        }
        if (buf)
                return buf;
bad:
        fprintf(stderr, "fuzz-regress: line %u: not a sparse hex dump\n", lineno);
        free(buf);
        return NULL;
}

int main(int argc, char **argv)
{
        uint8_t *data;
        size_t size;
        FILE *f;

        if (argc != 2) {
                fprintf(stderr, "usage: %s FILE.hex\n", argv[0]);
                return 2;
        }
        f = fopen(argv[1], "r");
        if (!f) {
                fprintf(stderr, "fuzz-regress: %s: %s\n", argv[1], strerror(errno));
                return 2;
        }
        data = decode(f, &size);
        fclose(f);
        if (!data)
                return 2;
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        printf("%s: %zu bytes replayed without a fault\n", argv[1], size);
        return 0;
}
