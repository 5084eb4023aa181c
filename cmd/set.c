/* vhive set: being written. */
#include <stdio.h>
#include "cmds.h"

int cmd_set(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "vhive: set is not available yet\n");
        return 2;
}
