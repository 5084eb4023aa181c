/* check's identity report as text and JSON (cmd/identity-report.c), from
 * vhive_identity_group's groups: the lines, the summary, escaping of what
 * comes from hives and file names, the JSON fields. */
#include "identity-report.h"
#include "options.h"
#include "unit.h"

/* cmd_esc lives in cmd/options.c with the option table; the same three
 * lines here keep this program free of the command's parser. */
const char *cmd_esc(const char *s)
{
        static char *ring[8];
        static unsigned next;
        char **slot = &ring[next++ % 8];

        free(*slot);
        *slot = s ? vhive_escape_text(s) : NULL;
        return *slot ? *slot : "?";
}

/* Target names as the command holds them; c's has an escape sequence. */
static char t_a[] = "a.vhdx", t_b[] = "b.vhdx", t_c[] = "c\x1b]0;x.vhdx", t_d[] = "d.vhdx";
static char *const targets[] = { t_a, t_b, t_c, t_d };

/* REG_SZ text in the SOFTWARE hive, its bytes in buf (64 bytes). */
static struct vhive_identity_value sz(size_t target, const char *rule, const char *key,
                                      const char *name, const char *ascii, uint8_t *buf)
{
        return unit_identity_sz(target, rule, key, name, ascii, buf, 64);
}

static char *print(const struct vhive_identity_report *rep)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        identity_report_print(f, rep, targets);
        assert_int_equal(fclose(f), 0);
        return text;
}

static void text_lines(void **state)
{
        uint8_t bufs[6][64];
        struct vhive_identity_value v[6];
        struct vhive_identity_report rep;
        char *text;

        (void)state;
        v[0] = sz(0, "wsus.sus-client-id", "WindowsUpdate", "SusClientId", "{1}", bufs[0]);
        v[1] = sz(1, "wsus.sus-client-id", "WindowsUpdate", "SusClientId", "{1}", bufs[1]);
        v[2] = sz(2, "wsus.sus-client-id", "WindowsUpdate", "SusClientId", "{1}", bufs[2]);
        v[3] = sz(3, "wsus.sus-client-id", "WindowsUpdate", "SusClientId", "{2}", bufs[3]);
        /* A hive's text with an escape sequence in it. */
        v[4] = sz(1, "machineguid.machine-guid", "Cryptography", "MachineGuid", "\x1b[2J{g}",
                  bufs[4]);
        v[5] = sz(3, "machineguid.machine-guid", "Cryptography", "MachineGuid", "\x1b[2J{g}",
                  bufs[5]);
        unit_identity_group(v, 6, &rep);
        text = print(&rep);
        assert_string_equal(text, "shared: machineguid.machine-guid MachineGuid = "
                                  "\"\\x1b[2J{g}\" (REG_SZ) in 2 targets: b.vhdx, d.vhdx\n"
                                  "shared: wsus.sus-client-id SusClientId = \"{1}\" (REG_SZ) "
                                  "in 3 targets: a.vhdx, b.vhdx, c\\x1b]0;x.vhdx\n"
                                  "identity: 2 values shared between 4 targets\n");
        free(text);
        vhive_identity_report_free(&rep);

        unit_identity_group(v, 2, &rep);
        text = print(&rep);
        assert_string_equal(text, "shared: wsus.sus-client-id SusClientId = \"{1}\" (REG_SZ) "
                                  "in 2 targets: a.vhdx, b.vhdx\n"
                                  "identity: 1 value shared between 2 targets\n");
        free(text);
        vhive_identity_report_free(&rep);
}

static void text_none(void **state)
{
        uint8_t bufs[2][64];
        struct vhive_identity_value v[2];
        struct vhive_identity_report rep;
        json_t *shared;
        char *text;

        (void)state;
        v[0] = sz(0, "wsus.sus-client-id", "WindowsUpdate", "SusClientId", "{1}", bufs[0]);
        v[1] = sz(1, "wsus.sus-client-id", "WindowsUpdate", "SusClientId", "{2}", bufs[1]);
        unit_identity_group(v, 2, &rep);
        text = print(&rep);
        assert_string_equal(text, "identity: no value shared between targets\n");
        free(text);
        shared = vhive_json_identity_report(&rep, targets);
        assert_true(json_is_array(shared));
        assert_int_equal(json_array_size(shared), 0);
        json_decref(shared);
        vhive_identity_report_free(&rep);
}

static void json_fields(void **state)
{
        static const uint8_t duid[] = { 0, 1, 0, 1, 0xaa, 0xbb };
        /* A key name that is not UTF-8 (a hive may hold any bytes). */
        struct vhive_identity_value v[2] = {
                { 2, "dhcpv6.duid", "SYSTEM", "ControlSet001\\Services\\Tcpip6\\Parameters",
                  "Dhcpv6DUID", hive_t_REG_BINARY, duid, sizeof(duid) },
                { 0, "dhcpv6.duid", "SYSTEM", "ControlSet001\\Bad\xff", "Dhcpv6DUID",
                  hive_t_REG_BINARY, duid, sizeof(duid) },
        };
        struct vhive_identity_report rep;
        json_t *shared;
        char *dump;

        (void)state;
        unit_identity_group(v, 2, &rep);
        shared = vhive_json_identity_report(&rep, targets);
        assert_non_null(shared);
        dump = json_dumps(shared, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(dump, "[{\"data\":\"00,01,00,01,aa,bb\",\"hive\":\"SYSTEM\","
                                  "\"name\":\"Dhcpv6DUID\",\"rule\":\"dhcpv6.duid\","
                                  "\"targets\":[{\"index\":0,\"key\":"
                                  "\"ControlSet001\\\\Bad\xef\xbf\xbd\",\"target\":\"a.vhdx\"},"
                                  "{\"index\":2,\"key\":"
                                  "\"ControlSet001\\\\Services\\\\Tcpip6\\\\Parameters\","
                                  "\"target\":\"c\\u001B]0;x.vhdx\"}],\"type\":\"REG_BINARY\"}]");
        free(dump);
        json_decref(shared);
        vhive_identity_report_free(&rep);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(text_lines),
                cmocka_unit_test(text_none),
                cmocka_unit_test(json_fields),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
