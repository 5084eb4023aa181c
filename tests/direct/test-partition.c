/* Partition-table parsing: MBR, protective MBR + GPT, partitionless NTFS,
 * and the damaged cases (past the end, bad CRCs, missing header). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "partition.h"

#define MiB (1024u * 1024u)
#define DISK_SIZE (64ull * MiB)
#define HEAD_SIZE (64u * 1024u) /* enough for MBR + GPT header + entries */

static const uint8_t basic_data[16] = {
        0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44,
        0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7,
};
static const uint8_t efi_system[16] = {
        /* C12A7328-F81F-11D2-BA4B-00A0C93EC93B */
        0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
        0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
};

static struct vhive_ptable pt;
static struct vhive_error err;

static void put_le64(uint8_t *p, uint64_t v)
{
        vhive_put_le32(p, (uint32_t)v);
        vhive_put_le32(p + 4, (uint32_t)(v >> 32));
}

static void mbr_entry(uint8_t *head, unsigned i, uint8_t type, uint32_t start, uint32_t count)
{
        uint8_t *e = head + 446 + 16 * i;

        e[4] = type;
        vhive_put_le32(e + 8, start);
        vhive_put_le32(e + 12, count);
}

static uint8_t *mbr_disk(void)
{
        uint8_t *head = calloc(1, HEAD_SIZE);

        assert_non_null(head);
        head[510] = 0x55;
        head[511] = 0xaa;
        return head;
}

static void gpt_entry(uint8_t *entries, unsigned i, const uint8_t *type, uint64_t first,
                      uint64_t last)
{
        uint8_t *e = entries + 128 * i;

        memcpy(e, type, 16);
        memset(e + 16, 0x11 + i, 16); /* unique GUID */
        put_le64(e + 32, first);
        put_le64(e + 40, last);
}

/* Recomputes the header CRC of the GPT at LBA 1 (sector size ss). */
static void seal_header(uint8_t *head, uint32_t ss)
{
        uint8_t *h = head + ss;

        vhive_put_le32(h + 16, 0);
        vhive_put_le32(h + 16, vhive_crc32(0, h, vhive_le32(h + 12)));
}

/* Recomputes both CRCs (the entry array must lie inside the buffer). */
static void gpt_seal(uint8_t *head, uint32_t ss)
{
        uint8_t *h = head + ss;
        uint64_t entries_lba = vhive_le64(h + 72);
        uint32_t n = vhive_le32(h + 80), size = vhive_le32(h + 84);

        vhive_put_le32(h + 88, vhive_crc32(0, head + entries_lba * ss, (size_t)n * size));
        seal_header(head, ss);
}

static uint8_t *gpt_disk(uint32_t ss)
{
        uint8_t *head = mbr_disk();
        uint8_t *h = head + ss;
        uint64_t sectors = DISK_SIZE / ss;

        mbr_entry(head, 0, 0xee, 1, (uint32_t)(sectors - 1));
        memcpy(h, "EFI PART", 8);
        vhive_put_le32(h + 8, 0x00010000);
        vhive_put_le32(h + 12, 92);
        put_le64(h + 24, 1);
        put_le64(h + 32, sectors - 1);
        put_le64(h + 40, 34);
        put_le64(h + 48, sectors - 34);
        put_le64(h + 72, 2);
        vhive_put_le32(h + 80, 128);
        vhive_put_le32(h + 84, 128);
        gpt_entry(head + 2 * ss, 0, efi_system, 2048, 4095);
        gpt_entry(head + 2 * ss, 2, basic_data, 8192, sectors - 2048);
        gpt_seal(head, ss);
        return head;
}

static int parse(const uint8_t *head, uint64_t disk_size)
{
        memset(&err, 0, sizeof(err));
        return vhive_ptable_parse(head, HEAD_SIZE, disk_size, &pt, &err);
}

static void assert_fails(int r, const char *needle)
{
        assert_int_equal(r, -EINVAL);
        if (!strstr(err.msg, needle))
                fail_msg("\"%s\" not in \"%s\"", needle, err.msg);
}

static void test_crc32(void **state)
{
        (void)state;
        assert_int_equal(vhive_crc32(0, (const uint8_t *)"123456789", 9), 0xcbf43926u);
        assert_int_equal(vhive_crc32(0, NULL, 0), 0);
}

static void test_mbr(void **state)
{
        _cleanup_free_ uint8_t *head = mbr_disk();

        (void)state;
        mbr_entry(head, 0, 0x0c, 2048, 2048);
        mbr_entry(head, 1, 0x07, 4096, 100000);
        assert_int_equal(parse(head, DISK_SIZE), 0);
        assert_int_equal(pt.kind, VHIVE_PTABLE_MBR);
        assert_int_equal(pt.n, 2);
        assert_int_equal(pt.parts[1].number, 2);
        assert_int_equal(pt.parts[1].offset, 4096ull * 512);
        assert_int_equal(pt.parts[1].size, 100000ull * 512);
        assert_true(pt.parts[1].basic_data);
        assert_false(pt.parts[0].basic_data);
        assert_string_equal(pt.parts[1].desc, "MBR partition 2");
}

static void test_mbr_past_end(void **state)
{
        _cleanup_free_ uint8_t *head = mbr_disk();

        (void)state;
        mbr_entry(head, 0, 0x07, 2048, DISK_SIZE / 512); /* ends 2048 sectors late */
        assert_fails(parse(head, DISK_SIZE), "MBR partition 1");
        assert_fails(parse(head, DISK_SIZE), "past the end of the disk");
        /* exactly to the end is fine */
        mbr_entry(head, 0, 0x07, 2048, DISK_SIZE / 512 - 2048);
        assert_int_equal(parse(head, DISK_SIZE), 0);
}

static void test_mbr_start_zero(void **state)
{
        _cleanup_free_ uint8_t *head = mbr_disk();

        (void)state;
        mbr_entry(head, 0, 0x07, 0, 100);
        assert_fails(parse(head, DISK_SIZE), "sector 0");
}

static void test_no_table(void **state)
{
        _cleanup_free_ uint8_t *head = mbr_disk();

        (void)state;
        head[511] = 0;
        assert_fails(parse(head, DISK_SIZE), "no partition table");
        head[511] = 0xaa;
        head[446] = 0x33; /* boot code, not a status byte */
        assert_fails(parse(head, DISK_SIZE), "no partition table");
        assert_fails(parse(head, 100), "no partition table");
}

static void test_empty_mbr(void **state)
{
        _cleanup_free_ uint8_t *head = mbr_disk();

        (void)state;
        assert_int_equal(parse(head, DISK_SIZE), 0);
        assert_int_equal(pt.kind, VHIVE_PTABLE_MBR);
        assert_int_equal(pt.n, 0);
}

static void test_partitionless(void **state)
{
        _cleanup_free_ uint8_t *head = mbr_disk();

        (void)state;
        memcpy(head + 3, "NTFS    ", 8);
        assert_int_equal(parse(head, DISK_SIZE), 0);
        assert_int_equal(pt.kind, VHIVE_PTABLE_NONE);
        assert_int_equal(pt.n, 1);
        assert_int_equal(pt.parts[0].number, 0);
        assert_int_equal(pt.parts[0].offset, 0);
        assert_int_equal(pt.parts[0].size, DISK_SIZE);
        assert_string_equal(pt.parts[0].desc, "whole disk");
}

static void check_gpt(uint32_t ss)
{
        _cleanup_free_ uint8_t *head = gpt_disk(ss);

        assert_int_equal(parse(head, DISK_SIZE), 0);
        assert_int_equal(pt.kind, VHIVE_PTABLE_GPT);
        assert_int_equal(pt.sector_size, ss);
        assert_int_equal(pt.n, 2);
        assert_int_equal(pt.parts[0].number, 1);
        assert_false(pt.parts[0].basic_data);
        assert_int_equal(pt.parts[1].number, 3);
        assert_true(pt.parts[1].basic_data);
        assert_int_equal(pt.parts[1].offset, 8192ull * ss);
        assert_int_equal(pt.parts[1].size, (DISK_SIZE / ss - 2048 - 8192 + 1) * ss);
        assert_string_equal(pt.parts[1].desc, "GPT partition 3");
}

static void test_gpt(void **state)
{
        (void)state;
        check_gpt(512);
}

static void test_gpt_4k(void **state)
{
        (void)state;
        check_gpt(4096);
}

static void test_gpt_bad_header_crc(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        head[512 + 40] ^= 1; /* first usable LBA, CRC not updated */
        assert_fails(parse(head, DISK_SIZE), "GPT header CRC mismatch");
}

static void test_gpt_bad_entries_crc(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        head[1024 + 2 * 128 + 32] ^= 1;
        assert_fails(parse(head, DISK_SIZE), "entries CRC mismatch");
}

static void test_gpt_entry_past_end(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        gpt_entry(head + 1024, 2, basic_data, 8192, DISK_SIZE / 512);
        gpt_seal(head, 512);
        assert_fails(parse(head, DISK_SIZE), "GPT partition 3");
        assert_fails(parse(head, DISK_SIZE), "past the end of the disk");
}

static void test_gpt_disk_shrunk(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        /* the same table on a disk half the size: the header already lies */
        assert_fails(parse(head, DISK_SIZE / 2), "outside the disk");
}

static void test_gpt_entry_inverted(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        gpt_entry(head + 1024, 1, basic_data, 5000, 4999);
        gpt_seal(head, 512);
        assert_fails(parse(head, DISK_SIZE), "GPT partition 2");
}

static void test_gpt_missing_header(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        memset(head + 512, 0, 512);
        assert_fails(parse(head, DISK_SIZE), "no GPT header");
}

static void test_gpt_bad_geometry(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        vhive_put_le32(head + 512 + 80, 1u << 24); /* 16 M entries */
        seal_header(head, 512);
        assert_fails(parse(head, DISK_SIZE), "entries of");

        free(head);
        head = gpt_disk(512);
        put_le64(head + 512 + 72, DISK_SIZE / 512 - 1); /* array runs off the end */
        seal_header(head, 512);
        assert_fails(parse(head, DISK_SIZE), "past the end");

        free(head);
        head = gpt_disk(512);
        vhive_put_le32(head + 512 + 12, 8); /* header size below 92 */
        assert_fails(parse(head, DISK_SIZE), "size 8");
}

static void test_short_buffer(void **state)
{
        _cleanup_free_ uint8_t *head = gpt_disk(512);

        (void)state;
        memset(&err, 0, sizeof(err));
        assert_int_equal(vhive_ptable_parse(head, 600, DISK_SIZE, &pt, &err), -EIO);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc32),
                cmocka_unit_test(test_mbr),
                cmocka_unit_test(test_mbr_past_end),
                cmocka_unit_test(test_mbr_start_zero),
                cmocka_unit_test(test_no_table),
                cmocka_unit_test(test_empty_mbr),
                cmocka_unit_test(test_partitionless),
                cmocka_unit_test(test_gpt),
                cmocka_unit_test(test_gpt_4k),
                cmocka_unit_test(test_gpt_bad_header_crc),
                cmocka_unit_test(test_gpt_bad_entries_crc),
                cmocka_unit_test(test_gpt_entry_past_end),
                cmocka_unit_test(test_gpt_disk_shrunk),
                cmocka_unit_test(test_gpt_entry_inverted),
                cmocka_unit_test(test_gpt_missing_header),
                cmocka_unit_test(test_gpt_bad_geometry),
                cmocka_unit_test(test_short_buffer),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
