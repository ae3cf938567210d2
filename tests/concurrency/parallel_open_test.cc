// Store::open's loading threads, under ThreadSanitizer in CI: several threads
// insert into the document table, gather and sort index entries and report
// progress. The progress callback touches plain, unsynchronized state: the
// promise that calls never overlap is what keeps that race-free.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

TEST(ParallelOpenTest, LoadingThreadsAndProgressCallsAreRaceFree) {
  testutil::TempDir dir;
  Options options;
  options.durability = Durability::kNone;
  constexpr int kDocs = 6000;
  {
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    ASSERT_TRUE(store->create_index("by_group", {"group"}).is_ok());
    ASSERT_TRUE(store->create_index("by_n", {"n"}).is_ok());
    for (int i = 0; i < kDocs; ++i) {
      ASSERT_TRUE(store->insert(Document{{"n", i}, {"group", i % 17}, {"pad", std::string(150, 'x')}}).is_ok());
    }
    store->close();
  }
  std::vector<std::uint64_t> reported;  // written by whichever loading thread reports
  options.open_threads = 4;
  options.open_progress_interval_ms = 0;
  options.open_progress = [&reported](const OpenProgress& progress) {
    reported.push_back(progress.documents_loaded);
  };
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  ASSERT_FALSE(reported.empty());
  EXPECT_EQ(reported.back(), static_cast<std::uint64_t>(kDocs));
  EXPECT_EQ(store->size(), static_cast<std::size_t>(kDocs));
  auto group = store->lookup("by_group", {5});
  ASSERT_TRUE(group.is_ok());
  EXPECT_EQ(group->size(), static_cast<std::size_t>((kDocs - 5 + 16) / 17));
  auto all = store->lookup_range("by_n", {}, {});
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kDocs));
  for (int i = 0; i < kDocs; ++i) EXPECT_EQ((*all)[static_cast<std::size_t>(i)].data.at("n"), Value(i));
}

}  // namespace
}  // namespace snapstore
