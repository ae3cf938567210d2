// Small stores stay small (issue 14 item 5): the WAL reserves space as it is
// used, not 64 MiB up front, and RocksDB's info log is one bounded, rotated
// file that read-only opens never touch.
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "recovery/rocksdb_logger.h"
#include "recovery/store_reader.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;

// Bytes allocated on disk (st_blocks), as `du` counts them: preallocated
// space included.
std::uint64_t disk_usage(const std::string& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) == 0) total += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return names;
}

TEST(StoreSizeTest, OneDocumentStoreTakesWellUnderOneMebibyte) {
  testutil::TempDir temp;
  const std::string dir = temp / "store";
  {
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(store->insert(Document{{"a", 1}}));
    ASSERT_TRUE(store->checkpoint());
    // While open too: RocksDB reserves space for its MANIFEST and WAL files.
    const std::uint64_t open_used = disk_usage(dir);
    std::cout << "an open 1-document store uses " << open_used / 1024 << " KiB on disk\n";
    EXPECT_LT(open_used, 1U << 20);
    store->close();
  }
  const std::uint64_t used = disk_usage(dir);
  std::cout << "a closed 1-document store uses " << used / 1024 << " KiB on disk\n";
  EXPECT_LT(used, 512U << 10);
}

TEST(StoreSizeTest, InfoLogStaysOneBoundedFileAcrossOpens) {
  testutil::TempDir temp;
  const std::string dir = temp / "store";
  {
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.status().message();
    store->close();
  }
  // What RocksDB's own logger left behind in stores made before: removed.
  std::ofstream(dir + "/db/LOG.old.1796518609683871") << "old";
  for (int i = 0; i < 5; ++i) {
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(store->insert(Document{{"i", i}}));
    store->close();
  }
  for (const std::string& name : names_in(dir + "/db")) {
    EXPECT_FALSE(name.starts_with("LOG") && name != "LOG" && name != "LOG.old") << name;
  }
  ASSERT_TRUE(fs::exists(dir + "/db/LOG"));
  EXPECT_GT(fs::file_size(dir + "/db/LOG"), 0U) << "the store's info log is empty";
  EXPECT_LE(fs::file_size(dir + "/db/LOG"), recovery::kInfoLogBytes);
}

TEST(StoreSizeTest, InfoLogRotatesIntoOneOldFile) {
  testutil::TempDir temp;
  rocksdb::DBOptions options;
  recovery::use_store_info_log(options, temp.path(), /*read_only=*/false);
  const std::string line(1000, 'x');
  for (std::uint64_t written = 0; written < 3 * recovery::kInfoLogBytes; written += line.size()) {
    rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, options.info_log, "%s", line.c_str());
  }
  options.info_log.reset();
  std::vector<std::string> names = names_in(temp.path());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"LOG", "LOG.old"}));
  EXPECT_LE(fs::file_size(temp / "LOG"), recovery::kInfoLogBytes);
  EXPECT_LE(fs::file_size(temp / "LOG.old"), recovery::kInfoLogBytes);
  EXPECT_GT(fs::file_size(temp / "LOG.old"), recovery::kInfoLogBytes / 2);
}

TEST(StoreSizeTest, ReadOnlyOpenWritesNoLog) {
  testutil::TempDir temp;
  const std::string dir = temp / "store";
  {
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(store->insert(Document{{"a", 1}}));
    store->close();
  }
  const std::vector<std::string> before = names_in(dir + "/db");
  const auto log_size = fs::file_size(dir + "/db/LOG");
  {
    auto reader = recovery::StoreReader::open(dir);
    ASSERT_TRUE(reader) << reader.status().message();
  }
  EXPECT_EQ(names_in(dir + "/db"), before);
  EXPECT_EQ(fs::file_size(dir + "/db/LOG"), log_size);
}

}  // namespace
}  // namespace snapstore
