// `snapstore backup` and `snapstore restore-backup`: a chain made and
// restored from the command line; a store another process holds is Busy
// with a pointer to Store::backup; and a backup SIGKILLed at any moment
// leaves either no target or a complete one, and the next backup succeeds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "snapstore/backup.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;
using testutil::ToolRun;
using testutil::ToolRunner;

// A RAM file system when there is one: the disk's fsyncs would be most of
// these tests' time.
std::string ram_base() {
  std::error_code error;
  return fs::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                                 : TempDir::default_base();
}

std::map<std::string, Document> documents_of(const std::string& dir) {
  Options options;
  options.read_only = true;
  auto store = Store::open(dir, options);
  EXPECT_TRUE(store) << store.status().message();
  std::map<std::string, Document> docs;
  if (!store) return docs;
  Stream stream = store->stream();
  for (auto doc = stream.next(); doc; doc = stream.next()) docs[doc->id] = doc->data;
  return docs;
}

// A store whose WAL holds many records after its RocksDB state.
void fill(const std::string& dir, int from, int count) {
  Options options;
  options.durability = Durability::kNone;
  options.wal_segment_bytes = 64 << 10;
  auto store = Store::open(dir, options);
  ASSERT_TRUE(store) << store.status().message();
  for (int i = from; i < from + count; ++i) {
    ASSERT_TRUE(store->insert(Document{{"n", i}, {"pad", std::string(100, 'p')}}));
  }
}

std::uint64_t revision_in(const std::string& json) {
  const std::size_t at = json.find("\"revision\":");
  return at == std::string::npos ? 0 : std::stoull(json.substr(at + 11));
}

TEST(BackupCliTest, BackupIncrementAndRestoreAChain) {
  ToolRunner tool;
  TempDir root(ram_base());
  fill(root / "store", 0, 50);
  ToolRun full = tool.run({"backup", root / "store", root / "full"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find(R"("kind":"full")"), std::string::npos) << full.out;
  const std::uint64_t full_revision = revision_in(full.out);
  EXPECT_EQ(full_revision, 50U);

  fill(root / "store", 50, 30);
  ToolRun inc = tool.run({"backup", root / "store", root / "inc", "--since", std::to_string(full_revision)});
  ASSERT_EQ(inc.exit_code, 0) << inc.err;
  EXPECT_NE(inc.out.find(R"("kind":"incremental","base_revision":50,"revision":80)"), std::string::npos) << inc.out;

  ToolRun restored = tool.run({"restore-backup", root / "copy", root / "full", root / "inc"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(revision_in(restored.out), 80U);
  EXPECT_EQ(documents_of(root / "copy"), documents_of(root / "store"));

  // Bad input: exit 2 and a message naming what is wrong.
  ToolRun future = tool.run({"backup", root / "store", root / "later", "--since", "1000"});
  EXPECT_EQ(future.exit_code, 2);
  EXPECT_NE(future.err.find("in the future"), std::string::npos) << future.err;
  ToolRun taken = tool.run({"backup", root / "store", root / "full"});
  EXPECT_EQ(taken.exit_code, 2);
  EXPECT_NE(taken.err.find(root / "full"), std::string::npos) << taken.err;
  ToolRun gap = tool.run({"restore-backup", root / "copy2", root / "inc"});
  EXPECT_EQ(gap.exit_code, 2);
  EXPECT_NE(gap.err.find("starts with a full backup"), std::string::npos) << gap.err;
  ToolRun not_backup = tool.run({"restore-backup", root / "copy2", root / "store"});
  EXPECT_EQ(not_backup.exit_code, 2);
  EXPECT_NE(not_backup.err.find("not a snapstore backup"), std::string::npos) << not_backup.err;
  EXPECT_FALSE(fs::exists(root / "copy2"));
}

TEST(BackupCliTest, AStoreAnotherProcessHoldsIsBusy) {
  ToolRunner tool;
  TempDir root(ram_base());
  fill(root / "store", 0, 3);
  auto owner = Store::open(root / "store");
  ASSERT_TRUE(owner);
  ToolRun busy = tool.run({"backup", root / "store", root / "full"});
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_NE(busy.err.find("in use by another process"), std::string::npos) << busy.err;
  EXPECT_NE(busy.err.find("Store::backup"), std::string::npos) << busy.err;
  EXPECT_FALSE(fs::exists(root / "full"));
}

TEST(BackupCliTest, AKilledBackupLeavesNoHalfCopyAndARetrySucceeds) {
  ToolRunner tool;
  TempDir root(ram_base());
  fill(root / "store", 0, 1500);
  const auto expected = documents_of(root / "store");
  // Each backup is killed a while after its build directory appears: in
  // the checkpoint, the WAL copy, the check, the sync or the rename.
  int k = 0;
  int halfway = 0;  // kills that left no target
  for (const int micros : {0, 300, 1000, 3000, 10000}) {
    const std::string name = "killed" + std::to_string(++k);
    const std::string target = root / name;
    SCOPED_TRACE(target + " after " + std::to_string(micros) + " us");
    const pid_t pid = tool.start({"backup", root / "store", target});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool building = false;
    while (!building && std::chrono::steady_clock::now() < deadline && !fs::exists(target)) {
      std::error_code ec;
      for (auto it = fs::directory_iterator(root.path(), ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().rfind("." + name + ".backup-", 0) == 0) building = true;
      }
      if (!building) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (fs::exists(target)) {
      // The kill came after the rename: a complete backup.
      auto info = read_backup(target);
      ASSERT_TRUE(info) << info.status().message();
      EXPECT_EQ(documents_of(target), expected);
      continue;
    }
    // Nothing under the target's name; the retry clears the killed build's
    // directory and succeeds.
    ToolRun retry = tool.run({"backup", root / "store", target});
    ASSERT_EQ(retry.exit_code, 0) << retry.err;
    EXPECT_EQ(documents_of(target), expected);
    ++halfway;
    for (const auto& entry : fs::directory_iterator(root.path())) {
      const std::string entry_name = entry.path().filename().string();
      if (entry_name.rfind("." + name + ".backup-", 0) == 0) {
        // Only a build killed in the instant between removing its lock
        // file and the rename keeps its directory (for a minute).
        EXPECT_FALSE(fs::exists(entry.path() / ".restore.lock")) << entry_name << " was not cleared";
      }
    }
  }
  EXPECT_GE(halfway, 1) << "no kill landed before the rename";
  // The source survived every kill (each killed backup had it open).
  EXPECT_EQ(documents_of(root / "store"), expected);
}

}  // namespace
}  // namespace snapstore
