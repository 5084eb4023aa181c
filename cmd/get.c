/* vhive get: being written. */
#include <stdio.h>
#include "cmds.h"

int cmd_get(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "vhive: get is not available yet\n");
        return 2;
}
