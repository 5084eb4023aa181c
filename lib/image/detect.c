/* Target kind, image format by content, and the refusals that need no
 * backend.  qemu is never asked to guess a format: a fixed VHD guesses as
 * raw, and libguestfs documents format probing as a security hole.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "macro.h"

#define VHD_FOOTER 512u
#define VHD_TYPE_FIXED 2u
#define VHD_TYPE_DYNAMIC 3u
#define VHD_TYPE_DIFFERENCING 4u

/* qcow2 incompatible feature bits (qemu docs/interop/qcow2.txt). */
#define QCOW2_INCOMPAT_DIRTY (1ull << 0)       /* refcounts to rebuild: qemu does */
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)     /* qemu itself refuses to write */
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)   /* guest data lives in another file */
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3) /* zstd instead of zlib */
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)       /* subclusters */
#define QCOW2_INCOMPAT_KNOWN                                                                       \
        (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DATA_FILE |                \
         QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_EXTL2)
#define QCOW2_EXT_END 0u
#define QCOW2_EXT_DATA_FILE 0x44415441u /* "DATA": the external data file name */
/* The header and its extensions live in the first cluster; they are small
 * in practice, and a name past 64 KiB is not looked for. */
#define QCOW2_HEADER_READ (64u * 1024)

#define VHDX_REGION_TABLE_1 (192u * 1024)
#define VHDX_REGION_TABLE_2 (256u * 1024)
#define VHDX_REGION_TABLE_SIZE (64u * 1024)
#define VHDX_METADATA_TABLE_SIZE (64u * 1024)

/* GUIDs as stored on disk (first three fields little-endian). */
static const uint8_t vhdx_metadata_region_guid[16] = {
        0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
        0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e,
};
static const uint8_t vhdx_parent_locator_guid[16] = {
        0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45,
        0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c,
};

static int read_at(int fd, void *buf, size_t len, off_t off, struct vhive_error *err)
{
        ssize_t n = pread(fd, buf, len, off);

        if (n < 0)
                return vhive_fail(err, errno, "cannot read: %m");
        return (int)n;
}

static int open_target(const char *path, off_t *size, struct vhive_error *err)
{
        struct stat st;
        /* O_NONBLOCK: opening a FIFO must not wait for a writer; the
         * fstat below then refuses it.  Regular files ignore the flag. */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

        if (fd < 0)
                return vhive_fail(err, errno, "cannot open: %m");
        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return vhive_fail(err, e, "cannot stat: %s", strerror(e));
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return vhive_fail(err, EINVAL, "not a regular file");
        }
        *size = st.st_size;
        return fd;
}

int vhive_target_kind(const char *path, enum vhive_target_kind *kind, struct vhive_error *err)
{
        uint8_t magic[4];
        off_t size = 0;
        _cleanup_close_ int fd = open_target(path, &size, err);
        int n;

        if (fd < 0)
                return fd;
        n = read_at(fd, magic, sizeof(magic), 0, err);
        if (n < 0)
                return n;
        *kind = n == 4 && memcmp(magic, "regf", 4) == 0 ? VHIVE_KIND_HIVE : VHIVE_KIND_IMAGE;
        return 0;
}

/* CRC-32C (Castagnoli), as the VHDX region table checksum uses: a byte
 * at a time from a table (the bitwise loop cost the fuzzer 75% of its
 * time over 64 KiB tables). */
uint32_t vhive_crc32c(const uint8_t *p, size_t len)
{
        static uint32_t table[256];
        uint32_t crc = ~0u;

        if (!table[1])
                for (uint32_t b = 0; b < 256; b++) {
                        uint32_t c = b;

                        for (int k = 0; k < 8; k++)
                                c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
                        table[b] = c;
                }
        while (len--)
                crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xff];
        return ~crc;
}

static bool vhdx_region_table_ok(uint8_t *t)
{
        uint32_t stored = vhive_le32(t + 4);
        uint32_t count = vhive_le32(t + 8);
        uint32_t sum;

        if (memcmp(t, "regi", 4) != 0 || count > 2047)
                return false;
        memset(t + 4, 0, 4);
        sum = vhive_crc32c(t, VHDX_REGION_TABLE_SIZE);
        vhive_put_le32(t + 4, stored);
        return sum == stored;
}

/* Offset and length of the metadata region, from the first valid region table. */
static int vhdx_metadata_region(int fd, uint64_t *off, uint32_t *len, struct vhive_error *err)
{
        static const uint32_t tables[] = { VHDX_REGION_TABLE_1, VHDX_REGION_TABLE_2 };
        _cleanup_free_ uint8_t *t = malloc(VHDX_REGION_TABLE_SIZE);

        if (!t)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t k = 0; k < ARRAY_SIZE(tables); k++) {
                int n = read_at(fd, t, VHDX_REGION_TABLE_SIZE, tables[k], err);
                if (n < 0)
                        return n;
                if (n != VHDX_REGION_TABLE_SIZE || !vhdx_region_table_ok(t))
                        continue;
                for (uint32_t e = 0; e < vhive_le32(t + 8); e++) {
                        const uint8_t *ent = t + 16 + 32 * e;
                        if (memcmp(ent, vhdx_metadata_region_guid, 16) != 0)
                                continue;
                        *off = vhive_le64(ent + 16);
                        *len = vhive_le32(ent + 24);
                        return 0;
                }
                break;
        }
        return vhive_fail(err, EINVAL,
                          "damaged VHDX: no valid region table with a "
                          "metadata region");
}

static int vhdx_has_parent(int fd, bool *has_parent, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *t = malloc(VHDX_METADATA_TABLE_SIZE);
        uint64_t off = 0;
        uint32_t len = 0, count;
        int r = vhdx_metadata_region(fd, &off, &len, err);

        if (r < 0)
                return r;
        if (!t)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = read_at(fd, t, VHDX_METADATA_TABLE_SIZE, (off_t)off, err);
        if (r < 0)
                return r;
        if (r != VHDX_METADATA_TABLE_SIZE || len < VHDX_METADATA_TABLE_SIZE ||
            memcmp(t, "metadata", 8) != 0)
                return vhive_fail(err, EINVAL, "damaged VHDX: no metadata table");
        *has_parent = false;
        count = (uint32_t)t[10] | (uint32_t)t[11] << 8; /* after 2 reserved bytes */
        for (uint32_t e = 0; e < count && e < 2047; e++)
                if (memcmp(t + 32 + 32 * e, vhdx_parent_locator_guid, 16) == 0)
                        *has_parent = true;
        return 0;
}

static void set_format(struct vhive_image_info *info, const char *format, const char *label)
{
        snprintf(info->format, sizeof(info->format), "%s", format);
        snprintf(info->label, sizeof(info->label), "%s", label);
}

static int detect_vhd(const uint8_t *footer, struct vhive_image_info *info, struct vhive_error *err)
{
        info->vhd_disk_type = vhive_be32(footer + 60);
        switch (info->vhd_disk_type) {
        case VHD_TYPE_FIXED:
                set_format(info, "vpc", "VHD fixed");
                return 0;
        case VHD_TYPE_DYNAMIC:
                set_format(info, "vpc", "VHD dynamic");
                return 0;
        case VHD_TYPE_DIFFERENCING:
                set_format(info, "vpc", "VHD differencing");
                info->vhd_differencing = true;
                return 0;
        }
        return vhive_fail(err, EINVAL, "damaged VHD: unknown disk type %u in the footer",
                          info->vhd_disk_type);
}

/* qcow2 (docs/interop/qcow2.txt in qemu): what qemu would do beyond
 * reading this one file.  Header extensions follow the header inside the
 * first cluster: type, length, data padded to 8. */
static void qcow2_extensions(const uint8_t *c, size_t len, size_t off,
                             struct vhive_image_info *info)
{
        while (off + 8 <= len) {
                uint32_t type = vhive_be32(c + off), ext_len = vhive_be32(c + off + 4);

                if (type == QCOW2_EXT_END)
                        return;
                if (type == QCOW2_EXT_DATA_FILE)
                        info->qcow2_data_file = true;
                if (ext_len > len - off - 8)
                        return;
                off += 8 + ((size_t)ext_len + 7) / 8 * 8;
        }
}

static int detect_qcow2(int fd, struct vhive_image_info *info, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *c = malloc(QCOW2_HEADER_READ);
        uint32_t version, header_len = 72;
        int n;

        set_format(info, "qcow2", "qcow2");
        if (!c)
                return vhive_fail(err, ENOMEM, "out of memory");
        n = read_at(fd, c, QCOW2_HEADER_READ, 0, err);
        if (n < 0)
                return n;
        if (n < 72)
                return vhive_fail(err, EINVAL, "damaged qcow2: the header is truncated");
        version = vhive_be32(c + 4);
        /* backing_file_offset at 8: qemu would open (and probe the format
         * of) another file. */
        info->qcow2_has_backing = vhive_be64(c + 8) != 0;
        if (version >= 3) {
                if (n < 104)
                        return vhive_fail(err, EINVAL,
                                          "damaged qcow2: the header is "
                                          "truncated");
                info->qcow2_incompatible = vhive_be64(c + 72);
                header_len = vhive_be32(c + 100);
        }
        if (info->qcow2_incompatible & QCOW2_INCOMPAT_DATA_FILE)
                info->qcow2_data_file = true;
        if (header_len >= 72)
                qcow2_extensions(c, (size_t)n, header_len, info);
        return 0;
}

/* A raw disk must at least look like one (an MBR or protective-MBR
 * signature, or NTFS at offset 0): a text file must not cost an appliance
 * launch before being called "no Windows". */
static int detect_raw(int fd, off_t size, struct vhive_image_info *info, struct vhive_error *err)
{
        uint8_t sector[512];
        int n;

        if (size == 0)
                return vhive_fail(err, EINVAL,
                                  "empty file: neither a registry hive nor a disk image");
        n = read_at(fd, sector, sizeof(sector), 0, err);
        if (n < 0)
                return n;
        if (n < (int)sizeof(sector) ||
            (!(sector[510] == 0x55 && sector[511] == 0xaa) && memcmp(sector + 3, "NTFS    ", 8)))
                return vhive_fail(err, EINVAL,
                                  "neither a registry hive nor a disk image: no regf "
                                  "signature, no VHD/VHDX/qcow2 header, no partition table "
                                  "(use --format raw to open it anyway)");
        set_format(info, "raw", "raw");
        return 0;
}

int vhive_image_detect(const char *path, struct vhive_image_info *info, struct vhive_error *err)
{
        uint8_t head[20] = { 0 }, footer[VHD_FOOTER];
        off_t size = 0;
        _cleanup_close_ int fd = open_target(path, &size, err);
        int n;

        if (fd < 0)
                return fd;
        memset(info, 0, sizeof(*info));
        n = read_at(fd, head, sizeof(head), 0, err);
        if (n < 0)
                return n;
        if (memcmp(head, "vhdxfile", 8) == 0) {
                set_format(info, "vhdx", "VHDX");
                return vhdx_has_parent(fd, &info->vhdx_has_parent, err);
        }
        if (memcmp(head, "QFI\xfb", 4) == 0)
                return detect_qcow2(fd, info, err);
        if (size >= VHD_FOOTER) {
                n = read_at(fd, footer, VHD_FOOTER, size - VHD_FOOTER, err);
                if (n < 0)
                        return n;
                if (n == VHD_FOOTER && memcmp(footer, "conectix", 8) == 0)
                        return detect_vhd(footer, info, err);
        }
        if (memcmp(head, "conectix", 8) == 0) {
                n = read_at(fd, footer, VHD_FOOTER, 0, err);
                if (n < 0)
                        return n;
                return detect_vhd(footer, info, err);
        }
        return detect_raw(fd, size, info, err);
}

/* ---- refusals ---------------------------------------------------------- */

/* "NAME" of "/dir/NAME.vhdx", with the folder separately. */
static int split_name(const char *path, char **dir, char **stem)
{
        _cleanup_free_ char *d = strdup(path), *b = strdup(path);
        char *dot;

        if (!d || !b)
                return -ENOMEM;
        *dir = strdup(dirname(d));
        *stem = strdup(basename(b));
        if (!*dir || !*stem)
                return -ENOMEM;
        dot = strrchr(*stem, '.');
        if (dot && dot != *stem)
                *dot = '\0';
        return 0;
}

/* NAME.N.avhdx, NAME.N.avhd or NAME.N.vhdx (case-insensitive, N digits). */
static bool is_version_of(const char *entry, const char *stem)
{
        static const char *const exts[] = { "avhdx", "avhd", "vhdx" };
        size_t len = strlen(stem);
        const char *p;

        if (strncasecmp(entry, stem, len) != 0 || entry[len] != '.')
                return false;
        p = entry + len + 1;
        if (!isdigit((unsigned char)*p))
                return false;
        while (isdigit((unsigned char)*p))
                p++;
        if (*p++ != '.')
                return false;
        for (size_t k = 0; k < ARRAY_SIZE(exts); k++)
                if (strcasecmp(p, exts[k]) == 0)
                        return true;
        return false;
}

static int find_sibling(const char *dir, const char *stem, char *lok, char *version, size_t size)
{
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                const char *dot = strrchr(de->d_name, '.');
                if (dot && (size_t)(dot - de->d_name) == strlen(stem) &&
                    strncasecmp(de->d_name, stem, strlen(stem)) == 0 &&
                    strcasecmp(dot, ".lok") == 0)
                        snprintf(lok, size, "%s", de->d_name);
                else if (!*version && is_version_of(de->d_name, stem))
                        snprintf(version, size, "%s", de->d_name);
        }
        closedir(d);
        return 0;
}

/* The dirty bit (refcounts to rebuild, which qemu does on open), zstd
 * compression and extended L2 entries change nothing about which file
 * holds the guest's data: accepted.  The corrupt bit only stops writes. */
static int refuse_qcow2_features(const struct vhive_image_info *info, struct vhive_error *err)
{
        uint64_t unknown = info->qcow2_incompatible & ~QCOW2_INCOMPAT_KNOWN;

        if (info->qcow2_data_file)
                return vhive_fail(err, EPERM,
                                  "a qcow2 with an external data file (incompatible "
                                  "feature bit 2 or a data-file header extension): its guest "
                                  "data lives in another host file that the image names, and "
                                  "vhive reads and writes only the file it is given; convert "
                                  "it into a self-contained image with 'qemu-img convert -O "
                                  "qcow2' first");
        if (unknown)
                return vhive_fail(err, EPERM,
                                  "a qcow2 with incompatible feature bits vhive "
                                  "does not know (0x%llx): it cannot tell what qemu would do "
                                  "with the image; convert it with 'qemu-img convert' first",
                                  (unsigned long long)unknown);
        return 0;
}

static int refuse_corrupt_qcow2(const struct vhive_image_info *info, struct vhive_error *err)
{
        if (info->qcow2_incompatible & QCOW2_INCOMPAT_CORRUPT)
                return vhive_fail(err, EPERM,
                                  "the qcow2 is marked corrupt (incompatible "
                                  "feature bit 1): qemu refuses to write it; repair it with "
                                  "'qemu-img check -r all' first, or use check or --dry-run "
                                  "to only read it");
        return 0;
}

static int refuse_differencing(const struct vhive_image_info *info, struct vhive_error *err)
{
        if (info->vhd_differencing)
                return vhive_fail(err, EPERM,
                                  "a differencing VHD (footer disk type 4): it "
                                  "holds only the changes against its parent, and qemu would "
                                  "read the parent's sectors as zeros; merge the chain into a "
                                  "standalone disk first and run vhive on that");
        if (info->vhdx_has_parent)
                return vhive_fail(err, EPERM,
                                  "a differencing VHDX (its metadata holds a "
                                  "parent locator): it holds only the changes against its "
                                  "parent; merge the chain into a standalone disk first and "
                                  "run vhive on that");
        if (info->qcow2_has_backing)
                return vhive_fail(err, EPERM,
                                  "a qcow2 overlay (its header names a backing "
                                  "file): vhive does not follow image chains; flatten it with "
                                  "'qemu-img convert -O qcow2' or commit it into its base first");
        return refuse_qcow2_features(info, err);
}

static int refuse_read_only(const char *path, struct vhive_error *err)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return vhive_fail(err, errno, "cannot stat: %m");
        /* No write bit at all: marked read-only on purpose (a PVS vDisk in
         * standard mode), even when root could write it anyway. */
        if (access(path, W_OK) < 0 || !(st.st_mode & 0222))
                return vhive_fail(err, EROFS,
                                  "the image file is read-only: make it writable "
                                  "if it really should change (a PVS vDisk in standard mode "
                                  "must be switched to private mode or versioned first), "
                                  "or use check or --dry-run to only read it");
        return 0;
}

int vhive_image_refusals(const char *path, const struct vhive_image_info *info, bool for_write,
                         bool force, struct vhive_error *err)
{
        _cleanup_free_ char *dir = NULL, *stem = NULL, *real = NULL;
        char lok[256] = "", version[256] = "";
        int r = refuse_differencing(info, err);

        if (r < 0 || !for_write)
                return r;
        r = refuse_corrupt_qcow2(info, err);
        if (r < 0)
                return r;
        /* The .lok and the versions sit beside the real file, not beside
         * a symbolic link to it. */
        real = realpath(path, NULL);
        if (!real)
                return vhive_fail(err, errno, "cannot resolve the image's path: %m");
        path = real;
        r = refuse_read_only(path, err);
        if (r < 0 || force)
                return r;
        if (split_name(path, &dir, &stem) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = find_sibling(dir, stem, lok, version, sizeof(lok));
        if (r < 0)
                return vhive_fail(err, -r, "cannot list the image's folder: %s", strerror(-r));
        if (*lok)
                return vhive_fail(err, EBUSY,
                                  "the vDisk is in use: %s beside it means a PVS "
                                  "target has it open; shut the targets down first, or if "
                                  "the lock is stale (after a target failure) release it "
                                  "and run again, or pass --force",
                                  lok);
        if (*version)
                return vhive_fail(err, EPERM,
                                  "the vDisk has versions (%s beside it): writing "
                                  "to a base changes its DataWriteGuid and breaks every "
                                  "version chained to it; edit the newest version instead "
                                  "(or merge the versions first), or pass --force",
                                  version);
        return 0;
}
