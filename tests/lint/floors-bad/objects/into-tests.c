/* Offence: the floors must not reach into tests/. */
#include "objects.h"
#include "tests/unit/helper.h"
