// A real full disk (issue 14 item 2): a 2 MiB tmpfs, filled through
// the `snapstore` program and through the library. Every failure is a clean
// error — exit 2 and "No space left on device" from the CLI, IOError from the
// library — never an abort (RocksDB's own info log used to assert on ENOSPC);
// once space is freed the store reopens with every acknowledged write and
// none that failed. Skipped unless the test may mount (root).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "run_tool.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;

// A random (incompressible) document of about `bytes`.
std::string big_json(std::mt19937_64& random, std::size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string text;
  text.reserve(bytes);
  for (std::size_t i = 0; i < bytes; ++i) text.push_back(kDigits[random() % 62]);
  return "{\"pad\":\"" + text + "\"}";
}

std::string id_of(const std::string& out) {
  const auto at = out.find("\"_id\":\"");
  if (at == std::string::npos) return {};
  const auto start = at + 7;
  return out.substr(start, out.find('"', start) - start);
}

class FullDiskCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
    mount_ = temp_ / "small";
    fs::create_directory(mount_);
    if (::mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=2m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_.c_str(), MNT_DETACH);
  }
  // Space is freed: the file system grows.
  void grow() {
    ASSERT_EQ(::mount("tmpfs", mount_.c_str(), "tmpfs", MS_REMOUNT, "size=32m"), 0) << std::strerror(errno);
  }

  testutil::TempDir temp_;
  testutil::ToolRunner tool_;
  std::string mount_;
  bool mounted_ = false;
};

TEST_F(FullDiskCliTest, InsertsThroughTheCliUntilFullThenReopen) {
  const std::string dir = mount_ + "/s";
  auto first = tool_.run({"insert", "--create", dir, "{\"a\":1}"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::set<std::string> acknowledged{id_of(first.out)};
  std::mt19937_64 random(5);
  int refusals = 0;
  for (int i = 0; i < 200 && refusals < 2; ++i) {
    auto run = tool_.run({"insert", dir, big_json(random, 120000)});
    ASSERT_NE(run.exit_code, -1) << "killed by a signal (an abort?): " << run.err;
    if (run.exit_code == 0) {
      acknowledged.insert(id_of(run.out));
      continue;
    }
    ++refusals;
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("No space left on device"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(mount_), std::string::npos) << "the message names no file: " << run.err;
  }
  ASSERT_EQ(refusals, 2) << "the disk never filled";
  grow();
  auto store = Store::open(dir);
  ASSERT_TRUE(store) << store.status().message();
  EXPECT_EQ(store->size(), acknowledged.size()) << "a failed insert came back, or an acknowledged one is lost";
  for (const std::string& id : acknowledged) EXPECT_TRUE(store->get(id)) << id;
  EXPECT_TRUE(store->insert(Document{{"after", "space freed"}}));
}

TEST_F(FullDiskCliTest, InsertsThroughTheLibraryUntilFullThenReopen) {
  const std::string dir = mount_ + "/s";
  std::set<std::string> acknowledged;
  std::mt19937_64 random(6);
  {
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.status().message();
    Status failure;
    for (int i = 0; i < 200 && failure.is_ok(); ++i) {
      auto doc = from_json(big_json(random, 60000));
      ASSERT_TRUE(doc);
      auto written = store->insert(std::move(doc->as_object()));
      if (written) {
        acknowledged.insert(written->id);
      } else {
        failure = written.status();
      }
    }
    ASSERT_FALSE(failure.is_ok()) << "the disk never filled";
    EXPECT_EQ(failure.code(), StatusCode::kIOError) << failure.message();
    EXPECT_NE(failure.message().find("No space left on device"), std::string::npos) << failure.message();
    EXPECT_FALSE(store->insert(Document{{"small", 1}})) << "errors are sticky until a reopen";
    EXPECT_EQ(store->size(), acknowledged.size()) << "reads go on";
    store->close();
  }
  grow();
  auto store = Store::open(dir);
  ASSERT_TRUE(store) << store.status().message();
  EXPECT_EQ(store->size(), acknowledged.size());
  for (const std::string& id : acknowledged) EXPECT_TRUE(store->get(id)) << id;
}

TEST_F(FullDiskCliTest, RestoreAndDumpOntoAFullDiskFailCleanlyAndLeaveNothing) {
  const std::string source = temp_ / "source";
  std::mt19937_64 random(7);
  {
    auto store = Store::open(source);
    ASSERT_TRUE(store) << store.status().message();
    for (int i = 0; i < 80; ++i) {
      auto doc = from_json(big_json(random, 60000));
      ASSERT_TRUE(doc);
      ASSERT_TRUE(store->insert(std::move(doc->as_object())));
    }
    store->close();
  }
  const std::string dump = temp_ / "source.dump";
  auto dumped = tool_.run({"dump", source, "-o", dump});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  auto restored = tool_.run({"restore", dump, mount_ + "/r"});
  ASSERT_NE(restored.exit_code, -1) << "killed by a signal (an abort?): " << restored.err;
  EXPECT_EQ(restored.exit_code, 2) << restored.err;
  EXPECT_NE(restored.err.find("No space left on device"), std::string::npos) << restored.err;
  EXPECT_TRUE(fs::is_empty(mount_)) << "the restore left files behind";

  // A dump onto a full disk: exit 2 naming the file, no partial dump left.
  std::ofstream(mount_ + "/filler") << std::string(4 << 20, 'x');
  auto dumped_again = tool_.run({"dump", source, "-o", mount_ + "/again.dump"});
  ASSERT_NE(dumped_again.exit_code, -1) << dumped_again.err;
  EXPECT_EQ(dumped_again.exit_code, 2) << dumped_again.err;
  EXPECT_NE(dumped_again.err.find("No space left on device"), std::string::npos) << dumped_again.err;
  EXPECT_FALSE(fs::exists(mount_ + "/again.dump"));
}

}  // namespace
}  // namespace snapstore
