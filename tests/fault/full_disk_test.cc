// ENOSPC in RocksDB's files, its info log included, through the
// fault-injecting file systems (issue 14 item 2, FAULTS.md F8): the info log
// swallows its own failures, so a store whose LOG cannot be written works on;
// a full disk under any other RocksDB file is an IOError naming the failure,
// never an abort, and after space returns a reopen holds every acknowledged
// write (the crash oracle) and none that failed.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "fault/fault_env.h"
#include "fault_rig.h"
#include "recovery/bulk_loader.h"

namespace snapstore::testutil {
namespace {

bool is_rocksdb_file(std::string_view path) { return path.find("/db/") != std::string_view::npos; }

// Inserts, a batch, an index, a checkpoint: everything that writes RocksDB.
// Returns the first failure; the history records what was acknowledged.
Status run_workload(Store& store, SequentialWorkload& work) {
  for (int i = 0; i < 30 && work.step(store); ++i) {
  }
  if (!work.failure().is_ok()) return work.failure();
  fault::History& history = work.history();
  const std::vector<std::string> fields{"batch"};
  const auto index_ticket = history.issue(fault::WorkloadOp{fault::OpKind::kCreateIndex, "by_batch", {}, fields});
  if (Status s = store.create_index("by_batch", fields); s) {
    history.acknowledged(index_ticket, {}, store.revision());
    history.durable_through(store.revision());
  } else if (s.code() == StatusCode::kIndexExists) {
    history.rejected(index_ticket);
  } else {
    return s;
  }
  WriteBatch batch;
  std::vector<fault::History::Ticket> tickets;
  for (int i = 0; i < 5; ++i) {
    Document doc{{"batch", i}, {"n", i}};
    tickets.push_back(history.issue(fault::WorkloadOp{fault::OpKind::kInsert, {}, doc, {}}));
    batch.insert(std::move(doc));
  }
  auto written = store.write(batch);
  if (!written) return written.status();
  for (std::size_t i = 0; i < tickets.size(); ++i) {
    history.acknowledged(tickets[i], (*written)[i].id, (*written)[i].revision);
  }
  history.durable_through(store.revision());
  if (Status s = store.checkpoint(); !s) return s;
  for (int i = 0; i < 10 && work.step(store); ++i) {
  }
  return work.failure();
}

TEST(FullDiskTest, InfoLogThatCannotBeWrittenFailsNothing) {
  FaultRig rig(7);
  rig.state().set_path_filter([](std::string_view path) { return fault::is_info_log(path); });
  rig.state().fail_call(1, fault::IoError::kEnospc, /*forever=*/true);
  const Options options = small_store_options(Durability::kSync);
  SequentialWorkload work(7, Durability::kSync);
  {
    auto store = rig.open(options);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(run_workload(*store, work)) << work.failure().message();
    const auto batch = store->lookup("by_batch", {0});
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->size(), 1U);
    EXPECT_TRUE(store->flush());
    store->close();
  }
  EXPECT_GT(rig.state().failures(), 0U) << "no write of the info log was failed";
  rig.state().clear_failures();
  auto store = rig.open(options);
  ASSERT_TRUE(store) << store.status().message();
  expect_oracle_holds(work.history(), *store, "info log full");
}

// The disk fills at the Nth call on a RocksDB file (its LOG included) and
// stays full. Sampled over the calls a dry run counts, to stay quick.
TEST(FullDiskTest, RocksDbFilesFillingUpAtAnyPointIsAnErrorNeverAnAbort) {
  const Options options = small_store_options(Durability::kSync);
  const auto only_rocksdb = [](std::string_view path) { return is_rocksdb_file(path); };
  std::uint64_t total = 0;
  {
    FaultRig rig(3);
    rig.state().set_path_filter(only_rocksdb);
    SequentialWorkload work(3, Durability::kSync);
    auto store = rig.open(options);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(run_workload(*store, work)) << work.failure().message();
    store->close();
    total = rig.state().calls();
  }
  ASSERT_GT(total, 20U);
  constexpr std::uint64_t kSamples = 10;
  int failed_runs = 0;
  for (std::uint64_t k = 0; k < kSamples; ++k) {
    const std::uint64_t nth = 1 + k * total / kSamples;
    const std::string context = "RocksDB full from its call " + std::to_string(nth) + " of " + std::to_string(total);
    FaultRig rig(3);
    rig.state().set_path_filter(only_rocksdb);
    rig.state().fail_call(nth, fault::IoError::kEnospc, /*forever=*/true);
    SequentialWorkload work(3, Durability::kSync);
    {
      auto store = rig.open(options);
      if (!store) {
        EXPECT_EQ(store.status().code(), StatusCode::kIOError) << context << ": " << store.status().message();
        EXPECT_NE(store.status().message().find("No space left on device"), std::string::npos)
            << context << ": " << store.status().message();
      } else {
        const Status failure = run_workload(*store, work);
        if (!failure) {
          ++failed_runs;
          EXPECT_EQ(failure.code(), StatusCode::kIOError) << context << ": " << failure.message();
          EXPECT_NE(failure.message().find("No space left on device"), std::string::npos)
              << context << ": " << failure.message();
          // Sticky: nothing more is acknowledged until a reopen.
          const Document late{{"written", "after the failure"}};
          const auto ticket = work.history().issue(fault::WorkloadOp{fault::OpKind::kInsert, {}, late, {}});
          auto written = store->insert(late);
          EXPECT_FALSE(written) << context << ": a write was acknowledged after the disk filled";
          if (written) work.history().acknowledged(ticket, written->id, store->revision());
          EXPECT_TRUE(store->read()) << context << ": reads stop";
        }
        store->close();  // its checkpoint fails too: an error, never an abort
      }
    }
    rig.state().clear_failures();  // space freed
    auto store = rig.open(options);
    ASSERT_TRUE(store) << context << ": reopening failed: " << store.status().message();
    expect_oracle_holds(work.history(), *store, context);
  }
  EXPECT_GT(failed_runs, 0) << "no sample reached a write";
}

// What restore does (recovery/bulk_loader.h): table files, ingestion, the
// meta family, a flush. A disk filling at any sampled call is an IOError.
Status bulk_load(rocksdb::Env* env, const std::string& db_dir) {
  auto loader = recovery::BulkLoader::create(db_dir, env);
  if (!loader) return loader.status();
  const std::string document = "\x81\xa1n\x01";  // {"n": 1}
  for (int i = 0; i < 200; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "doc%05d", i % 100 * 2 + i / 100);  // two runs: two table files
    if (Status s = (*loader)->add(id, 1, 1, document); !s) return s;
  }
  return (*loader)->finish(1, {});
}

TEST(FullDiskTest, BulkLoadFillingUpAtAnyPointIsAnError) {
  std::uint64_t total = 0;
  {
    FaultRig rig(5);
    ASSERT_TRUE(bulk_load(rig.env().rocksdb, rig.dir() + "-db")) << "dry run";
    total = rig.state().calls();
  }
  ASSERT_GT(total, 10U);
  constexpr std::uint64_t kSamples = 8;
  std::uint64_t errors = 0;
  for (std::uint64_t k = 0; k < kSamples; ++k) {
    const std::uint64_t nth = 1 + k * total / kSamples;
    FaultRig rig(5);
    rig.state().fail_call(nth, fault::IoError::kEnospc, /*forever=*/true);
    const Status s = bulk_load(rig.env().rocksdb, rig.dir() + "-db");
    if (s) continue;  // e.g. only the info log failed, which fails nothing
    ++errors;
    EXPECT_EQ(s.code(), StatusCode::kIOError) << "call " << nth << ": " << s.message();
    EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << "call " << nth << ": " << s.message();
  }
  EXPECT_GE(errors, kSamples / 2) << "too few samples reached the load's writes";
}

// A WAL append whose write() went through but whose fdatasync failed (a
// full disk, or EIO) returned an error; its record must not come back on
// the next open, although the page cache still holds it.
TEST(FullDiskTest, FailedWalSyncIsNotReplayedOnReopen) {
  for (const fault::IoError error : {fault::IoError::kEnospc, fault::IoError::kEio}) {
    FaultRig rig(11);
    const Options options = small_store_options(Durability::kSync);
    {
      auto store = rig.open(options);
      ASSERT_TRUE(store) << store.status().message();
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->insert(Document{{"n", i}}));
      rig.state().fail_call(1, error, /*forever=*/false, static_cast<unsigned>(fault::IoCall::kSync));
      auto failed = store->insert(Document{{"n", 99}});
      ASSERT_FALSE(failed);
      EXPECT_EQ(failed.status().code(), StatusCode::kIOError) << failed.status().message();
      EXPECT_NE(failed.status().message().find("/wal/"), std::string::npos) << failed.status().message();
      EXPECT_FALSE(store->insert(Document{{"n", 100}})) << "errors are sticky until a reopen";
      store->close();
    }
    rig.state().clear_failures();
    auto store = rig.open(options);  // no power cut: the unsynced bytes would still be there
    ASSERT_TRUE(store) << store.status().message();
    EXPECT_EQ(store->size(), 3U) << "the insert whose sync failed came back";
    EXPECT_EQ(store->revision(), 3U);
    // Writes resume after the reopen.
    EXPECT_TRUE(store->insert(Document{{"n", 4}}));
  }
}

}  // namespace
}  // namespace snapstore::testutil
