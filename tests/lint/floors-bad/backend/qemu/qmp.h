#pragma once
#include "util/log.h"
