// An exception on one of Store::open's loading threads (std::bad_alloc, or a
// progress callback that throws) fails the open with an IOError naming it;
// from a plain thread it would have called std::terminate.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>

#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

TEST(WorkerExceptionTest, ThrowOnALoadingThreadFailsTheOpenAndChangesNothing) {
  testutil::TempDir dir;
  Options options;
  options.durability = Durability::kNone;
  constexpr int kDocs = 5000;
  {
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(store->create_index("by_n", {"n"}));
    for (int i = 0; i < kDocs; ++i) ASSERT_TRUE(store->insert(Document{{"n", i}, {"pad", std::string(100, 'x')}}));
    store->close();
  }
  const std::thread::id opener = std::this_thread::get_id();
  for (const bool workers_only : {true, false}) {
    std::atomic<int> thrown{0};
    Options failing = options;
    failing.open_threads = 4;
    failing.open_progress_interval_ms = 0;
    failing.open_progress = [&](const OpenProgress&) {
      if (workers_only && std::this_thread::get_id() == opener) return;
      thrown.fetch_add(1);
      throw std::bad_alloc();
    };
    auto store = Store::open(dir.path(), failing);
    if (thrown.load() == 0) continue;  // every report came from the opening thread this time
    ASSERT_FALSE(store);
    EXPECT_EQ(store.status().code(), StatusCode::kIOError) << store.status().message();
    EXPECT_NE(store.status().message().find("out of memory"), std::string::npos) << store.status().message();
  }
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store) << store.status().message();
  EXPECT_EQ(store->size(), static_cast<std::size_t>(kDocs));
  EXPECT_EQ(store->lookup("by_n", {7})->size(), 1U);
}

#ifdef SNAPSTORE_KILL_POINTS
// create_index builds its entries on several threads (above 4096 documents);
// the test build throws std::bad_alloc on each of them when asked to.
TEST(WorkerExceptionTest, ThrowInCreateIndexBackfillFailsTheCallAndChangesNothing) {
  testutil::TempDir dir;
  Options options;
  options.durability = Durability::kNone;
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store) << store.status().message();
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(store->insert(Document{{"n", i}}));
  const std::uint64_t revision = store->revision();
  ::setenv("SNAPSTORE_TEST_THROW_IN_BACKFILL", "1", 1);
  const Status failed = store->create_index("by_n", {"n"});
  ::unsetenv("SNAPSTORE_TEST_THROW_IN_BACKFILL");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.code(), StatusCode::kIOError) << failed.message();
  EXPECT_NE(failed.message().find("out of memory"), std::string::npos) << failed.message();
  EXPECT_EQ(store->revision(), revision) << "the failed create_index took a revision";
  EXPECT_TRUE(store->indexes().empty());
  ASSERT_TRUE(store->create_index("by_n", {"n"}));
  EXPECT_EQ(store->lookup("by_n", {7})->size(), 1U);
}
#endif

}  // namespace
}  // namespace snapstore
