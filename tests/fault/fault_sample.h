// FaultSample: how much of its failure space a fault suite walks. CI runs a
// seeded sample that still reaches every write path (every kill point, every
// file a workload touches, every crash point of a workload); the whole space
// takes minutes and runs with SNAPSTORE_LONG_FAULTS=1 (docs/TESTING.md).
// SNAPSTORE_FAULT_SEED=<n> replays a sample: the seed is printed when a test
// starts and named in each failure's context.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace snapstore::testutil {

class FaultSample {
 public:
  FaultSample() {
    const char* long_faults = std::getenv("SNAPSTORE_LONG_FAULTS");
    full_ = long_faults != nullptr && std::string(long_faults) == "1";
    seed_ = process_seed();
    // Each test draws its own stream from the process's seed.
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string name = test == nullptr ? "" : std::string(test->test_suite_name()) + "." + test->name();
    random_.seed(seed_ ^ std::hash<std::string>{}(name));
    const std::string said = full_ ? "every case (SNAPSTORE_LONG_FAULTS=1)" : describe();
    std::cout << "fault sample: " << said << "\n";
    ::testing::Test::RecordProperty("fault_sample", said);
  }

  // Whether every case runs.
  bool full() const { return full_; }
  // "seed N (...)": for failure contexts.
  std::string describe() const {
    return "seed " + std::to_string(seed_) + " (SNAPSTORE_FAULT_SEED=" + std::to_string(seed_) +
           " replays it; SNAPSTORE_LONG_FAULTS=1 runs every case)";
  }
  // True once in `one_in` calls on average, from the seeded generator;
  // always true in a full run.
  bool pick(std::uint64_t one_in) { return full_ || random_() % one_in == 0; }
  // A number below `bound` from the seeded generator.
  std::uint64_t below(std::uint64_t bound) { return random_() % bound; }

 private:
  static std::uint64_t process_seed() {
    static const std::uint64_t seed = [] {
      const char* given = std::getenv("SNAPSTORE_FAULT_SEED");
      if (given != nullptr && *given != '\0') return static_cast<std::uint64_t>(std::strtoull(given, nullptr, 10));
      return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }();
    return seed;
  }

  bool full_ = false;
  std::uint64_t seed_ = 0;
  std::mt19937_64 random_;
};

// Where an I/O call lands, for telling a run's write paths apart: the path
// inside the store with every digit dropped ("wal/.log", "db/MANIFEST-",
// "db/.sst", "consumers").
inline std::string call_place(std::string_view path) {
  const std::size_t store = path.rfind("/store/");
  std::string place(store == std::string_view::npos ? path : path.substr(store + 7));
  std::erase_if(place, [](char c) { return c >= '0' && c <= '9'; });
  return place;
}

// Which of a run's I/O calls (1-based, `places` from a dry run) to fail: in a
// full run all; else the first call of each distinct move from one place to
// the next (the store's directory to the WAL, a table file to the MANIFEST,
// a segment's first call to its second, ...: every file the run touches and
// every way it reaches it) and a seeded one in `one_in` of the rest.
inline std::vector<std::uint64_t> calls_to_fail(const std::vector<std::string>& places, FaultSample& sample,
                                                std::uint64_t one_in) {
  std::vector<std::uint64_t> calls;
  std::set<std::pair<std::string, std::string>> moves;
  for (std::size_t i = 0; i < places.size(); ++i) {
    if (moves.emplace(i == 0 ? std::string() : places[i - 1], places[i]).second || sample.pick(one_in)) {
      calls.push_back(i + 1);
    }
  }
  return calls;
}

}  // namespace snapstore::testutil
