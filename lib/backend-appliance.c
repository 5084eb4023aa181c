/* backend-appliance.c: not written yet. */
#include "vhive.h"
