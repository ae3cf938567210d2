// Exceptions on worker threads. A std::thread whose function throws calls
// std::terminate, so each worker body runs inside WorkerError::run(): the
// first exception (std::bad_alloc, a throwing callback) is kept, the other
// workers finish, and the caller turns it into an IOError of the call.
#pragma once

#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <string_view>

#include "snapstore/status.h"

namespace snapstore::base {

// IOError "<what>: <the exception's message>".
inline Status status_of_exception(std::string_view what, const std::exception_ptr& error) {
  std::string detail(what);
  try {
    std::rethrow_exception(error);
  } catch (const std::bad_alloc&) {
    detail += ": out of memory (std::bad_alloc)";
  } catch (const std::exception& e) {
    detail += ": ";
    detail += e.what();
  } catch (...) {
    detail += ": an exception of unknown type";
  }
  return Status::io_error(detail);
}

class WorkerError {
 public:
  // Runs fn(); an exception it throws is kept (the first one) instead of escaping.
  template <typename Fn>
  void run(Fn&& fn) noexcept {
    try {
      fn();
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!first_) first_ = std::current_exception();
    }
  }

  bool failed() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(first_);
  }

  // Rethrows the kept exception on the calling thread, if any.
  void rethrow() const {
    std::lock_guard lock(mutex_);
    if (first_) std::rethrow_exception(first_);
  }

  // ok, or the kept exception as an IOError naming `what`.
  Status status(std::string_view what) const {
    std::lock_guard lock(mutex_);
    return first_ ? status_of_exception(what, first_) : Status::ok();
  }

 private:
  mutable std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace snapstore::base
