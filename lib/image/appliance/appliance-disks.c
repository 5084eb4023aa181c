/* The appliance's drives and their partitions, by libguestfs' names.
 *
 * guestfs_list_devices and guestfs_list_partitions open every disk of the
 * appliance in turn: 0.27 s each with one image under TCG, 0.77 s each
 * with 8 (issue 17, from a trace).  udev has already named every disk by
 * the serial libguestfs gave it, hdN for the Nth drive added, with -partM
 * for its partitions, and libguestfs calls the Nth drive /dev/sd<N> in the
 * kernel's lettering (sda, ..., sdz, sdaa): one shell of builtins lists
 * those names.  When the listing is not whole (a drive missing, a name not
 * understood) the two calls answer, as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance-internal.h"
#include "macro.h"

#define BY_ID "scsi-0QEMU_QEMU_HARDDISK_"

struct disk_entry {
        size_t drive;
        unsigned part; /* 0: the drive itself */
};

/* "/dev/sd" and the drive's letters: 0 is a, 25 z, 26 aa (bijective base 26). */
static void disk_name(size_t n, unsigned part, char *out, size_t size)
{
        char letters[16];
        size_t k = sizeof(letters) - 1;

        letters[k] = '\0';
        for (n++; n > 0 && k > 0; n /= 26) {
                n--;
                letters[--k] = (char)('a' + n % 26);
        }
        if (part)
                snprintf(out, size, "/dev/sd%s%u", letters + k, part);
        else
                snprintf(out, size, "/dev/sd%s", letters + k);
}

static int by_drive_then_part(const void *a, const void *b)
{
        const struct disk_entry *x = a, *y = b;

        if (x->drive != y->drive)
                return x->drive < y->drive ? -1 : 1;
        return x->part < y->part ? -1 : x->part > y->part;
}

/* The shell's lines ("hd3", "hd3-part2") as entries; false when one is
 * not understood or names a drive that was not added. */
static bool parse_names(char *out, size_t drives, struct disk_entry *v, size_t *n, size_t max)
{
        char *save = NULL;

        *n = 0;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                size_t drive;
                unsigned part = 0;
                int end = 0;

                if (*n == max)
                        return false;
                if (sscanf(line, "hd%zu%n-part%u%n", &drive, &end, &part, &end) < 1 ||
                    line[end] != '\0' || drive >= drives || (strstr(line, "-part") && part == 0))
                        return false;
                v[(*n)++] = (struct disk_entry){ drive, part };
        }
        return true;
}

static char **names_of(const struct disk_entry *v, size_t n, bool parts)
{
        char **names = calloc(n + 1, sizeof(*names));
        size_t k = 0;
        char name[32];

        for (size_t i = 0; names && i < n; i++) {
                if ((v[i].part != 0) != parts)
                        continue;
                disk_name(v[i].drive, v[i].part, name, sizeof(name));
                names[k] = strdup(name);
                if (!names[k++]) {
                        ap_free_strings(names);
                        return NULL;
                }
        }
        return names;
}

/* be->devices and be->parts from udev's names; false when they do not
 * list every drive once. */
static bool list_by_id(struct vhive_backend *be, size_t drives)
{
        char cmd[] = "cd /dev/disk/by-id 2>/dev/null && for d in " BY_ID "hd*; do "
                     "[ -b \"$d\" ] && echo \"${d#" BY_ID "}\"; done; exit 0";
        char *args[2] = { cmd, NULL };
        _cleanup_free_ char *out = guestfs_debug(be->g, "sh", args);
        size_t max = drives * 130 + 1, n = 0, whole = 0; /* 128 partitions a GPT drive */
        _cleanup_free_ struct disk_entry *v = calloc(max, sizeof(*v));

        if (!out || !v || !parse_names(out, drives, v, &n, max))
                return false;
        qsort(v, n, sizeof(*v), by_drive_then_part);
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && by_drive_then_part(&v[i - 1], &v[i]) == 0)
                        return false;
                whole += v[i].part == 0;
        }
        if (whole != drives)
                return false;
        be->devices = names_of(v, n, false);
        be->parts = names_of(v, n, true);
        return be->devices && be->parts;
}

int ap_list_disks(struct vhive_backend *be, size_t drives, struct vhive_error *err)
{
        if (list_by_id(be, drives))
                return 0;
        ap_free_strings(be->devices);
        ap_free_strings(be->parts);
        be->parts = NULL;
        be->devices = guestfs_list_devices(be->g);
        if (!be->devices)
                return ap_gfail(be, err, "cannot list the appliance's disks");
        /* Not guestfs_list_filesystems: it runs parted on every partition
         * of every drive, seconds per image without KVM. */
        be->parts = guestfs_list_partitions(be->g);
        if (!be->parts)
                return ap_gfail(be, err, "cannot list partitions");
        return 0;
}
