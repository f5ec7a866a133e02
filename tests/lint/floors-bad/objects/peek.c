/* Offence: the insides of the driver seen from above. */
#include "objects.h"
#include "driver/registry-internal.h"
