// fault::tear_wal_tail, the torn tail the kill-point tests make before a
// recovery: whatever state a crash left the log in, the tear must leave one
// a crash could leave too, and the store must open with every document.
// (A crashtest walk once tore a segment twice whose header had never been
// written — a crash between creating a segment and writing its header — and
// so made a full-size header of garbage that no crash produces.)
#include "fault/torn_tail.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "snapstore/store.h"
#include "testutil/temp_dir.h"
#include "wal/format.h"
#include "wal/writer.h"

namespace snapstore {
namespace {

class TornTailTest : public ::testing::Test {
 protected:
  // A store holding three documents, closed; returns its last revision.
  std::uint64_t make_store() {
    auto store = Store::open(dir(), Options{});
    EXPECT_TRUE(store) << store.status().message();
    for (int i = 0; i < 3; ++i) {
      auto id = store->insert(Object{{"n", Value(i)}});
      EXPECT_TRUE(id) << id.status().message();
    }
    return store->revision();
  }
  std::string dir() const { return temp_ / "store"; }
  std::string segment(std::uint64_t first_lsn) const { return dir() + "/wal/" + wal::SegmentName::for_lsn(first_lsn); }

  // The store opens read-only (as crashtest's check does, leaving the tail)
  // and then writable, with all three documents; returns the writable open's report.
  OpenReport expect_opens_whole(std::uint64_t revision) {
    Options read_only;
    read_only.read_only = true;
    {
      auto checked = Store::open(dir(), read_only);
      EXPECT_TRUE(checked) << checked.status().message();
      EXPECT_EQ(checked ? checked->size() : 0, 3U);
    }
    auto store = Store::open(dir(), Options{});
    EXPECT_TRUE(store) << store.status().message();
    if (!store) return {};
    EXPECT_EQ(store->size(), 3U);
    EXPECT_EQ(store->revision(), revision);
    return store->open_report();
  }

 private:
  testutil::TempDir temp_;
};

TEST_F(TornTailTest, TearingTwiceLeavesATailThatRecoveryCuts) {
  const std::uint64_t revision = make_store();
  ASSERT_EQ(fault::tear_wal_tail(dir()).value(), true);
  expect_opens_whole(revision);
  // The writable open cut the first tear; tear twice before the next one.
  ASSERT_EQ(fault::tear_wal_tail(dir()).value(), true);
  ASSERT_EQ(fault::tear_wal_tail(dir()).value(), true);
  const OpenReport report = expect_opens_whole(revision);
  EXPECT_EQ(report.torn_tail_bytes, 40U);
}

TEST_F(TornTailTest, ASegmentWithoutAHeaderIsLeftAsItIs) {
  const std::uint64_t revision = make_store();
  // A crash between creating the next segment and writing its header.
  const std::string headerless = segment(revision + 1);
  std::ofstream(headerless, std::ios::binary).flush();
  ASSERT_TRUE(std::filesystem::exists(headerless));
  // Before the fix, two tears made 40 bytes of garbage, and the open refused
  // the store: "not a snapstore WAL segment (bad magic)".
  for (int tear = 0; tear < 2; ++tear) {
    EXPECT_EQ(fault::tear_wal_tail(dir()).value(), false);
    EXPECT_EQ(std::filesystem::file_size(headerless), 0U);
  }
  const OpenReport report = expect_opens_whole(revision);
  EXPECT_EQ(report.torn_tail_file, headerless);
  EXPECT_EQ(report.torn_tail_reason, "incomplete segment header");
}

TEST_F(TornTailTest, AStoreWithoutALogHasNothingToTear) {
  testutil::TempDir empty;
  EXPECT_FALSE(fault::tear_wal_tail(empty.path()).is_ok());  // no wal directory: an error, named
  std::filesystem::create_directories(empty / "wal");
  EXPECT_EQ(fault::tear_wal_tail(empty.path()).value(), false);
}

}  // namespace
}  // namespace snapstore
