/* vhive info: being written. */
#include <stdio.h>
#include "cmds.h"

int cmd_info(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "vhive: info is not available yet\n");
        return 2;
}
