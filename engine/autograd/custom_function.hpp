#pragma once
#include "engine/autograd/function.hpp"
