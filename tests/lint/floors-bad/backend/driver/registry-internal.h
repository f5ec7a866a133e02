/* The insides of the registry: for backend/driver/ only. */
#pragma once
