// The thread machinery shared by the families' batch entry points;
// Highway-free: a callable reference for callbacks made once per block of
// work, and the loop that splits rows over threads.
#ifndef SIMDKIT_KERNELS_PARALLEL_H_
#define SIMDKIT_KERNELS_PARALLEL_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace simdkit {

// A callable's reference, not a copy (the callable must outlive it), for
// callbacks of loops that are made once per form rather than once per
// caller's lambda: each distinct lambda would otherwise instantiate the
// whole loop again for every target. Costs an indirect call, so it is for
// callbacks made once per block of work, not per element.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<F>, FunctionRef> &&
                            std::is_invocable_r_v<R, const F&, Args...>>>
  FunctionRef(const F& callable)  // NOLINT: converts like std::function
      : callable_(&callable), call_(&Call<F>) {}

  R operator()(Args... args) const { return call_(callable_, std::forward<Args>(args)...); }

 private:
  template <typename F>
  static R Call(const void* callable, Args... args) {
    return (*static_cast<const F*>(callable))(std::forward<Args>(args)...);
  }

  const void* callable_;
  R (*call_)(const void*, Args...);
};

// Below this much work threads cost more than they save: for the distance
// family, rows x rows x elements of the pairs.
constexpr std::size_t kParallelWork = std::size_t{1} << 21;

// The elementwise math functions (unary and binary): below this many
// elements a call stays on the calling thread (a thread's start and join,
// tens of microseconds, would cost more than its share saves); one row's
// elements go to threads in chunks of kChunkElements, whole cache lines of
// every dtype (and whole vectors of every target), large enough that a
// chunk's start costs nothing.
constexpr std::size_t kParallelElements = std::size_t{1} << 18;
constexpr std::size_t kChunkElements = std::size_t{1} << 14;

// Calls body(begin, end) over contiguous slices of [0, rows), on `threads`
// threads (0: one per core; never more than one per core, as more only
// share the cores and the caches), the caller's among them. Rethrows the
// first exception a worker raised. Not a template: one copy of the thread
// machinery, whatever the body and the target. One thread when `work` is
// below `min_work` (the caller's measure of both).
inline void ParallelRows(std::size_t threads, std::size_t rows, std::size_t work,
                         FunctionRef<void(std::size_t, std::size_t)> body,
                         std::size_t min_work = kParallelWork) {
  if (work < min_work) threads = 1;
  // hardware_concurrency() reads /sys on every call.
  static const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  if (threads == 0 || threads > cores) threads = cores;
  threads = std::min(threads, std::max<std::size_t>(rows, 1));
  if (threads <= 1) {
    body(std::size_t{0}, rows);
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  const auto run_slice = [&](std::size_t t) {
    try {
      body(rows * t / threads, rows * (t + 1) / threads);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  std::vector<std::size_t> unstarted;  // slices whose thread could not start
  for (std::size_t t = 1; t < threads; ++t) {
    try {
      workers.emplace_back(run_slice, t);
    } catch (const std::system_error&) {
      unstarted.push_back(t);
    }
  }
  run_slice(0);
  for (std::size_t t : unstarted) run_slice(t);
  for (std::thread& worker : workers) worker.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

// ParallelRows over the rows of a triangle, where row r costs in proportion
// to r (`cost_grows`) or to rows - r: the slices are of equal cost rather
// than of equal length (by the square root of the share of the area).
inline void ParallelTriangle(std::size_t threads, std::size_t rows, std::size_t work,
                             bool cost_grows, FunctionRef<void(std::size_t, std::size_t)> body) {
  const auto boundary = [&](std::size_t r) -> std::size_t {
    if (r == 0 || r == rows) return r;
    const double share = static_cast<double>(r) / static_cast<double>(rows);
    const double position = cost_grows ? std::sqrt(share) : 1.0 - std::sqrt(1.0 - share);
    return std::min(rows, static_cast<std::size_t>(std::llround(position * static_cast<double>(rows))));
  };
  ParallelRows(threads, rows, work,
               [&](std::size_t begin, std::size_t end) { body(boundary(begin), boundary(end)); });
}

}  // namespace simdkit

#endif  // SIMDKIT_KERNELS_PARALLEL_H_
