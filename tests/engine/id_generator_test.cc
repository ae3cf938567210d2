// Document ids: UUIDv7 shape and strict increase, also across threads.
#include "engine/id_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <thread>
#include <vector>

namespace snapstore::engine {
namespace {

TEST(IdGeneratorTest, IsALowercaseUuidV7) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    const std::string id = next_document_id();
    ASSERT_TRUE(std::regex_match(id, shape)) << id;
  }
}

TEST(IdGeneratorTest, StrictlyIncreasingInOneThread) {
  std::string previous = next_document_id();
  for (int i = 0; i < 100000; ++i) {
    std::string id = next_document_id();
    ASSERT_LT(previous, id);
    previous = std::move(id);
  }
}

TEST(IdGeneratorTest, UniqueAndIncreasingPerThreadAcrossThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(next_document_id());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& per_thread : ids) {
    EXPECT_TRUE(std::is_sorted(per_thread.begin(), per_thread.end()));
    all.insert(per_thread.begin(), per_thread.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace snapstore::engine
