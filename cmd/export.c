/* vhive export: being written. */
#include <stdio.h>
#include "cmds.h"

int cmd_export(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "vhive: export is not available yet\n");
        return 2;
}
