/* nbd-disk.c: not written yet. */
#include "vhive.h"
