#pragma once

// libopendkim's <dkim.h> for C++: the header is C99 and spells bool as _Bool, which C++ lacks.

// NOLINTNEXTLINE(readability-identifier-naming): the C99 keyword the header uses
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool
