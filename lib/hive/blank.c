/* What "blank" means for each registry type, as Windows writes it. */
#include <string.h>

#include "hive.h"

static const char zeros[8];

void vhive_blank_for_type(hive_type t, const char **data, size_t *len)
{
        *data = zeros;
        switch (t) {
        case hive_t_REG_SZ:
        case hive_t_REG_EXPAND_SZ:
                *len = 2; /* one UTF-16 NUL */
                break;
        case hive_t_REG_MULTI_SZ:
                *len = 4; /* an empty string then the list terminator */
                break;
        case hive_t_REG_DWORD:
        case hive_t_REG_DWORD_BIG_ENDIAN:
                *len = 4;
                break;
        case hive_t_REG_QWORD:
                *len = 8;
                break;
        default:
                *len = 0;
                break;
        }
}

static bool all_zero(const char *data, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (data[i] != 0)
                        return false;
        return true;
}

bool vhive_value_is_blank(hive_type t, const char *data, size_t len)
{
        switch (t) {
        case hive_t_REG_SZ:
        case hive_t_REG_EXPAND_SZ:
        case hive_t_REG_MULTI_SZ:
                /* Only terminators: Windows' own "" and empty list. */
                return all_zero(data, len);
        case hive_t_REG_DWORD:
        case hive_t_REG_DWORD_BIG_ENDIAN:
        case hive_t_REG_QWORD:
                return all_zero(data, len);
        default:
                return len == 0;
        }
}
