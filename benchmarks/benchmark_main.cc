// main() of simdkit_benchmarks: registers every family's benchmarks for the
// targets this CPU supports, then runs the ones the flags select. Own main()
// (not benchmark::benchmark_main), as benchmarks are registered at run time.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "benchmark_util.h"
#include "simdkit/dispatch.h"
#include "simdkit/version.h"

namespace {

std::string Join(const std::vector<std::string>& names, char separator) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += separator;
    joined += name;
  }
  return joined;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const std::vector<std::string> targets = simdkit::supported_targets();
  // Recorded in the JSON "context" so a result file says what it was run on.
  benchmark::AddCustomContext("simdkit_version", SIMDKIT_VERSION_STRING);
  benchmark::AddCustomContext("simdkit_supported_targets", Join(targets, ','));

  simdkit::benchmarks::RegisterReduceBenchmarks(targets);
  simdkit::benchmarks::RegisterDistanceBenchmarks(targets);
  simdkit::benchmarks::RegisterMathBenchmarks(targets);
  simdkit::benchmarks::RegisterConvertBenchmarks(targets);
  simdkit::benchmarks::RegisterLimitBenchmarks(targets);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  simdkit::reset_target();
  return 0;
}
