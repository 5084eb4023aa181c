/* log-replay.c: not written yet. */
#include "vhive.h"
