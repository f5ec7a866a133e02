#pragma once
// #include "driver/registry.h" is a comment, not an include
#include "util/log.h"
/* An angle include of our own header counts too (offence): */
#include <objects/objects.h>
#include <stdlib.h>
