// Umbrella header: everything a C++ consumer of simdkit needs. Reference:
// docs/cpp-api.md.
//
// Every function takes its data as (pointer, count) or rows with a row
// stride, and also as views (Span, MatrixView, MutableMatrixView; types.h).
// Errors are reported by exceptions, never by return codes:
// std::invalid_argument for a violated precondition (the message names the
// function, the argument and what was expected), std::runtime_error for a
// target this CPU cannot run or that is disabled, and what the standard
// library throws for exhausted resources (std::bad_alloc, std::system_error
// when worker threads cannot start). No Highway type or header is part of
// this API.
#ifndef SIMDKIT_SIMDKIT_H_
#define SIMDKIT_SIMDKIT_H_

#include "simdkit/convert.h"
#include "simdkit/dispatch.h"
#include "simdkit/distance.h"
#include "simdkit/math.h"
#include "simdkit/reduce.h"
#include "simdkit/types.h"
#include "simdkit/version.h"

#endif  // SIMDKIT_SIMDKIT_H_
