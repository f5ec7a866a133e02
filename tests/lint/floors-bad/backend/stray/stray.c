/* Offence: backend/stray is no floor. */
#include "util/log.h"
