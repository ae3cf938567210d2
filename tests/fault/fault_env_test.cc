// The fault model itself: what a power cut keeps and undoes, and how
// injected I/O errors fire — on the WAL's Env and on RocksDB's file system.
#include "fault/fault_env.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>

#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"

namespace snapstore::fault {
namespace {

using testutil::TempDir;

class FaultEnvTest : public ::testing::Test {
 protected:
  FaultEnvTest() : state_(temp_ / "trash", 7), env_(make_fault_env(wal::Env::posix(), &state_)) {
    std::filesystem::create_directory(dir());
  }
  std::string dir() const { return temp_ / "d"; }
  std::string path(const std::string& name) const { return dir() + "/" + name; }
  std::string content(const std::string& name) const { return testutil::read_bytes(path(name)); }

  // A file with `synced` bytes synced (and its creation made durable), then
  // `unsynced` more bytes written.
  void write_file(const std::string& name, const std::string& synced, const std::string& unsynced) {
    auto file = env_->create_file(path(name));
    ASSERT_TRUE(file) << file.status().message();
    ASSERT_TRUE((*file)->append(synced));
    ASSERT_TRUE((*file)->sync());
    ASSERT_TRUE(env_->sync_dir(dir()));
    ASSERT_TRUE((*file)->append(unsynced));
    ASSERT_TRUE((*file)->close());
  }

  TempDir temp_;
  FaultState state_;
  std::unique_ptr<wal::Env> env_;
};

TEST_F(FaultEnvTest, PowerCutDropsWhatWasNotSynced) {
  write_file("f", "synced", "lost");
  EXPECT_EQ(content("f"), "syncedlost");  // the page cache has it
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropUnsynced));
  EXPECT_EQ(content("f"), "synced");
}

TEST_F(FaultEnvTest, RandomSuffixKeepsAPrefixOfTheUnsyncedBytes) {
  const std::string unsynced(5000, 'u');
  write_file("f", "synced", unsynced);
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropRandomSuffix));
  const std::string after = content("f");
  ASSERT_GE(after.size(), 6U);
  EXPECT_EQ(after, ("synced" + unsynced).substr(0, after.size()));
}

TEST_F(FaultEnvTest, RandomSubsetZeroesSomeBlocksButNeverSyncedBytes) {
  // Over a few seeds the subset both keeps and zeroes blocks.
  bool saw_zeroed = false, saw_kept = false;
  for (int round = 0; round < 8; ++round) {
    const std::string name = "f" + std::to_string(round);
    const std::string synced(700, 's');
    const std::string unsynced(8192, 'u');
    write_file(name, synced, unsynced);
    ASSERT_TRUE(state_.power_cut(PowerCut::kKeepRandomSubset));
    const std::string after = content(name);
    ASSERT_GE(after.size(), synced.size());
    EXPECT_EQ(after.substr(0, synced.size()), synced);
    for (std::size_t i = synced.size(); i < after.size(); ++i) {
      ASSERT_TRUE(after[i] == 'u' || after[i] == '\0') << "byte " << i;
      (after[i] == 'u' ? saw_kept : saw_zeroed) = true;
    }
  }
  EXPECT_TRUE(saw_zeroed);
  EXPECT_TRUE(saw_kept);
}

TEST_F(FaultEnvTest, FileCreatedWithoutDirectorySyncDisappears) {
  auto file = env_->create_file(path("new"));
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->append("data"));
  ASSERT_TRUE((*file)->sync());  // the data is synced, the directory entry is not
  ASSERT_TRUE((*file)->close());
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropUnsynced));
  EXPECT_FALSE(std::filesystem::exists(path("new")));
}

TEST_F(FaultEnvTest, RenameWithoutDirectorySyncIsUndoneAndTheReplacedFileReturns) {
  write_file("old", "old content", "");
  write_file("tmp", "new content", "");
  ASSERT_TRUE(env_->rename(path("tmp"), path("old")));
  EXPECT_EQ(content("old"), "new content");
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropUnsynced));
  EXPECT_EQ(content("old"), "old content");
  EXPECT_EQ(content("tmp"), "new content");
}

TEST_F(FaultEnvTest, RenameFollowedByDirectorySyncStays) {
  write_file("tmp", "new content", "");
  ASSERT_TRUE(env_->rename(path("tmp"), path("final")));
  ASSERT_TRUE(env_->sync_dir(dir()));
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropUnsynced));
  EXPECT_EQ(content("final"), "new content");
  EXPECT_FALSE(std::filesystem::exists(path("tmp")));
}

TEST_F(FaultEnvTest, RemovalWithoutDirectorySyncIsUndone) {
  write_file("a", "kept", "");
  write_file("b", "gone", "");
  ASSERT_TRUE(env_->remove(path("a")));
  ASSERT_TRUE(env_->remove(path("b")));
  ASSERT_TRUE(env_->sync_dir(dir()));  // makes both removals durable
  write_file("c", "back", "");
  ASSERT_TRUE(env_->remove(path("c")));
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropUnsynced));
  EXPECT_FALSE(std::filesystem::exists(path("a")));
  EXPECT_FALSE(std::filesystem::exists(path("b")));
  EXPECT_EQ(content("c"), "back");
}

TEST_F(FaultEnvTest, NthCallFailsOnceOrForever) {
  auto file = env_->create_file(path("f"));
  ASSERT_TRUE(file);
  state_.fail_call(2, IoError::kEnospc, /*forever=*/false, static_cast<unsigned>(IoCall::kWrite));
  EXPECT_TRUE((*file)->append("1"));
  Status second = (*file)->append("2");
  EXPECT_EQ(second.code(), StatusCode::kIOError);
  EXPECT_NE(second.message().find("No space left on device"), std::string::npos) << second.message();
  EXPECT_TRUE((*file)->append("3"));
  EXPECT_TRUE((*file)->sync()) << "syncs are not in the plan";

  state_.fail_call(1, IoError::kEio, /*forever=*/true);
  EXPECT_EQ((*file)->append("4").code(), StatusCode::kIOError);
  EXPECT_EQ((*file)->sync().code(), StatusCode::kIOError);
  EXPECT_EQ(env_->sync_dir(dir()).code(), StatusCode::kIOError);
  EXPECT_EQ(state_.failures(), 4U);
  state_.clear_failures();
  EXPECT_TRUE((*file)->sync());
}

TEST_F(FaultEnvTest, FailedWriteMayLeaveAShortWrite) {
  auto file = env_->create_file(path("f"));
  ASSERT_TRUE(file);
  const std::string data(4096, 'w');
  std::size_t longest = 0;
  for (int i = 0; i < 20; ++i) {
    state_.fail_call(1, IoError::kEio, false);
    const auto before = testutil::read_bytes(path("f")).size();
    EXPECT_FALSE((*file)->append(data));
    const auto written = testutil::read_bytes(path("f")).size() - before;
    EXPECT_LT(written, data.size());
    longest = std::max(longest, written);
  }
  EXPECT_GT(longest, 0U) << "some failed write leaves a prefix";
}

TEST_F(FaultEnvTest, PowerOffFailsEveryChangeWithoutEffect) {
  auto file = env_->create_file(path("f"));
  ASSERT_TRUE(file);
  state_.power_off();
  EXPECT_EQ((*file)->append("x").code(), StatusCode::kIOError);
  EXPECT_EQ(env_->create_file(path("g")).status().code(), StatusCode::kIOError);
  EXPECT_EQ(env_->remove(path("f")).code(), StatusCode::kIOError);
  EXPECT_TRUE(std::filesystem::exists(path("f")));
  EXPECT_FALSE(std::filesystem::exists(path("g")));
  EXPECT_EQ(testutil::read_bytes(path("f")), "");
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropUnsynced));
  EXPECT_TRUE(state_.powered());
}

TEST_F(FaultEnvTest, RocksDbLosesUnflushedWritesAndKeepsFlushedOnes) {
  auto rocksdb_env = make_fault_rocksdb_env(&state_);
  const std::string db_dir = temp_ / "db";
  auto open = [&]() {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.env = rocksdb_env.get();
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(options, db_dir, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::unique_ptr<rocksdb::DB>(raw);
  };
  {
    auto db = open();
    ASSERT_TRUE(db);
    rocksdb::WriteOptions no_wal;
    no_wal.disableWAL = true;
    ASSERT_TRUE(db->Put(no_wal, "flushed", "1").ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
    ASSERT_TRUE(db->Put(no_wal, "lost", "2").ok());
    state_.power_off();  // the crash: nothing more reaches the disk
  }
  ASSERT_TRUE(state_.power_cut(PowerCut::kDropUnsynced));
  auto db = open();
  ASSERT_TRUE(db);
  std::string value;
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "flushed", &value).ok());
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "lost", &value).IsNotFound());
}

TEST_F(FaultEnvTest, RocksDbSeesInjectedErrors) {
  auto rocksdb_env = make_fault_rocksdb_env(&state_);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = rocksdb_env.get();
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, temp_ / "db", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  state_.fail_call(1, IoError::kEnospc, /*forever=*/true);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  EXPECT_FALSE(db->Put(sync, "k", "v").ok());
  EXPECT_GT(state_.failures(), 0U);
  state_.clear_failures();
}

}  // namespace
}  // namespace snapstore::fault
