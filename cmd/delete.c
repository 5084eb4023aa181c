/* vhive delete: being written. */
#include <stdio.h>
#include "cmds.h"

int cmd_delete(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "vhive: delete is not available yet\n");
        return 2;
}
