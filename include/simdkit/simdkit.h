// Umbrella header: everything a C++ consumer of simdkit needs.
#ifndef SIMDKIT_SIMDKIT_H_
#define SIMDKIT_SIMDKIT_H_

#include "simdkit/convert.h"
#include "simdkit/dispatch.h"
#include "simdkit/distance.h"
#include "simdkit/math.h"
#include "simdkit/reduce.h"
#include "simdkit/version.h"

#endif  // SIMDKIT_SIMDKIT_H_
