/* Writes of NTFS multi-sector records (MFT records, index blocks) that a
 * power cut cannot leave torn, where the change allows it.
 *
 * libntfs-3g writes a 1 KiB MFT record or a 4 KiB index block in one
 * pwrite, with a fresh update sequence number stamped into the last two
 * bytes of each 512-byte sector (the "fixup", saved in the record's update
 * sequence array).  A disk with 512-byte sectors may land some sectors of
 * that write and not the others; their numbers then disagree, and NTFS
 * refuses the record ("incomplete multi-sector transfer") until chkdsk.
 *
 * Growing a file rewrites its MFT record, and the bytes that change are
 * usually all in its first sector (the attribute's sizes and run list).
 * Written with the sequence number the record has on the disk, such a
 * record differs from the disk's in that one sector alone: a power cut
 * leaves the old record or the new, each whole.  A record whose change
 * spans sectors keeps its fresh number, so that a tear stays detectable,
 * as NTFS means it to be.  NTFS asks a record's sequence numbers to agree
 * with each other, not to grow: Windows' chkdsk and libntfs-3g check just
 * that.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* buf: count bytes about to be written where old (count bytes) is now.
 * Where buf holds whole records (FILE or INDX, fixups applied, one after
 * another from its start) and the disk holds whole records of the same
 * layout there, each record whose change lies in one sector is given the
 * disk's sequence number, in place.  Returns how many were; anything else
 * in buf is left as it was. */
size_t vhive_record_keep_usn(uint8_t *buf, const uint8_t *old, size_t count);

/* Whether buf starts like a multi-sector record: the writes worth
 * reading the disk's bytes for. */
bool vhive_record_looks_like(const uint8_t *buf, size_t count);
