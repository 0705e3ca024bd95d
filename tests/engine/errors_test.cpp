#include "tests/support/helpers.hpp"
