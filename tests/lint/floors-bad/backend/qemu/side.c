#include "qmp.h"
/* Offence: qemu and host are siblings. */
#include "host/sysfs.h"
