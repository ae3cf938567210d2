// WAL segments written through a shared mapping (`none` and `periodic`
// durability, D101): the same bytes as written ones; a live segment's zeroed
// reservation read as preallocated space by the reader, the tail and the
// segment check; a full disk at the grow an error that loses nothing, both
// injected (fault Env) and real (a file size limit, in a child process).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fault/fault_env.h"
#include "fault_rig.h"
#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"
#include "wal/reader.h"
#include "wal/record.h"
#include "wal/tail.h"
#include "wal/writer.h"

namespace snapstore::testutil {
namespace {

std::string ops_for(int n, std::size_t bytes = 40) {
  return wal::encode_operations(
      {wal::Operation{wal::OpType::kInsert, "doc-" + std::to_string(n), 1, std::string(bytes, 'x'), {}}});
}

wal::WriterOptions none_mode(bool mapped, std::uint64_t segment_bytes = 1 << 20) {
  wal::WriterOptions options;
  options.sync_every_group = false;
  options.map_segments = mapped;
  options.segment_bytes = segment_bytes;
  return options;
}

std::string segment_path(const std::string& dir, std::uint64_t first_lsn) {
  return wal::join_path(dir, wal::SegmentName::for_lsn(first_lsn));
}

TEST(MappedWalTest, MappedSegmentsHoldTheBytesOfWrittenOnes) {
  TempDir temp;
  std::vector<std::string> dirs;
  for (const bool mapped : {false, true}) {
    const std::string dir = temp / (mapped ? "mapped" : "written");
    ASSERT_TRUE(wal::Env::posix()->create_dir(dir));
    // Small segments: several rotations, one record larger than a segment.
    auto writer = wal::LogWriter::open(wal::Env::posix(), dir, 1, none_mode(mapped, 4096), nullptr);
    ASSERT_TRUE(writer) << writer.status().message();
    for (int i = 0; i < 300; ++i) ASSERT_TRUE((*writer)->append(ops_for(i, i == 100 ? 20000 : 40), 1));
    ASSERT_TRUE((*writer)->sync());
    for (int i = 300; i < 310; ++i) ASSERT_TRUE((*writer)->append(ops_for(i), 1));
    ASSERT_TRUE((*writer)->close());
    dirs.push_back(dir);
  }
  auto names = wal::Env::posix()->list_dir(dirs[0]);
  ASSERT_TRUE(names);
  EXPECT_GT(names->size(), 3U);
  for (const std::string& name : *names) {
    EXPECT_EQ(read_bytes(wal::join_path(dirs[1], name)), read_bytes(wal::join_path(dirs[0], name))) << name;
  }
  EXPECT_EQ(wal::Env::posix()->list_dir(dirs[1])->size(), names->size());
}

// Records of 1 KiB or more go through pwrite() into the mapped file, the
// smaller ones through the mapping (D117): any mix of the two, a record
// ending or starting mid-page after the other kind, holds the written
// segment's bytes, and the reader visits every record of both.
TEST(MappedWalTest, RecordsWrittenAndStoredThroughTheMappingInTurnHoldTheSameBytes) {
  TempDir temp;
  const std::size_t sizes[] = {40, 1000, 1024, 40, 4097, 10, 30000, 960, 40, 8191, 40, 65536, 1, 4000, 200};
  std::vector<std::string> dirs;
  for (const bool mapped : {false, true}) {
    const std::string dir = temp / (mapped ? "mapped" : "written");
    ASSERT_TRUE(wal::Env::posix()->create_dir(dir));
    auto writer = wal::LogWriter::open(wal::Env::posix(), dir, 1, none_mode(mapped, 256 << 10), nullptr);
    ASSERT_TRUE(writer) << writer.status().message();
    int n = 0;
    for (int round = 0; round < 6; ++round) {
      for (const std::size_t bytes : sizes) ASSERT_TRUE((*writer)->append(ops_for(n++, bytes + round), 1));
    }
    ASSERT_TRUE((*writer)->close());
    dirs.push_back(dir);
  }
  auto names = wal::Env::posix()->list_dir(dirs[0]);
  ASSERT_TRUE(names);
  EXPECT_GT(names->size(), 1U);
  for (const std::string& name : *names) {
    EXPECT_EQ(read_bytes(wal::join_path(dirs[1], name)), read_bytes(wal::join_path(dirs[0], name))) << name;
  }
  std::vector<std::size_t> document_sizes;
  auto read = wal::read_log(wal::Env::posix(), dirs[1], 0, [&](const wal::Batch& batch) {
    for (const wal::Operation& op : batch.ops) document_sizes.push_back(op.document.size());
    return Status::ok();
  });
  ASSERT_TRUE(read) << read.status().message();
  ASSERT_EQ(document_sizes.size(), 6 * std::size(sizes));
  for (std::size_t i = 0; i < document_sizes.size(); ++i) {
    EXPECT_EQ(document_sizes[i], sizes[i % std::size(sizes)] + i / std::size(sizes)) << i;
  }
}

TEST(MappedWalTest, LiveSegmentEndsInZerosThatReadersTakeForPreallocatedSpace) {
  TempDir temp;
  const std::string dir = temp.path();
  auto writer = wal::LogWriter::open(wal::Env::posix(), dir, 1, none_mode(true), nullptr);
  ASSERT_TRUE(writer) << writer.status().message();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE((*writer)->append(ops_for(i), 1));

  // Not synced, not closed: a read() sees every record (the page cache holds
  // them), followed by the zeroed reservation.
  const std::string bytes = read_bytes(segment_path(dir, 1));
  EXPECT_EQ(bytes.size(), wal::kFirstPreallocation);
  auto summary = wal::read_log(wal::Env::posix(), dir, 0, [](const wal::Batch&) { return Status::ok(); });
  ASSERT_TRUE(summary) << summary.status().message();
  EXPECT_EQ(summary->records, 50U);
  ASSERT_TRUE(summary->torn_tail);
  EXPECT_EQ(summary->torn_tail->reason, "zeroed tail");
  auto checks = wal::check_segments(wal::Env::posix(), dir);
  ASSERT_TRUE(checks);
  ASSERT_EQ(checks->size(), 1U);
  EXPECT_EQ((*checks)[0].records, 50U);
  EXPECT_EQ((*checks)[0].damage, "");
  wal::LogTail tail(wal::Env::posix(), dir, 1);
  auto polled = tail.poll([](const wal::Batch&) { return Status::ok(); });
  ASSERT_TRUE(polled) << polled.status().message();
  EXPECT_EQ(polled->batches, 50U);

  // Closing cuts the segment back to its records.
  ASSERT_TRUE((*writer)->close());
  EXPECT_EQ(read_bytes(segment_path(dir, 1)), bytes.substr(0, bytes.find_last_not_of('\0') + 1));
  summary = wal::read_log(wal::Env::posix(), dir, 0, [](const wal::Batch&) { return Status::ok(); });
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->records, 50U);
  EXPECT_FALSE(summary->torn_tail);
}

// The tail reads a live segment a window at a time (so that a poll does not
// read the whole zeroed reservation): records cut by a window's end, one
// larger than a window, and records appended after a poll are all visited,
// in order, once.
TEST(MappedWalTest, TailReadsRecordsAcrossItsReadWindowsOnce) {
  TempDir temp;
  const std::string dir = temp.path();
  auto writer = wal::LogWriter::open(wal::Env::posix(), dir, 1, none_mode(true, 4 << 20), nullptr);
  ASSERT_TRUE(writer) << writer.status().message();
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 400; ++i) sizes.push_back(1 + (static_cast<std::size_t>(i) * 977) % 3000);
  sizes[200] = 300 << 10;  // larger than a window
  auto append = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      ASSERT_TRUE((*writer)->append(ops_for(static_cast<int>(i), sizes[i]), 1));
    }
  };
  std::vector<std::size_t> seen;
  auto record = [&](const wal::Batch& batch) {
    for (const auto& op : batch.ops) seen.push_back(op.document.size());
    return Status::ok();
  };
  wal::LogTail tail(wal::Env::posix(), dir, 1);
  append(0, 250);
  auto polled = tail.poll(record);
  ASSERT_TRUE(polled) << polled.status().message();
  EXPECT_EQ(polled->batches, 250U);
  append(250, 400);
  polled = tail.poll(record);
  ASSERT_TRUE(polled) << polled.status().message();
  EXPECT_EQ(polled->batches, 150U);
  polled = tail.poll(record);
  ASSERT_TRUE(polled);
  EXPECT_EQ(polled->batches, 0U);
  EXPECT_EQ(seen, sizes);
  EXPECT_EQ(tail.next_lsn(), 401U);
  ASSERT_TRUE((*writer)->close());
}

// The grow of a mapped segment is a counted call of the fault Env: a full
// disk there fails the write that needed the space and every one after it
// (sticky), and a reopen holds every insert that was acknowledged.
TEST(MappedWalTest, FullDiskAtTheGrowIsAnErrorAndLosesNothing) {
  FaultRig rig(3);
  Options options = small_store_options(Durability::kNone);
  options.checkpoint_wal_bytes = 1 << 20;
  std::vector<std::string> acknowledged;
  {
    auto store = rig.open(options);
    ASSERT_TRUE(store) << store.status().message();
    // Each new 4 KiB segment reserves its space once: the third one fails.
    rig.state().fail_call(3, fault::IoError::kEnospc, /*forever=*/true, static_cast<unsigned>(fault::IoCall::kGrow));
    Status failure;
    for (int i = 0; i < 2000 && failure.is_ok(); ++i) {
      auto written = store->insert(Document{{"n", i}, {"pad", std::string(40, 'p')}});
      if (written) {
        acknowledged.push_back(written->id);
      } else {
        failure = written.status();
      }
    }
    ASSERT_FALSE(failure.is_ok()) << "no write failed: the grow's error was lost";
    EXPECT_EQ(failure.code(), StatusCode::kIOError);
    EXPECT_NE(failure.message().find("grow"), std::string::npos) << failure.message();
    EXPECT_NE(failure.message().find("No space left"), std::string::npos) << failure.message();
    EXPECT_FALSE(store->insert(Document{{"late", 1}})) << "the error is not sticky";
    EXPECT_GT(acknowledged.size(), 20U);
    store->close();
  }
  rig.state().clear_failures();
  auto store = rig.open(options);
  ASSERT_TRUE(store) << store.status().message();
  EXPECT_EQ(store->size(), acknowledged.size());
  for (const std::string& id : acknowledged) EXPECT_TRUE(store->get(id)) << id;
}

// A real allocation failure (here the process's file size limit, which
// fallocate obeys like a full disk's ENOSPC): the reserve reports it and the
// process goes on; nothing is stored past the allocated space, so no SIGBUS.
TEST(MappedWalTest, RealGrowFailureIsAnErrorNotASignal) {
  TempDir temp;
  const std::string dir = temp.path();
  constexpr int kLimit = 256 << 10;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
    const rlimit limit{kLimit, kLimit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    auto writer = wal::LogWriter::open(wal::Env::posix(), dir, 1, none_mode(true), nullptr);
    if (!writer) ::_exit(11);
    int written = 0;
    Status failure;
    while (failure.is_ok() && written < 10000) {
      auto lsn = (*writer)->append(ops_for(written, 500), 1);
      if (lsn) {
        ++written;
      } else {
        failure = lsn.status();
      }
    }
    if (failure.is_ok()) ::_exit(12);
    if (failure.message().find("allocate") == std::string::npos) ::_exit(13);
    (void)(*writer)->close();
    // The records acknowledged, for the parent to count.
    ::_exit(written / 100 + 20);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  ASSERT_GE(WEXITSTATUS(status), 20) << "child exit " << WEXITSTATUS(status);
  const int at_least = (WEXITSTATUS(status) - 20) * 100;
  auto summary = wal::read_log(wal::Env::posix(), dir, 0, [](const wal::Batch&) { return Status::ok(); });
  ASSERT_TRUE(summary) << summary.status().message();
  EXPECT_GE(summary->records, static_cast<std::uint64_t>(at_least));
  EXPECT_GT(summary->records, 300U);
  EXPECT_LE(read_bytes(segment_path(dir, 1)).size(), static_cast<std::size_t>(kLimit));
}

}  // namespace
}  // namespace snapstore::testutil
