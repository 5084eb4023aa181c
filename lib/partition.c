/* partition.c: not written yet. */
#include "vhive.h"
