/* backend-direct.c: not written yet. */
#include "vhive.h"
