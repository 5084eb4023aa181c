/* imgcrash: one state of the image read as Windows would (imgcrash.h):
 * libntfs-3g mounts the volume read-only, lists the config folder and
 * reads the hive and its logs; the hive is what Windows loads (the
 * primary when clean, else its replay with the logs, vhive_replay). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h> /* before libntfs-3g: its struct timespec otherwise */

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

#include "hive.h"
#include "imgcrash.h"

static const char *cfg_path = "/Windows/System32/config";
static char names[3][128];

void read_setup(const char *config, const char *name)
{
        cfg_path = config;
        snprintf(names[0], sizeof(names[0]), "%s", name);
        snprintf(names[1], sizeof(names[1]), "%s.LOG1", name);
        snprintf(names[2], sizeof(names[2]), "%s.LOG2", name);
        ntfs_log_set_handler(ntfs_log_handler_null);
}

void state_read_free(struct state_read *s)
{
        free(s->hive);
        s->hive = NULL;
}

struct listing {
        bool seen[3];
};

static int filldir(void *dirent, const ntfschar *name, const int name_len, const int name_type,
                   const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
        struct listing *l = dirent;
        char *s = NULL;

        (void)pos, (void)mref, (void)dt_type;
        if (name_type == FILE_NAME_DOS || ntfs_ucstombs(name, name_len, &s, 0) < 0)
                return 0;
        for (int k = 0; k < 3; k++)
                if (strcasecmp(s, names[k]) == 0)
                        l->seen[k] = true;
        free(s);
        return 0;
}

/* Every cluster na's runs name is marked used in the volume's bitmap: a
 * cluster a file holds but the bitmap calls free would be handed to
 * another file by NTFS's next allocation. */
static bool clusters_marked(ntfs_volume *vol, ntfs_attr *na)
{
        if (!NAttrNonResident(na))
                return true;
        if (ntfs_attr_map_whole_runlist(na) < 0)
                return false;
        for (runlist_element *rl = na->rl; rl && rl->length; rl++) {
                for (s64 c = rl->lcn; rl->lcn >= 0 && c < rl->lcn + rl->length; c++) {
                        uint8_t byte;

                        if (ntfs_attr_pread(vol->lcnbmp_na, c / 8, 1, &byte) != 1 ||
                            !(byte >> (c % 8) & 1))
                                return false;
                }
        }
        return true;
}

/* The unnamed $DATA of dir/name; false with s->why on failure. */
static bool read_file(ntfs_volume *vol, ntfs_inode *dir, int k, struct hive_files *f,
                      struct state_read *s)
{
        ntfs_inode *ni = ntfs_pathname_to_inode(vol, dir, names[k]);
        ntfs_attr *na = ni ? ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0) : NULL;
        bool ok = false;

        if (na) {
                f->len[k] = (size_t)na->data_size;
                f->data[k] = malloc(f->len[k] + 1);
                ok = f->data[k] &&
                     ntfs_attr_pread(na, 0, na->data_size, f->data[k]) == na->data_size;
                if (ok && !clusters_marked(vol, na)) {
                        snprintf(s->why, sizeof(s->why),
                                 "%s/%s holds clusters the volume's bitmap marks free", cfg_path,
                                 names[k]);
                        ntfs_attr_close(na);
                        ntfs_inode_close(ni);
                        return false;
                }
                ntfs_attr_close(na);
        }
        if (!ok)
                snprintf(s->why, sizeof(s->why), "%s/%s cannot be read: %s", cfg_path, names[k],
                         strerror(errno ? errno : EIO));
        if (ni)
                ntfs_inode_close(ni);
        return ok;
}

static bool read_folder(ntfs_volume *vol, struct hive_files *f, struct state_read *s)
{
        ntfs_inode *dir = ntfs_pathname_to_inode(vol, NULL, cfg_path);
        struct listing l = { { false } };
        s64 pos = 0;
        bool ok;

        if (!dir) {
                snprintf(s->why, sizeof(s->why), "%s cannot be opened: %s", cfg_path,
                         strerror(errno));
                return false;
        }
        ok = ntfs_readdir(dir, &pos, &l, filldir) == 0;
        if (!ok)
                snprintf(s->why, sizeof(s->why), "%s cannot be listed: %s", cfg_path,
                         strerror(errno));
        for (int k = 0; k < 3 && ok; k++) {
                if (!l.seen[k]) {
                        snprintf(s->why, sizeof(s->why), "%s does not list %s", cfg_path, names[k]);
                        ok = false;
                }
        }
        for (int k = 0; k < 3 && ok; k++)
                ok = read_file(vol, dir, k, f, s);
        ntfs_inode_close(dir);
        return ok;
}

/* What Windows loads from the three files (crash-tool's "loaded"). */
static void load_hive(const struct hive_files *f, struct state_read *s)
{
        struct vhive_regf_header h;
        struct vhive_replay_result res;
        struct vhive_error e = { 0 };
        size_t n = f->len[0];

        if (vhive_logs_check_readable(f->data[0], f->len[0], f->data[1], f->len[1], f->data[2],
                                      f->len[2], &e) < 0) {
                s->vhive_refuses = true;
                snprintf(s->why, sizeof(s->why), "vhive refuses: %.400s", e.msg);
        }
        if (vhive_regf_parse(f->data[0], f->len[0], &h) < 0 || !vhive_regf_is_dirty(&h)) {
                if (n >= VHIVE_REGF_BASE_BLOCK && VHIVE_REGF_BASE_BLOCK + (size_t)h.hbins_size < n)
                        n = VHIVE_REGF_BASE_BLOCK + h.hbins_size;
                s->hive = malloc(n ? n : 1);
                memcpy(s->hive, f->data[0], n);
                s->hive_len = n;
        } else if (vhive_replay(f->data[0], f->len[0], f->data[1], f->len[1], f->data[2], f->len[2],
                                &s->hive, &s->hive_len, &res, &e) < 0) {
                s->hive = NULL;
                snprintf(s->why, sizeof(s->why), "the dirty hive does not replay: %.400s", e.msg);
        } else if (vhive_regf_parse(s->hive, s->hive_len, &h) == 0 &&
                   VHIVE_REGF_BASE_BLOCK + (size_t)h.hbins_size < s->hive_len) {
                /* The replay keeps the primary file's length; Windows reads
                 * the hive bins the base block counts, the rest is remnant
                 * (a grown primary's zeros). */
                s->hive_len = VHIVE_REGF_BASE_BLOCK + h.hbins_size;
        }
}

bool read_state(const char *image, struct state_read *s)
{
        struct hive_files f = { { NULL }, { 0 } };
        ntfs_volume *vol;

        memset(s, 0, sizeof(*s));
        errno = 0;
        vol = ntfs_mount(image, NTFS_MNT_RDONLY);
        if (!vol) {
                snprintf(s->why, sizeof(s->why), "the volume does not mount: %s",
                         strerror(errno ? errno : EIO));
                return true;
        }
        ntfs_set_ignore_case(vol);
        s->readable = read_folder(vol, &f, s);
        if (s->readable)
                load_hive(&f, s);
        for (int k = 0; k < 3; k++)
                free(f.data[k]);
        if (ntfs_umount(vol, FALSE) < 0) {
                fprintf(stderr, "imgcrash: %s: unmounting: %s\n", image, strerror(errno));
                return false;
        }
        return true;
}

uint64_t mft_offset(const char *image)
{
        ntfs_volume *vol = ntfs_mount(image, NTFS_MNT_RDONLY);
        uint64_t off = 0;

        if (vol) {
                off = (uint64_t)vol->mft_lcn * vol->cluster_size;
                ntfs_umount(vol, FALSE);
        }
        return off;
}

static unsigned get16(const uint8_t *p)
{
        return p[0] | (unsigned)p[1] << 8;
}

const char *mst_torn(const uint8_t *buf, size_t len)
{
        static const char *const magics[] = { "FILE", "INDX", "RCRD", "RSTR" };
        unsigned usa_ofs, usa_count, usn;
        bool known = false;

        for (size_t m = 0; m < 4; m++)
                known |= len >= 8 && memcmp(buf, magics[m], 4) == 0;
        if (!known)
                return NULL;
        usa_ofs = get16(buf + 4);
        usa_count = get16(buf + 6);
        if (usa_count < 2 || (usa_count - 1) * 512 > len || usa_ofs + 2 * usa_count > 512)
                return "a bad update sequence array";
        usn = get16(buf + usa_ofs);
        for (unsigned i = 1; i < usa_count; i++)
                if (get16(buf + i * 512 - 2) != usn)
                        return "torn: a sector's update sequence number differs";
        return NULL;
}

bool same_hive(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
        static const size_t skip[][2] = { { 4, 20 }, { 508, 512 }, { 4096 + 20, 4096 + 28 } };
        size_t from = 0;

        if (!a || !b || al != bl)
                return false;
        for (size_t k = 0; k < 3 && from < al; k++) {
                size_t to = skip[k][0] < al ? skip[k][0] : al;

                if (memcmp(a + from, b + from, to - from) != 0)
                        return false;
                from = skip[k][1];
        }
        return from >= al || memcmp(a + from, b + from, al - from) == 0;
}
