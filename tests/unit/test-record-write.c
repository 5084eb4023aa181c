/* lib/image/direct/record-write.c: a record written with the disk's
 * sequence number where its change fits one sector, so that every way a
 * power cut can land its sectors gives the old record or the new one. */
#include "unit.h"

#include <string.h>

#include "record-write.h"

#define SECTOR 512

static uint16_t get16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

/* A record of `sectors` sectors as libntfs-3g hands it to the device: the
 * real last two bytes of each sector saved in the update sequence array,
 * the sequence number usn in their place. */
static void make_record(uint8_t *rec, const char *magic, size_t sectors, uint16_t usn, uint8_t fill)
{
        size_t usa_ofs = memcmp(magic, "FILE", 4) == 0 ? 48 : 40;

        for (size_t i = 0; i < sectors * SECTOR; i++)
                rec[i] = (uint8_t)(fill + i * 7);
        memcpy(rec, magic, 4);
        put16(rec + 4, (uint16_t)usa_ofs);
        put16(rec + 6, (uint16_t)(sectors + 1));
        put16(rec + usa_ofs, usn);
        for (size_t s = 1; s <= sectors; s++) {
                memcpy(rec + usa_ofs + 2 * s, rec + s * SECTOR - 2, 2);
                put16(rec + s * SECTOR - 2, usn);
        }
}

/* A record as NTFS checks it: every sector ends in the array's number. */
static bool whole(const uint8_t *rec, size_t sectors)
{
        size_t usa_ofs = get16(rec + 4);

        for (size_t s = 1; s <= sectors; s++)
                if (get16(rec + s * SECTOR - 2) != get16(rec + usa_ofs))
                        return false;
        return true;
}

/* Every subset of the write's sectors landed over the old record: the
 * count of results that are whole records but neither old nor new. */
static int mixtures_neither(const uint8_t *old, const uint8_t *new, size_t sectors, int *torn)
{
        uint8_t mix[8 * SECTOR];
        int neither = 0;

        *torn = 0;
        for (unsigned mask = 0; mask < 1u << sectors; mask++) {
                for (size_t s = 0; s < sectors; s++)
                        memcpy(mix + s * SECTOR, (mask >> s & 1 ? new : old) + s * SECTOR, SECTOR);
                if (!whole(mix, sectors))
                        (*torn)++;
                else if (memcmp(mix, old, sectors * SECTOR) != 0 &&
                         memcmp(mix, new, sectors * SECTOR) != 0)
                        neither++;
        }
        return neither;
}

static void change_in_first_sector_keeps_the_disks_number(void **state)
{
        uint8_t old[1024], new[1024];
        int torn;

        (void)state;
        make_record(old, "FILE", 2, 7, 1);
        make_record(new, "FILE", 2, 8, 1);
        new[300] ^= 0x55; /* a size in the $DATA attribute's header */
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 1);
        assert_int_equal(get16(new + 48), 7);
        assert_true(whole(new, 2));
        assert_int_equal(new[300], old[300] ^ 0x55);
        assert_int_equal(mixtures_neither(old, new, 2, &torn), 0);
        assert_int_equal(torn, 0);
}

static void change_in_second_sector_alone_keeps_it_too(void **state)
{
        uint8_t old[1024], new[1024];
        int torn;

        (void)state;
        make_record(old, "FILE", 2, 40, 3);
        make_record(new, "FILE", 2, 41, 3);
        new[700] ^= 1;
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 1);
        assert_int_equal(mixtures_neither(old, new, 2, &torn), 0);
        assert_int_equal(torn, 0);
}

static void change_spanning_sectors_stays_detectable(void **state)
{
        uint8_t old[1024], new[1024], before[1024];
        int torn;

        (void)state;
        make_record(old, "FILE", 2, 7, 1);
        make_record(new, "FILE", 2, 8, 1);
        new[100] ^= 1;
        new[900] ^= 1;
        memcpy(before, new, sizeof(new));
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 0);
        assert_memory_equal(new, before, sizeof(new));
        assert_int_equal(mixtures_neither(old, new, 2, &torn), 0);
        assert_int_equal(torn, 2); /* each half alone: refused, not misread */
}

/* The second sector's real last two bytes live in the first sector's
 * array; on the disk the second sector does not change. */
static void change_of_a_saved_tail_fits_the_first_sector(void **state)
{
        uint8_t old[1024], new[1024];
        int torn;

        (void)state;
        make_record(old, "FILE", 2, 7, 1);
        make_record(new, "FILE", 2, 8, 1);
        new[48 + 4] ^= 1;
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 1);
        assert_int_equal(mixtures_neither(old, new, 2, &torn), 0);
        assert_int_equal(torn, 0);
}

static void index_block_and_two_records_in_one_write(void **state)
{
        uint8_t old[4096], new[4096];
        uint8_t two_old[2048], two_new[2048];
        int torn;

        (void)state;
        make_record(old, "INDX", 8, 3, 9);
        make_record(new, "INDX", 8, 4, 9);
        new[5 * SECTOR + 20] ^= 0xff;
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 1);
        assert_int_equal(mixtures_neither(old, new, 8, &torn), 0);
        assert_int_equal(torn, 0);

        make_record(two_old, "FILE", 2, 5, 1);
        make_record(two_old + 1024, "FILE", 2, 5, 2);
        make_record(two_new, "FILE", 2, 6, 1);
        make_record(two_new + 1024, "FILE", 2, 6, 2);
        two_new[200] ^= 1;        /* first record: one sector */
        two_new[1024 + 100] ^= 1; /* second: both sectors */
        two_new[1024 + SECTOR + 100] ^= 1;
        assert_int_equal(vhive_record_keep_usn(two_new, two_old, sizeof(two_new)), 1);
        assert_int_equal(get16(two_new + 48), 5);
        assert_int_equal(get16(two_new + 1024 + 48), 6);
}

static void anything_else_is_left_alone(void **state)
{
        uint8_t old[1024], new[1024], before[1024];

        (void)state;
        /* not a record */
        memset(new, 0x11, sizeof(new));
        make_record(old, "FILE", 2, 7, 1);
        assert_false(vhive_record_looks_like(new, sizeof(new)));
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 0);
        /* the disk holds no record there (a slot never used) */
        make_record(new, "FILE", 2, 1, 1);
        memcpy(before, new, sizeof(new));
        memset(old, 0, sizeof(old));
        assert_true(vhive_record_looks_like(new, sizeof(new)));
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 0);
        assert_memory_equal(new, before, sizeof(new));
        /* the disk's record torn already, or of another kind */
        make_record(old, "FILE", 2, 7, 1);
        old[1022] ^= 1;
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 0);
        make_record(old, "INDX", 2, 7, 1);
        assert_int_equal(vhive_record_keep_usn(new, old, sizeof(new)), 0);
        /* a header whose sizes lie: more sectors than the write */
        put16(new + 6, 9);
        assert_false(vhive_record_looks_like(new, sizeof(new)));
        /* shorter than two sectors */
        assert_false(vhive_record_looks_like(new, 600));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(change_in_first_sector_keeps_the_disks_number),
                cmocka_unit_test(change_in_second_sector_alone_keeps_it_too),
                cmocka_unit_test(change_spanning_sectors_stays_detectable),
                cmocka_unit_test(change_of_a_saved_tail_fits_the_first_sector),
                cmocka_unit_test(index_block_and_two_records_in_one_write),
                cmocka_unit_test(anything_else_is_left_alone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
