// The seam that runs each parameterized suite against every kind of store
// (in memory and durable on disk),
// and the small helpers the spec and concurrency suites share: unwrapping
// results, status assertions that print the message, id extraction, draining
// streams and cursors, and printed seeds for randomized tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <source_location>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "snapstore/options.h"
#include "snapstore/status.h"
#include "snapstore/store.h"
#include "snapstore/value.h"
#include "testutil/temp_dir.h"

namespace snapstore::testutil {

struct StoreKind {
  std::string name;  // a GoogleTest name: letters, digits, underscores
  std::function<Result<Store>(const Options&)> open;
};

inline void PrintTo(const StoreKind& kind, std::ostream* os) { *os << kind.name; }

// A fresh directory per durable store, all under one TempDir removed when
// the test program exits.
inline std::string new_store_dir() {
  static TempDir root;
  static std::atomic<int> next{0};
  return root / ("store-" + std::to_string(next++));
}

inline std::vector<StoreKind> all_store_kinds() {
  return {
      {"InMemory", [](const Options& options) { return Store::open_in_memory(options); }},
      // The same semantics on disk. Durability::kNone keeps the suites fast;
      // the sync path has its own tests in tests/recovery and tests/wal.
      {"Durable",
       [](const Options& options) {
         Options durable = options;
         durable.durability = Durability::kNone;
         return Store::open(new_store_dir(), durable);
       }},
  };
}

inline std::string store_kind_name(const testing::TestParamInfo<StoreKind>& info) { return info.param.name; }

inline std::string where(const std::source_location& loc) {
  return std::string(loc.file_name()) + ":" + std::to_string(loc.line()) + ": ";
}

// The value of an ok result; an error throws, which fails the running test
// with the status message and the caller's line. Not for use off the test
// thread (an exception there terminates the program).
template <typename T>
T must(Result<T> result, std::source_location loc = std::source_location::current()) {
  if (!result.is_ok()) throw std::runtime_error(where(loc) + "unexpected error: " + result.status().message());
  return std::move(result).value();
}

inline void must(const Status& status, std::source_location loc = std::source_location::current()) {
  if (!status.is_ok()) throw std::runtime_error(where(loc) + "unexpected error: " + status.message());
}

inline Status status_of(const Status& status) { return status; }
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}

inline std::string describe(const Status& status) {
  return status.is_ok() ? std::string("ok")
                        : status.message() + " (code " + std::to_string(static_cast<int>(status.code())) + ")";
}

inline std::string describe(StatusCode code) {
  return std::string(code == StatusCode::kOk ? "ok" : status_code_message(code)) + " (code " +
         std::to_string(static_cast<int>(code)) + ")";
}

template <typename R>
testing::AssertionResult CodeIs(const char* expr, const char*, const R& actual, StatusCode expected) {
  const Status status = status_of(actual);
  if (status.code() == expected) return testing::AssertionSuccess();
  return testing::AssertionFailure() << expr << " returned " << describe(status) << ", expected "
                                     << describe(expected);
}

#define EXPECT_CODE(expr, code) EXPECT_PRED_FORMAT2(::snapstore::testutil::CodeIs, expr, code)
#define ASSERT_CODE(expr, code) ASSERT_PRED_FORMAT2(::snapstore::testutil::CodeIs, expr, code)
#define EXPECT_OK(expr) EXPECT_CODE(expr, ::snapstore::StatusCode::kOk)
#define ASSERT_OK(expr) ASSERT_CODE(expr, ::snapstore::StatusCode::kOk)

// Fixture for suites parameterized over all_store_kinds(): store_ is a fresh
// open store of the kind under test.
class StoreTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(Options{});
    ASSERT_TRUE(opened.is_ok()) << "cannot open a " << GetParam().name << " store: " << opened.status().message();
    store_ = std::move(opened).value();
  }

  // Another independent store of the same kind.
  Store open_store(const Options& options = {}) const { return must(GetParam().open(options)); }

  Store store_;
};

inline std::vector<std::string> ids_of(const std::vector<DocumentResult>& results) {
  std::vector<std::string> ids;
  ids.reserve(results.size());
  for (const auto& r : results) ids.push_back(r.id);
  return ids;
}

inline std::set<std::string> id_set(const std::vector<DocumentResult>& results) {
  const auto ids = ids_of(results);
  return {ids.begin(), ids.end()};
}

// The value of `field` in each result (null where absent).
inline std::vector<Value> field_of(const std::vector<DocumentResult>& results, const std::string& field) {
  std::vector<Value> values;
  values.reserve(results.size());
  for (const auto& r : results) {
    auto it = r.data.find(field);
    values.push_back(it == r.data.end() ? Value() : it->second);
  }
  return values;
}

// Every document a stream yields, and the code that ended it.
struct Drained {
  std::vector<DocumentResult> documents;
  StatusCode end = StatusCode::kOk;
};

inline Drained drain(Stream& stream, std::size_t limit = 1'000'000) {
  Drained out;
  for (std::size_t i = 0; i < limit; ++i) {
    auto next = stream.next();
    if (!next.is_ok()) {
      out.end = next.code();
      return out;
    }
    out.documents.push_back(std::move(next).value());
  }
  return out;
}

// Every document of the store, via a fresh stream (id order).
inline std::vector<DocumentResult> scan(const Store& store) {
  auto stream = store.stream();
  return drain(stream).documents;
}

// A cursor step reduced to what the position-model tests compare: the
// document's integer field `v` (or nothing), has_more, and the status code.
struct Step {
  std::optional<std::int64_t> v;
  bool more = false;
  StatusCode code = StatusCode::kOk;
  friend bool operator==(const Step&, const Step&) = default;
};

inline void PrintTo(const Step& s, std::ostream* os) {
  *os << "(" << (s.v ? std::to_string(*s.v) : std::string("null")) << "," << (s.more ? "T" : "F");
  if (s.code != StatusCode::kOk) *os << "," << describe(s.code);
  *os << ")";
}

inline Step step_of(const Result<CursorStep>& r) {
  if (!r.is_ok()) return Step{std::nullopt, false, r.code()};
  Step s;
  s.more = r->has_more;
  if (r->document) s.v = r->document->data.at("v").as_int();
  return s;
}

inline Step got(std::int64_t v, bool more) { return Step{v, more, StatusCode::kOk}; }
inline Step none() { return Step{std::nullopt, false, StatusCode::kOk}; }
inline Step fails(StatusCode code) { return Step{std::nullopt, false, code}; }

// A seed for a randomized test: SNAPSTORE_TEST_SEED if set, else fresh. It is
// printed and recorded so that a failing run can be replayed.
inline std::uint64_t test_seed() {
  std::uint64_t seed = 0;
  if (const char* env = std::getenv("SNAPSTORE_TEST_SEED")) {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
           static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  std::cout << "[   SEED   ] " << (info ? std::string(info->test_suite_name()) + "." + info->name() : std::string("?"))
            << " seed=" << seed << " (replay with SNAPSTORE_TEST_SEED=" << seed << ")" << std::endl;
  testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

// Failures seen on worker threads: counted, the first few kept verbatim, and
// checked on the test thread after join (a flood of EXPECTs helps nobody).
class FailureLog {
 public:
  void add(const std::string& what) {
    std::lock_guard lock(mu_);
    if (++count_ <= 5) first_ += "\n  " + what;
  }
  int count() const {
    std::lock_guard lock(mu_);
    return count_;
  }
  std::string summary() const {
    std::lock_guard lock(mu_);
    return std::to_string(count_) + " failure(s), first:" + first_;
  }

 private:
  mutable std::mutex mu_;
  int count_ = 0;
  std::string first_;
};

#define EXPECT_NO_FAILURES(log) EXPECT_EQ((log).count(), 0) << (log).summary()

// Runs body(0) .. body(threads-1) on their own threads, released together,
// and joins them.
template <typename Body>
void run_parallel(int threads, Body body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&go, &body, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t);
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
}

}  // namespace snapstore::testutil
