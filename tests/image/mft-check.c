/* mft-check VOLUME: the appliance's MFT record parser (lib/image/appliance/
 * mft-record.c) held against libntfs-3g on a volume made by mkntfs.
 *
 * Files written 4 KiB at a time in turn (so each is in many runs) and one
 * small enough to stay resident are made with libntfs-3g, which also gives
 * each file's run list; the volume is then read as plain bytes, as the
 * appliance reads its partition, and the parser must give the same runs
 * and sizes, or -ENOTSUP for the resident one.  Then the parser's
 * refusals, on altered copies of a good record: torn (one sector of
 * another write), another record's number, an attribute list (whose
 * $DATA may go on elsewhere), an attribute whose length lies. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

#include "appliance/mft-record.h"

#define N_FRAGMENTED 4
#define ROUNDS 40
#define CHUNK 4096 /* written to each file in turn */

struct made {
        char name[16];
        uint64_t recno, size;
        struct mft_run runs[MFT_MAX_RUNS];
        size_t n;
};

static int failures;

static void check(int ok, const char *what)
{
        printf("%s: %s\n", ok ? "ok" : "FAIL", what);
        failures += !ok;
}

static void die(const char *what)
{
        perror(what);
        exit(2);
}

static ntfs_inode *create(ntfs_volume *vol, const char *name)
{
        ntfschar *u = NULL;
        int len = ntfs_mbstoucs(name, &u);
        ntfs_inode *dir = ntfs_inode_open(vol, FILE_root), *ni;

        if (len < 0 || !dir)
                die("ntfs: root");
        ni = ntfs_create(dir, const_cpu_to_le32(0), u, (u8)len, S_IFREG);
        if (!ni)
                die(name);
        free(u);
        ntfs_inode_close(dir);
        return ni;
}

/* The run list libntfs-3g holds for the file, and its number and size. */
static void record_runs(ntfs_inode *ni, struct made *m)
{
        ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);

        if (!na || ntfs_attr_map_whole_runlist(na) < 0)
                die("ntfs: runlist");
        m->recno = ni->mft_no;
        m->size = (uint64_t)na->data_size;
        m->n = 0;
        for (runlist_element *rl = na->rl; rl && rl->length; rl++)
                if (rl->lcn >= 0 && m->n < MFT_MAX_RUNS)
                        m->runs[m->n++] = (struct mft_run){ (uint64_t)rl->vcn, (uint64_t)rl->lcn,
                                                            (uint64_t)rl->length };
        ntfs_attr_close(na);
}

/* files[0..N_FRAGMENTED) written in turn, CHUNK each; then "tiny",
 * resident. */
static void make_files(const char *volume, struct made *m)
{
        ntfs_volume *vol = ntfs_mount(volume, 0);
        ntfs_inode *ni[N_FRAGMENTED];
        ntfs_attr *na[N_FRAGMENTED];
        static char chunk[CHUNK];

        if (!vol)
                die(volume);
        for (int k = 0; k < N_FRAGMENTED; k++) {
                snprintf(m[k].name, sizeof(m[k].name), "f%d", k);
                ni[k] = create(vol, m[k].name);
                na[k] = ntfs_attr_open(ni[k], AT_DATA, AT_UNNAMED, 0);
                if (!na[k])
                        die("ntfs_attr_open");
        }
        for (int round = 0; round < ROUNDS; round++)
                for (int k = 0; k < N_FRAGMENTED; k++) {
                        memset(chunk, 'a' + k + round, sizeof(chunk));
                        if (ntfs_attr_pwrite(na[k], (s64)round * CHUNK, CHUNK, chunk) != CHUNK)
                                die("ntfs_attr_pwrite");
                }
        for (int k = 0; k < N_FRAGMENTED; k++) {
                ntfs_attr_close(na[k]);
                record_runs(ni[k], &m[k]);
                ntfs_inode_close(ni[k]);
        }
        ni[0] = create(vol, "tiny");
        na[0] = ntfs_attr_open(ni[0], AT_DATA, AT_UNNAMED, 0);
        if (!na[0] || ntfs_attr_pwrite(na[0], 0, 100, chunk) != 100)
                die("tiny");
        m[N_FRAGMENTED].recno = ni[0]->mft_no;
        snprintf(m[N_FRAGMENTED].name, sizeof(m[0].name), "tiny");
        ntfs_attr_close(na[0]);
        ntfs_inode_close(ni[0]);
        if (ntfs_umount(vol, FALSE) < 0)
                die("ntfs_umount");
}

static void read_at(int fd, uint64_t off, void *buf, size_t len)
{
        if (pread(fd, buf, len, (off_t)off) != (ssize_t)len)
                die("pread");
}

/* The file's record (fixed up unless raw) and what the parser says of it. */
static int parse(int fd, const struct mft_geometry *g, const struct mft_data *mft, uint64_t recno,
                 uint8_t *rec, struct mft_data *d)
{
        uint64_t off = 0;
        int r = mft_record_offset(g, mft, recno, &off);

        if (r < 0)
                return r;
        read_at(fd, off, rec, g->record_size);
        r = mft_fixup(rec, g->record_size);
        return r < 0 ? r : mft_data(rec, g->record_size, recno, d);
}

static int same_runs(const struct made *m, const struct mft_data *d)
{
        if (m->n != d->n || d->data_size != m->size || d->init_size != m->size)
                return 0;
        for (size_t k = 0; k < m->n; k++)
                if (memcmp(&m->runs[k], &d->runs[k], sizeof(m->runs[k])) != 0)
                        return 0;
        return 1;
}

/* The parser's refusals, on copies of a good record (fixups not applied). */
static void hostile(int fd, const struct mft_geometry *g, const struct mft_data *mft,
                    const struct made *m, struct mft_data *d)
{
        uint8_t *rec = malloc(g->record_size), *copy = malloc(g->record_size);
        uint64_t off = 0;
        size_t first = 0;

        if (!rec || !copy || mft_record_offset(g, mft, m->recno, &off) < 0)
                die("hostile");
        read_at(fd, off, rec, g->record_size);
        memcpy(copy, rec, g->record_size);
        copy[1022] ^= 1; /* the second sector's check bytes: another write's */
        check(mft_fixup(copy, g->record_size) == -EIO, "a torn record is refused (-EIO)");
        memcpy(copy, rec, g->record_size);
        check(mft_fixup(copy, g->record_size) == 0 &&
                      mft_data(copy, g->record_size, m->recno + 1, d) == -ENOTSUP,
              "a record that is another number is refused");
        memcpy(copy, rec, g->record_size);
        first = copy[20] | copy[21] << 8; /* the first attribute made an attribute list */
        copy[first] = 0x20;
        check(mft_fixup(copy, g->record_size) == 0 &&
                      mft_data(copy, g->record_size, m->recno, d) == -ENOTSUP,
              "a record with an attribute list is not answered (-ENOTSUP)");
        memcpy(copy, rec, g->record_size); /* the first attribute's length: past the end */
        copy[first + 4] = 0xf8, copy[first + 5] = 0xff;
        check(mft_fixup(copy, g->record_size) == 0 &&
                      mft_data(copy, g->record_size, m->recno, d) == -EINVAL,
              "an attribute whose length lies is refused");
        free(rec);
        free(copy);
}

int main(int argc, char **argv)
{
        struct made *m = calloc(N_FRAGMENTED + 1, sizeof(*m));
        struct mft_data *mft = malloc(sizeof(*mft)), *d = malloc(sizeof(*d));
        struct mft_geometry g;
        uint8_t boot[512], *rec;
        int fd;

        if (argc != 2 || !m || !mft || !d)
                return 2;
        make_files(argv[1], m);
        fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                die(argv[1]);
        read_at(fd, 0, boot, sizeof(boot));
        if (mft_geometry(boot, sizeof(boot), &g) < 0 || !(rec = malloc(g.record_size)))
                die("geometry");
        /* libntfs-3g's allocator interleaves the files' clusters of 4 KiB;
         * of 512 bytes it keeps each file in one run (seen here). */
        size_t min_runs = g.cluster == 4096 ? ROUNDS / 2 : 1;
        read_at(fd, g.mft_lcn * g.cluster, rec, g.record_size);
        check(mft_fixup(rec, g.record_size) == 0 && mft_data(rec, g.record_size, 0, mft) == 0,
              "$MFT's own record");
        for (int k = 0; k < N_FRAGMENTED; k++) {
                char what[96];
                int r = parse(fd, &g, mft, m[k].recno, rec, d);

                snprintf(what, sizeof(what), "%s (record %llu): %zu runs as libntfs-3g's",
                         m[k].name, (unsigned long long)m[k].recno, m[k].n);
                check(r == 0 && m[k].n >= min_runs && same_runs(&m[k], d), what);
        }
        check(parse(fd, &g, mft, m[N_FRAGMENTED].recno, rec, d) == -ENOTSUP,
              "tiny: resident: -ENOTSUP");
        hostile(fd, &g, mft, &m[0], d);
        close(fd);
        free(rec);
        free(m);
        free(mft);
        free(d);
        printf("mft-check: %d failed\n", failures);
        return failures ? 1 : 0;
}
