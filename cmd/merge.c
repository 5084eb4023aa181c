/* vhive merge: being written. */
#include <stdio.h>
#include "cmds.h"

int cmd_merge(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "vhive: merge is not available yet\n");
        return 2;
}
