/* vhive ls: being written. */
#include <stdio.h>
#include "cmds.h"

int cmd_ls(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "vhive: ls is not available yet\n");
        return 2;
}
