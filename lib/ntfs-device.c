/* ntfs-device.c: not written yet. */
#include "vhive.h"
