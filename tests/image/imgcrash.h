/* imgcrash: the states a power cut can leave an image in, rebuilt from
 * imgrec.so's log and read as Windows would (imgcrash.c, imgcrash-read.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hive_files {
        uint8_t *data[3]; /* the hive, LOG1, LOG2 (NULL: absent) */
        size_t len[3];
};

/* What a state holds, as Windows would read it. */
struct state_read {
        bool readable; /* the volume mounts, the folder lists the three files, each reads */
        char why[512]; /* when not readable, or when the hive does not load */
        uint8_t *hive; /* the hive Windows loads (replayed when dirty); NULL: none */
        size_t hive_len;
        bool vhive_refuses; /* vhive_logs_check_readable says no (vhive would exit 2) */
};

/* Set once: the volume's config folder and hive name. */
void read_setup(const char *config, const char *name);
/* Reads IMAGE (a bare NTFS volume) as Windows would: s is filled; false
 * only for a failure of the checker itself. */
bool read_state(const char *image, struct state_read *s);
void state_read_free(struct state_read *s);
/* The first byte of the MFT on IMAGE's volume (for naming records). */
uint64_t mft_offset(const char *image);
/* 0, or why the multi-sector record of size rec at buf (FILE, INDX,
 * RCRD, RSTR) is torn: its update sequence does not match. */
const char *mst_torn(const uint8_t *buf, size_t len);
/* Equal except for the sequence numbers, time and checksum of the base
 * block and the first bin's time (what a commit sets anyway). */
bool same_hive(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);
