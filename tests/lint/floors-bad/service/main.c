/* Fixture for tools/check-floors.py: all of this is allowed. */
#include "config.h"
#include "objects/objects.h"
#include "driver/registry.h"
#include "zvirtd-config.h"
#include <stdio.h>
