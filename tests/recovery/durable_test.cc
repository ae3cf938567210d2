// Durable stores: reopening gives back exactly what was acknowledged —
// documents, versions, revisions, index definitions and contents — after a
// clean close, after SIGKILL of a writing child in every durability mode, and
// after the crashes a checkpoint can suffer; torn tails are cut, corruption
// and gaps refuse to open, and the directory lock keeps a second opener out.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "recovery/workloads.h"
#include "wal/reader.h"
#include "snapstore/store.h"
#include "testutil/child_process.h"
#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::read_bytes;
using testutil::TempDir;
using testutil::write_bytes;

// Everything observable about a store, for before/after comparisons.
struct StoreState {
  std::map<std::string, DocumentResult> documents;
  std::map<std::string, std::vector<std::string>> index_fields;
  std::map<std::string, std::vector<std::string>> index_contents;  // ids in index order
  std::uint64_t revision = 0;

  friend bool operator==(const StoreState& a, const StoreState& b) {
    if (a.documents.size() != b.documents.size()) return false;
    for (const auto& [id, doc] : a.documents) {
      const auto it = b.documents.find(id);
      if (it == b.documents.end() || it->second.data != doc.data || it->second.version != doc.version ||
          it->second.revision != doc.revision) {
        return false;
      }
    }
    return a.index_fields == b.index_fields && a.index_contents == b.index_contents && a.revision == b.revision;
  }
};

StoreState capture(const Store& store) {
  StoreState state;
  Stream stream = store.stream();
  while (auto doc = stream.next()) state.documents.emplace(doc->id, std::move(*doc));
  for (const IndexInfo& info : store.indexes()) {
    state.index_fields[info.name] = info.fields;
    const auto members = store.lookup_range(info.name, {}, {});
    for (const auto& doc : members.value()) state.index_contents[info.name].push_back(doc.id);
  }
  state.revision = store.revision();
  return state;
}

Options fast_options() {
  Options options;
  options.durability = Durability::kNone;
  return options;
}

std::vector<std::string> segment_paths(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir + "/wal")) paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Where the records of the last segment end: a crashed `sync` segment goes on
// with the zeros written ahead of its records (D109), a "zeroed tail".
std::uint64_t records_end(const std::string& dir) {
  auto summary = wal::read_log(wal::Env::posix(), dir + "/wal", 0, [](const wal::Batch&) { return Status::ok(); });
  EXPECT_TRUE(summary) << summary.status().message();
  if (summary && summary->torn_tail) return summary->torn_tail->offset;
  return fs::file_size(segment_paths(dir).back());
}

// A child process running tests/recovery/crash_child.cc with `args`; its
// stdout is readable through `out`.
class Child : public testutil::ChildProcess {
 public:
  explicit Child(const std::vector<std::string>& args) : ChildProcess(SNAPSTORE_CRASH_CHILD, args) {}
};

int run_child(const std::vector<std::string>& args) { return Child(args).wait(); }

TEST(DurableStoreTest, CloseAndReopenGivesBackEverything) {
  TempDir dir;
  StoreState before;
  {
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    ASSERT_TRUE(testutil::write_history(*store, 300).is_ok());
    before = capture(*store);
    store->close();
  }
  auto reopened = Store::open(dir.path());
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().message();
  EXPECT_EQ(capture(*reopened), before);
  // After a clean close everything comes from RocksDB: nothing to replay.
  EXPECT_EQ(reopened->open_report().records_replayed, 0U);
  EXPECT_EQ(reopened->open_report().documents_loaded, before.documents.size());
  // The revision sequence continues.
  auto w = reopened->insert(Document{{"x", 1}});
  ASSERT_TRUE(w.is_ok());
  EXPECT_EQ(w->revision, before.revision + 1);
}

TEST(DurableStoreTest, ReopenWithoutCheckpointReplaysTheWal) {
  TempDir dir;
  StoreState before;
  ASSERT_EQ(run_child({"history", dir.path(), "200"}), 0);
  auto first = Store::open(dir.path());
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_GT(first->open_report().records_replayed, 0U);
  before = capture(*first);
  EXPECT_EQ(before.index_fields.count("doomed"), 0U);
  EXPECT_EQ(before.index_fields.size(), 2U);
  first->close();
  // Reopening again changes nothing (recovery is idempotent).
  auto second = Store::open(dir.path());
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(capture(*second), before);
}

// A child inserts and updates in a loop and reports every acknowledgement
// over a pipe; the parent SIGKILLs it and checks that every acknowledged
// write survived.
void kill_while_writing(const std::string& durability) {
  TempDir dir;
  std::vector<std::pair<std::string, int>> inserted;
  std::string counter_id;
  std::uint64_t counter_version = 0;
  const int target = durability == "sync" ? 150 : 2000;
  {
    Child child({"loop", dir.path(), durability});
    char id[64], cid[64];
    int seq = 0;
    unsigned long long version = 0;
    while (static_cast<int>(inserted.size()) < target &&
           fscanf(child.out(), "%63s %d %63s %llu", id, &seq, cid, &version) == 4) {
      inserted.emplace_back(id, seq);
      counter_id = cid;
      counter_version = version;
    }
    child.kill_now();
    child.wait();
    // Acknowledgements still in the pipe were acknowledged too.
    while (fscanf(child.out(), "%63s %d %63s %llu", id, &seq, cid, &version) == 4) {
      inserted.emplace_back(id, seq);
      counter_version = version;
    }
  }
  ASSERT_GE(static_cast<int>(inserted.size()), target) << "the child stopped early";

  auto store = Store::open(dir.path());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  for (const auto& [doc_id, doc_seq] : inserted) {
    auto doc = store->get(doc_id);
    ASSERT_TRUE(doc.is_ok()) << "acknowledged insert " << doc_id << " lost: " << doc.status().message();
    EXPECT_EQ(doc->data.at("seq"), Value(doc_seq));
  }
  auto counter = store->get(counter_id);
  ASSERT_TRUE(counter.is_ok());
  // The acknowledged update is there; at most one later, unacknowledged one too.
  EXPECT_GE(counter->version, counter_version);
  EXPECT_LE(counter->version, counter_version + 1);
  // Prefix: the index agrees with a scan.
  EXPECT_EQ(store->lookup_range("by_seq", {}, {})->size(), store->size() - 1);
}

TEST(DurableStoreTest, SigkillLosesNoAcknowledgedWriteInSyncMode) { kill_while_writing("sync"); }
TEST(DurableStoreTest, SigkillLosesNoAcknowledgedWriteInPeriodicMode) { kill_while_writing("periodic"); }
TEST(DurableStoreTest, SigkillLosesNoAcknowledgedWriteInNoneMode) { kill_while_writing("none"); }

// Writes `n` documents in a child that exits without closing: the files are
// left as a crash leaves them (WAL written, nothing checkpointed).
void write_and_crash(const std::string& dir, int n, std::uint64_t segment_bytes = 64ULL << 20) {
  ASSERT_EQ(run_child({"write", dir, std::to_string(n), std::to_string(segment_bytes)}), 0);
}

TEST(DurableStoreTest, TornTailIsTruncatedAndReported) {
  TempDir dir;
  write_and_crash(dir.path(), 20);
  const std::string last = segment_paths(dir.path()).back();
  const auto intact_size = records_end(dir.path());
  std::string bytes = read_bytes(last);
  bytes.resize(intact_size);
  bytes += std::string("\x07\x00\x00garbage-of-a-torn-write", 25);
  write_bytes(last, bytes);
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  const OpenReport report = store->open_report();
  EXPECT_EQ(report.torn_tail_bytes, 25U);
  EXPECT_EQ(report.torn_tail_file, last);
  EXPECT_EQ(report.torn_tail_offset, intact_size);
  EXPECT_EQ(store->size(), 20U);
  EXPECT_EQ(fs::file_size(last), intact_size);  // cut off
}

TEST(DurableStoreTest, CorruptionInTheMiddleRefusesToOpenNamingFileAndOffset) {
  TempDir dir;
  write_and_crash(dir.path(), 10);
  const std::string last = segment_paths(dir.path()).back();
  std::string bytes = read_bytes(last);
  bytes[60] ^= 0x01;  // inside the first record's payload (it starts at 32)
  write_bytes(last, bytes);
  auto store = Store::open(dir.path());
  ASSERT_EQ(store.code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find(last), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("offset 32"), std::string::npos) << store.status().message();
}

// RecoveryPolicy::kRepair keeps the valid prefix, sets the damaged segment
// aside, says what it dropped, and a second open finds nothing to repair.
TEST(DurableStoreTest, RepairKeepsTheValidPrefixAndSetsTheDamageAside) {
  TempDir dir;
  write_and_crash(dir.path(), 10);
  const std::string last = segment_paths(dir.path()).back();
  const std::string original = read_bytes(last);
  std::string bytes = original;
  bytes[records_end(dir.path()) / 2] ^= 0x01;  // inside the records, not the zeros after them
  write_bytes(last, bytes);
  ASSERT_EQ(Store::open(dir.path()).code(), StatusCode::kCorruption);

  Options repair;
  repair.recovery_policy = RecoveryPolicy::kRepair;
  std::size_t kept = 0;
  {
    auto store = Store::open(dir.path(), repair);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    const OpenReport report = store->open_report();
    EXPECT_EQ(report.repaired_file, last);
    EXPECT_GT(report.repaired_offset, 32U);
    EXPECT_EQ(report.repaired_bytes_dropped, original.size() - report.repaired_offset);
    EXPECT_NE(report.repaired_reason.find("checksum"), std::string::npos) << report.repaired_reason;
    ASSERT_EQ(report.set_aside, std::vector<std::string>{last + ".damaged"});
    EXPECT_EQ(read_bytes(last + ".damaged"), bytes);
    kept = store->size();
    EXPECT_GT(kept, 0U);
    EXPECT_LT(kept, 10U);
    EXPECT_EQ(report.repaired_first_lost_lsn, kept + 1);
    // A prefix: documents 0..kept-1, each once.
    auto cursor = store->read();
    ASSERT_TRUE(cursor);
    std::vector<std::int64_t> seen;
    for (auto step = cursor->next(); step && step->document; step = cursor->next()) {
      seen.push_back(step->document->data.at("i").as_int());
      if (!step->has_more) break;
    }
    std::sort(seen.begin(), seen.end());
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<std::int64_t>(i));
    ASSERT_TRUE(store->insert(Document{{"after", "repair"}}));
  }
  auto again = Store::open(dir.path(), repair);
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_TRUE(again->open_report().repaired_file.empty());
  EXPECT_EQ(again->size(), kept + 1);
}

TEST(DurableStoreTest, RepairSetsAsideEverySegmentAfterAMissingOne) {
  TempDir dir;
  write_and_crash(dir.path(), 300, 4096);
  const auto segments = segment_paths(dir.path());
  ASSERT_GT(segments.size(), 3U);
  fs::remove(segments[1]);
  Options repair;
  repair.recovery_policy = RecoveryPolicy::kRepair;
  auto store = Store::open(dir.path(), repair);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  const OpenReport report = store->open_report();
  EXPECT_NE(report.repaired_reason.find("LSN gap"), std::string::npos) << report.repaired_reason;
  EXPECT_EQ(report.set_aside.size(), segments.size() - 2);
  EXPECT_EQ(store->revision(), report.repaired_first_lost_lsn - 1);
  for (std::size_t i = 2; i < segments.size(); ++i) EXPECT_TRUE(fs::exists(segments[i] + ".damaged")) << i;
}

TEST(DurableStoreTest, MissingMiddleSegmentRefusesToOpen) {
  TempDir dir;
  write_and_crash(dir.path(), 300, 4096);
  const auto segments = segment_paths(dir.path());
  ASSERT_GT(segments.size(), 3U);
  fs::remove(segments[1]);
  auto store = Store::open(dir.path());
  ASSERT_EQ(store.code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find("LSN gap"), std::string::npos) << store.status().message();
}

// A checkpoint flushes RocksDB, then removes the WAL segments it covers.
// Restoring the removed segments afterwards recreates the files a crash
// between the two steps (all restored) or during removal (a suffix restored:
// removal goes oldest first) would leave.
TEST(DurableStoreTest, CrashBetweenCheckpointFlushAndSegmentRemovalLosesNothing) {
  for (const bool restore_all : {true, false}) {
    SCOPED_TRACE(restore_all ? "crash before removal" : "crash during removal");
    TempDir dir;
    StoreState before;
    std::map<std::string, std::string> saved;
    {
      Options options = fast_options();
      options.wal_segment_bytes = 4096;
      auto store = Store::open(dir.path(), options);
      ASSERT_TRUE(store.is_ok());
      ASSERT_TRUE(testutil::write_history(*store, 150).is_ok());
      ASSERT_TRUE(store->flush().is_ok());
      for (const auto& path : segment_paths(dir.path())) saved[path] = read_bytes(path);
      ASSERT_TRUE(store->checkpoint().is_ok());
      EXPECT_LT(segment_paths(dir.path()).size(), saved.size());
      before = capture(*store);
      // Keep the files as the checkpoint left them; close() would go on.
      std::map<std::string, std::string> after;
      for (const auto& path : segment_paths(dir.path())) after[path] = read_bytes(path);
      store->close();
      for (const auto& path : segment_paths(dir.path())) fs::remove(path);
      for (const auto& [path, bytes] : after) write_bytes(path, bytes);
    }
    std::size_t restored = 0;
    std::size_t i = 0;
    for (const auto& [path, bytes] : saved) {
      const bool removed_by_checkpoint = !fs::exists(path);
      if (removed_by_checkpoint && (restore_all || i >= saved.size() / 2)) {
        write_bytes(path, bytes);
        ++restored;
      }
      ++i;
    }
    EXPECT_GT(restored, 0U);
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    EXPECT_EQ(capture(*store), before);
    store->close();
    auto again = Store::open(dir.path());
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(capture(*again), before);
  }
}

TEST(DurableStoreTest, SecondOpenInTheSameProcessIsBusy) {
  TempDir dir;
  auto first = Store::open(dir.path(), fast_options());
  ASSERT_TRUE(first.is_ok());
  auto second = Store::open(dir.path(), fast_options());
  ASSERT_EQ(second.code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find(dir.path()), std::string::npos);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(getpid())), std::string::npos)
      << second.status().message();
  first->close();
  EXPECT_TRUE(Store::open(dir.path(), fast_options()).is_ok());  // released by close
}

TEST(DurableStoreTest, OpenFromAnotherProcessIsBusy) {
  TempDir dir;
  auto first = Store::open(dir.path(), fast_options());
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ(run_child({"write", dir.path(), "1", "4096"}), 3);  // crash_child's exit code for Busy
}

TEST(DurableStoreTest, ReadOnlyOpenRefusesWritesAndLeavesFilesAlone) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), fast_options());
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE(store->insert(Document{{"a", 1}}).is_ok());
  }
  Options options;
  options.read_only = true;
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ(store->size(), 1U);
  EXPECT_EQ(store->insert(Document{{"a", 2}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->create_index("i", {"a"}).code(), StatusCode::kInvalidArgument);
}

TEST(DurableStoreTest, CreateIfMissingAndErrorIfExists) {
  TempDir dir;
  Options no_create;
  no_create.create_if_missing = false;
  EXPECT_EQ(Store::open(dir / "absent", no_create).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Store::open(dir / "s").is_ok());
  Options exclusive;
  exclusive.error_if_exists = true;
  EXPECT_EQ(Store::open(dir / "s", exclusive).code(), StatusCode::kInvalidArgument);
}

TEST(DurableStoreTest, SyncModeAcknowledgesOnlyDurableWrites) {
  TempDir dir;
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store.is_ok());
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto w = store->insert(Document{{"i", i}});
        ASSERT_TRUE(w.is_ok());
        EXPECT_LE(w->revision, store->durable_revision());
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(store->durable_revision(), store->revision());
}

}  // namespace
}  // namespace snapstore

namespace snapstore {
namespace {

TEST(DurableStoreTest, CheckpointsKeepTheWalBoundedUnderSteadyWrites) {
  TempDir dir;
  Options options = fast_options();
  options.wal_segment_bytes = 16 << 10;
  options.checkpoint_wal_bytes = 64 << 10;
  options.max_mirror_lag_bytes = 32 << 10;  // writers wait for the applier beyond this
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store.is_ok());
  std::size_t most_segments = 0;
  for (int i = 0; i < 6000; ++i) {
    ASSERT_TRUE(store->insert(Document{{"i", i}, {"pad", std::string(60, 'p')}}).is_ok());
    if (i % 500 == 0) most_segments = std::max(most_segments, segment_paths(dir.path()).size());
  }
  // ~600 KB of records went through 16 KB segments. The WAL holds at most
  // what came since the last checkpoint (64 KB) plus what the applier has not
  // reached (at most 32 KB) plus the active segment: about 8 segments.
  EXPECT_LT(most_segments, 20U);
  store->close();
  auto reopened = Store::open(dir.path());
  ASSERT_TRUE(reopened.is_ok());
  EXPECT_EQ(reopened->size(), 6000U);
}

}  // namespace
}  // namespace snapstore

namespace snapstore {
namespace {

// A power cut in none/periodic mode can lose a WAL tail that a checkpoint had
// already flushed into RocksDB. The next open starts a new segment after
// RocksDB's state; a crash after more writes must not make the lost tail look
// like a missing segment.
TEST(DurableStoreTest, LostWalTailBehindACheckpointDoesNotBlockLaterOpens) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), fast_options());
    ASSERT_TRUE(store.is_ok());
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->insert(Document{{"i", i}}).is_ok());
    store->close();  // checkpoint: RocksDB holds all 50
  }
  // The power cut: the last segment loses its tail (records RocksDB has).
  const std::string last = segment_paths(dir.path()).back();
  const std::string bytes = read_bytes(last);
  ASSERT_GT(bytes.size(), 200U);
  write_bytes(last, bytes.substr(0, bytes.size() - 150));
  // The next open cuts the torn tail and starts a segment at LSN 51; more
  // writes, then a crash before any checkpoint could retire the old segment.
  write_and_crash(dir.path(), 10);
  ASSERT_EQ(segment_paths(dir.path()).size(), 2U);
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ(store->size(), 60U);
}

}  // namespace
}  // namespace snapstore
