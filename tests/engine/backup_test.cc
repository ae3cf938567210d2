// Online backups (Store::backup) and restoring a chain (restore_backup):
// a backup taken while writers run equals the store as it stood at the
// backup's revision; a full backup plus two increments restores to the
// store's state; every bad input is refused by name and leaves no target.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "snapstore/backup.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;

// A RAM file system when there is one: these tests check what a backup
// holds, not the disk's fsyncs, which would be most of their time.
std::string ram_base() {
  std::error_code error;
  return fs::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                                 : testutil::TempDir::default_base();
}

struct Stored {
  std::uint64_t version = 0;
  Document data;
  friend bool operator==(const Stored&, const Stored&) = default;
};
using State = std::map<std::string, Stored>;

State state_of(const Store& store) {
  State state;
  Stream stream = store.stream();
  for (auto doc = stream.next(); doc; doc = stream.next()) state[doc->id] = Stored{doc->version, doc->data};
  return state;
}

State state_of_dir(const std::string& dir) {
  Options options;
  options.read_only = true;
  auto store = Store::open(dir, options);
  EXPECT_TRUE(store) << store.status().message();
  if (!store) return {};
  return state_of(*store);
}

std::uint64_t revision_of_dir(const std::string& dir) {
  Options options;
  options.read_only = true;
  auto store = Store::open(dir, options);
  return store ? store->revision() : 0;
}

// Small segments and frequent mirror checkpoints: backups meet rotations
// and retirements.
Options churn_options() {
  Options options;
  options.durability = Durability::kNone;
  options.wal_segment_bytes = 16 << 10;
  options.checkpoint_wal_bytes = 64 << 10;
  return options;
}

// One event of the history the writers acknowledged.
struct Event {
  std::uint64_t revision;
  std::string id;
  std::optional<Stored> after;  // nullopt: removed
};

class History {
 public:
  void add(Event event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  // The documents as they stood at `revision`.
  State at(std::uint64_t revision) const {
    std::lock_guard lock(mutex_);
    std::vector<const Event*> sorted;
    for (const Event& e : events_) {
      if (e.revision <= revision) sorted.push_back(&e);
    }
    std::sort(sorted.begin(), sorted.end(), [](const Event* a, const Event* b) { return a->revision < b->revision; });
    State state;
    for (const Event* e : sorted) {
      if (e->after) {
        state[e->id] = *e->after;
      } else {
        state.erase(e->id);
      }
    }
    return state;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

// A crashtest-style writer: inserts, updates, removes and batches on its
// own documents, each acknowledgement recorded.
void write_mixed(Store& store, History& history, int thread, int steps) {
  std::mt19937 random(static_cast<unsigned>(thread) * 7919U + 1U);
  std::map<std::string, std::uint64_t> mine;  // id -> version
  auto doc = [&](int i) { return Document{{"thread", thread}, {"step", i}, {"pad", std::string(40, 'x')}}; };
  for (int i = 0; i < steps; ++i) {
    const unsigned pick = random() % 10;
    if (mine.empty() || pick < 4) {
      auto r = store.insert(doc(i));
      ASSERT_TRUE(r) << r.status().message();
      mine[r->id] = r->version;
      history.add({r->revision, r->id, Stored{r->version, doc(i)}});
    } else if (pick < 7) {
      auto it = std::next(mine.begin(), static_cast<long>(random() % mine.size()));
      auto r = store.update(it->first, doc(i));
      ASSERT_TRUE(r) << r.status().message();
      it->second = r->version;
      history.add({r->revision, r->id, Stored{r->version, doc(i)}});
    } else if (pick < 8) {
      auto it = std::next(mine.begin(), static_cast<long>(random() % mine.size()));
      auto r = store.remove(it->first);
      ASSERT_TRUE(r) << r.status().message();
      history.add({r->revision, it->first, std::nullopt});
      mine.erase(it);
    } else {
      WriteBatch batch;
      batch.insert(doc(i));
      batch.insert(doc(i + 1));
      auto it = mine.begin();
      batch.update(it->first, doc(i + 2));
      auto r = store.write(batch);
      ASSERT_TRUE(r) << r.status().message();
      ASSERT_EQ(r->size(), 3U);
      history.add({(*r)[0].revision, (*r)[0].id, Stored{(*r)[0].version, doc(i)}});
      history.add({(*r)[1].revision, (*r)[1].id, Stored{(*r)[1].version, doc(i + 1)}});
      history.add({(*r)[2].revision, (*r)[2].id, Stored{(*r)[2].version, doc(i + 2)}});
      mine[(*r)[0].id] = 1;
      mine[(*r)[1].id] = 1;
      it->second = (*r)[2].version;
    }
  }
}

TEST(BackupTest, BackupsWhileWritersRunEqualTheStoreAtTheirRevision) {
  testutil::TempDir dir(ram_base());
  auto store = Store::open(dir / "store", churn_options());
  ASSERT_TRUE(store) << store.status().message();
  ASSERT_TRUE(store->create_index("by_thread", {"thread"}));
  History history;
  std::atomic<int> running{3};
  // jthreads: a failed ASSERT below returns while they run, and they must be
  // joined (not std::terminate'd) before the store they write goes away.
  std::vector<std::jthread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      write_mixed(*store, history, t, 500);
      --running;
    });
  }
  std::vector<BackupInfo> backups;
  for (int i = 0; i < 3; ++i) {
    while (running > 0 && store->revision() < static_cast<std::uint64_t>(200 * (i + 1))) std::this_thread::yield();
    const std::uint64_t before = store->durable_revision();
    auto info = store->backup(dir / ("backup" + std::to_string(i)));
    ASSERT_TRUE(info) << info.status().message();
    EXPECT_GE(info->revision, before);
    EXPECT_GE(info->revision, info->checkpoint_revision);
    EXPECT_FALSE(info->incremental);
    EXPECT_GT(info->files, 0U);
    backups.push_back(*info);
  }
  for (auto& w : writers) w.join();

  for (const BackupInfo& info : backups) {
    SCOPED_TRACE(info.dir + " at revision " + std::to_string(info.revision));
    EXPECT_EQ(revision_of_dir(info.dir), info.revision);
    EXPECT_EQ(state_of_dir(info.dir), history.at(info.revision));
    auto manifest = read_backup(info.dir);
    ASSERT_TRUE(manifest) << manifest.status().message();
    EXPECT_EQ(manifest->revision, info.revision);
    Options options;
    options.read_only = true;
    auto copy = Store::open(info.dir, options);
    ASSERT_TRUE(copy);
    ASSERT_EQ(copy->indexes().size(), 1U);
    EXPECT_EQ(copy->indexes()[0].name, "by_thread");
  }
  // No build directory is left beside the backups.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
  }
}

TEST(BackupTest, AFullBackupAndTwoIncrementsRestoreToTheStore) {
  testutil::TempDir dir(ram_base());
  auto store = Store::open(dir / "store", churn_options());
  ASSERT_TRUE(store) << store.status().message();
  History history;
  write_mixed(*store, history, 0, 150);
  auto full = store->backup(dir / "full");
  ASSERT_TRUE(full) << full.status().message();

  write_mixed(*store, history, 1, 100);
  ASSERT_TRUE(store->create_index("by_step", {"step"}));
  auto inc1 = store->backup(dir / "inc1", full->revision);
  ASSERT_TRUE(inc1) << inc1.status().message();
  EXPECT_TRUE(inc1->incremental);
  EXPECT_EQ(inc1->base_revision, full->revision);
  EXPECT_EQ(inc1->revision, store->revision());

  write_mixed(*store, history, 2, 100);
  ASSERT_TRUE(store->drop_index("by_step"));
  auto inc2 = store->backup(dir / "inc2", inc1->revision);
  ASSERT_TRUE(inc2) << inc2.status().message();
  // An increment with nothing in it is still a link of the chain.
  auto inc3 = store->backup(dir / "inc3", inc2->revision);
  ASSERT_TRUE(inc3) << inc3.status().message();
  EXPECT_EQ(inc3->wal_records, 0U);

  auto restored = restore_backup(dir / "restored", dir / "full", {dir / "inc1", dir / "inc2", dir / "inc3"});
  ASSERT_TRUE(restored) << restored.status().message();
  EXPECT_EQ(restored->revision, store->revision());
  EXPECT_EQ(state_of_dir(dir / "restored"), state_of(*store));

  // Part of the chain restores to its own end.
  auto partial = restore_backup(dir / "partial", dir / "full", {dir / "inc1"});
  ASSERT_TRUE(partial) << partial.status().message();
  EXPECT_EQ(revision_of_dir(dir / "partial"), inc1->revision);
  EXPECT_EQ(state_of_dir(dir / "partial"), history.at(inc1->revision));
  {
    Options options;
    options.read_only = true;
    auto copy = Store::open(dir / "partial", options);
    ASSERT_TRUE(copy);
    ASSERT_EQ(copy->indexes().size(), 1U);
  }

  // The restored store is a store like any other: it takes writes.
  auto reopened = Store::open(dir / "restored");
  ASSERT_TRUE(reopened) << reopened.status().message();
  auto r = reopened->insert(Document{{"after", true}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->revision, store->revision() + 1);
}

TEST(BackupTest, BadTargetsAreRefusedByName) {
  testutil::TempDir dir(ram_base());
  auto store = Store::open(dir / "store");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->insert(Document{{"a", 1}}));

  fs::create_directory(dir / "full");
  std::ofstream(dir / "full/keep.txt") << "mine";
  auto busy = store->backup(dir / "full");
  ASSERT_EQ(busy.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(busy.status().message().find(dir / "full"), std::string::npos) << busy.status().message();
  EXPECT_TRUE(fs::exists(dir / "full/keep.txt"));

  std::ofstream(dir / "file") << "x";
  auto file = store->backup(dir / "file");
  ASSERT_EQ(file.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(file.status().message().find("not a directory"), std::string::npos) << file.status().message();

  auto orphan = store->backup(dir / "missing/parent/backup");
  EXPECT_EQ(orphan.code(), StatusCode::kInvalidArgument) << orphan.status().message();

  // An empty directory is a fine target.
  fs::create_directory(dir / "empty");
  EXPECT_TRUE(store->backup(dir / "empty"));

  auto memory = Store::open_in_memory();
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->backup(dir / "mem").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "mem"));

  store->close();
  EXPECT_EQ(store->backup(dir / "closed").code(), StatusCode::kStoreClosed);
  Options read_only;
  read_only.read_only = true;
  auto reader = Store::open(dir / "store", read_only);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->backup(dir / "ro").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "ro"));
}

TEST(BackupTest, IncrementsFromTheFutureOrFromRetiredWalAreRefused) {
  testutil::TempDir dir(ram_base());
  Options options = churn_options();
  auto store = Store::open(dir / "store", options);
  ASSERT_TRUE(store);
  History history;
  write_mixed(*store, history, 0, 50);
  const std::uint64_t now = store->revision();

  auto future = store->backup(dir / "future", now + 5);
  ASSERT_EQ(future.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(future.status().message().find("in the future"), std::string::npos) << future.status().message();
  EXPECT_NE(future.status().message().find(std::to_string(now)), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "future"));

  // Enough writes for several segments, then a checkpoint retires them.
  write_mixed(*store, history, 1, 600);
  ASSERT_TRUE(store->checkpoint());
  auto retired = store->backup(dir / "retired", 1);
  ASSERT_EQ(retired.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(retired.status().message().find("no longer retains"), std::string::npos) << retired.status().message();
  EXPECT_NE(retired.status().message().find("oldest record"), std::string::npos) << retired.status().message();
  EXPECT_FALSE(fs::exists(dir / "retired"));
}

TEST(BackupTest, ChainsWithAGapOrThatAreNotBackupsAreRefused) {
  testutil::TempDir dir(ram_base());
  auto store = Store::open(dir / "store");
  ASSERT_TRUE(store);
  History history;
  write_mixed(*store, history, 0, 20);
  auto full = store->backup(dir / "full");
  ASSERT_TRUE(full);
  write_mixed(*store, history, 1, 20);
  auto inc1 = store->backup(dir / "inc1", full->revision);
  ASSERT_TRUE(inc1);
  write_mixed(*store, history, 2, 20);
  auto inc2 = store->backup(dir / "inc2", inc1->revision);
  ASSERT_TRUE(inc2);

  auto gap = restore_backup(dir / "t", dir / "full", {dir / "inc2"});
  ASSERT_EQ(gap.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(gap.status().message().find(std::to_string(inc1->revision)), std::string::npos) << gap.status().message();
  EXPECT_NE(gap.status().message().find(std::to_string(full->revision)), std::string::npos) << gap.status().message();
  auto overlap = restore_backup(dir / "t", dir / "full", {dir / "inc1", dir / "inc1"});
  EXPECT_EQ(overlap.code(), StatusCode::kInvalidArgument) << overlap.status().message();
  auto starts_with_increment = restore_backup(dir / "t", dir / "inc1", {dir / "inc2"});
  EXPECT_EQ(starts_with_increment.code(), StatusCode::kInvalidArgument);
  auto two_fulls = restore_backup(dir / "t", dir / "full", {dir / "full"});
  EXPECT_EQ(two_fulls.code(), StatusCode::kInvalidArgument);

  // A store, an empty directory, a missing one: not backups.
  store->close();
  auto not_backup = restore_backup(dir / "t", dir / "store");
  ASSERT_EQ(not_backup.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(not_backup.status().message().find("not a snapstore backup"), std::string::npos);
  fs::create_directory(dir / "empty");
  EXPECT_EQ(restore_backup(dir / "t", dir / "full", {dir / "empty"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(read_backup(dir / "nowhere").code(), StatusCode::kInvalidArgument);
  std::ofstream(dir / "inc2/BACKUP", std::ios::trunc) << "{not json";
  EXPECT_EQ(restore_backup(dir / "t", dir / "full", {dir / "inc1", dir / "inc2"}).code(), StatusCode::kCorruption);
  EXPECT_FALSE(fs::exists(dir / "t"));

  // A non-empty target.
  fs::create_directory(dir / "taken");
  std::ofstream(dir / "taken/x") << "x";
  EXPECT_EQ(restore_backup(dir / "taken", dir / "full").code(), StatusCode::kInvalidArgument);

  // A full backup written to after it was taken no longer matches its manifest.
  {
    auto opened = Store::open(dir / "full");
    ASSERT_TRUE(opened);
    ASSERT_TRUE(opened->insert(Document{{"late", 1}}));
  }
  auto modified = restore_backup(dir / "t", dir / "full", {dir / "inc1"});
  ASSERT_EQ(modified.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(modified.status().message().find("written to"), std::string::npos) << modified.status().message();
  EXPECT_FALSE(fs::exists(dir / "t"));
}

TEST(BackupTest, CloseWaitsForABackupInProgress) {
  testutil::TempDir dir(ram_base());
  auto store = Store::open(dir / "store", churn_options());
  ASSERT_TRUE(store);
  History history;
  write_mixed(*store, history, 0, 400);
  std::optional<Result<BackupInfo>> info;
  std::thread backup([&] { info = store->backup(dir / "backup"); });
  store->close();
  backup.join();
  // Either it ran first, or close() came first.
  ASSERT_TRUE(info.has_value());
  if (*info) {
    EXPECT_EQ(state_of_dir(dir / "backup"), history.at((*info)->revision));
  } else {
    EXPECT_EQ(info->code(), StatusCode::kStoreClosed);
    EXPECT_FALSE(fs::exists(dir / "backup"));
  }
}

}  // namespace
}  // namespace snapstore
