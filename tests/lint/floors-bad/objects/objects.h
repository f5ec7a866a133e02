#pragma once
#include "driver/registry.h"
