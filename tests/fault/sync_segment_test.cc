// `sync` WAL segments with zeros written ahead of their records (D109): the
// helper thread's zeros are there, are read as preallocated space, are cut
// off a sealed segment; a power cut at any I/O call of the writer or the
// helper keeps every acknowledged record and reads the zeros as reserved
// space; a full disk while zeroing is a sticky error that loses nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fault/fault_env.h"
#include "fault_rig.h"
#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"
#include "wal/reader.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace snapstore::testutil {
namespace {

std::string ops_for(int n, std::size_t bytes = 200) {
  return wal::encode_operations(
      {wal::Operation{wal::OpType::kInsert, "doc-" + std::to_string(n), 1, std::string(bytes, 'x'), {}}});
}

// Small chunks and segments, so a short test zeroes and rotates often.
wal::WriterOptions sync_mode(std::uint64_t zero_chunk = 16 << 10, std::uint64_t segment_bytes = 256 << 10) {
  wal::WriterOptions options;
  options.sync_every_group = true;
  options.segment_bytes = segment_bytes;
  options.zero_chunk = zero_chunk;
  return options;
}

std::string segment_path(const std::string& dir, std::uint64_t first_lsn) {
  return wal::join_path(dir, wal::SegmentName::for_lsn(first_lsn));
}

// Waits (bounded) until the helper has zeroed past `end`.
bool zeroed_past(const wal::LogWriter& writer, std::uint64_t end) {
  for (int i = 0; i < 2000 && writer.zeroed_end() <= end; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return writer.zeroed_end() > end;
}

bool all_zero(std::string_view bytes) { return bytes.find_first_not_of('\0') == std::string_view::npos; }

Result<wal::ReadSummary> read_all(wal::Env* env, const std::string& dir, std::vector<std::uint64_t>* lsns = nullptr) {
  return wal::read_log(env, dir, 0, [&](const wal::Batch& batch) {
    if (lsns != nullptr) lsns->push_back(batch.first_lsn);
    return Status::ok();
  });
}

TEST(SyncSegmentTest, ZerosAreWrittenAheadOfTheRecordsAndReadAsPreallocatedSpace) {
  TempDir temp(FaultRig::ram_dir());
  const std::string dir = temp.path();
  auto writer = wal::LogWriter::open(wal::Env::posix(), dir, 1, sync_mode(), nullptr);
  ASSERT_TRUE(writer) << writer.status().message();
  ASSERT_TRUE((*writer)->append(ops_for(0), 1));
  // The helper starts a quarter chunk past the records, off the write path.
  ASSERT_TRUE(zeroed_past(**writer, 16 << 10));
  // Once fewer than half a chunk of zeros is left ahead, the next chunk.
  for (int i = 1; i < 60; ++i) ASSERT_TRUE((*writer)->append(ops_for(i), 1));
  ASSERT_TRUE(zeroed_past(**writer, 24 << 10));

  const std::string bytes = read_bytes(segment_path(dir, 1));
  EXPECT_GE(bytes.size(), (*writer)->zeroed_end());
  std::vector<std::uint64_t> lsns;
  auto summary = read_all(wal::Env::posix(), dir, &lsns);
  ASSERT_TRUE(summary) << summary.status().message();
  ASSERT_EQ(lsns.size(), 60U);
  EXPECT_EQ(summary->last_lsn, 60U);
  // Everything past the last record is the helper's zeros: a zeroed tail.
  ASSERT_TRUE(summary->torn_tail.has_value());
  EXPECT_EQ(summary->torn_tail->reason, "zeroed tail");
  EXPECT_TRUE(all_zero(std::string_view(bytes).substr(summary->torn_tail->offset)));
  EXPECT_GT(bytes.size(), summary->torn_tail->offset);

  // Closing cuts the zeros off: the segment ends with its last record.
  const std::uint64_t records_end = summary->torn_tail->offset;
  ASSERT_TRUE((*writer)->close());
  EXPECT_EQ(read_bytes(segment_path(dir, 1)).size(), records_end);
  summary = read_all(wal::Env::posix(), dir);
  ASSERT_TRUE(summary) << summary.status().message();
  EXPECT_FALSE(summary->torn_tail.has_value());
}

TEST(SyncSegmentTest, SealedSegmentsEndWithTheirLastRecordAndHoldTheBytesOfUnzeroedOnes) {
  TempDir temp(FaultRig::ram_dir());
  std::vector<std::string> dirs;
  for (const std::uint64_t chunk : {std::uint64_t{0}, std::uint64_t{4 << 10}}) {
    const std::string dir = temp / ("chunk" + std::to_string(chunk));
    ASSERT_TRUE(wal::Env::posix()->create_dir(dir));
    auto writer = wal::LogWriter::open(wal::Env::posix(), dir, 1, sync_mode(chunk, 16 << 10), nullptr);
    ASSERT_TRUE(writer) << writer.status().message();
    // Several rotations, one record larger than a chunk.
    for (int i = 0; i < 200; ++i) ASSERT_TRUE((*writer)->append(ops_for(i, i == 70 ? 20000 : 300), 1));
    ASSERT_TRUE((*writer)->close());
    dirs.push_back(dir);
  }
  auto names = wal::Env::posix()->list_dir(dirs[0]);
  ASSERT_TRUE(names);
  EXPECT_GT(names->size(), 3U);
  EXPECT_EQ(wal::Env::posix()->list_dir(dirs[1])->size(), names->size());
  for (const std::string& name : *names) {
    EXPECT_EQ(read_bytes(wal::join_path(dirs[1], name)), read_bytes(wal::join_path(dirs[0], name))) << name;
  }
  auto checks = wal::check_segments(wal::Env::posix(), dirs[1]);
  ASSERT_TRUE(checks);
  for (const wal::SegmentCheck& check : *checks) EXPECT_TRUE(check.damage.empty()) << check.path << ": " << check.damage;
}

// Every counted I/O call of the writer and its helper in turn is the one
// at which the power fails (it and every call after it fail); then each kind
// of power cut. Every acknowledged record must be read back, in order, and
// the zeros the helper left must read as reserved space, never damage.
TEST(SyncSegmentTest, PowerCutAtEveryCallOfTheWriterAndTheHelperKeepsEveryAcknowledgedRecord) {
  std::uint64_t calls_without_fault = 0;
  for (std::uint64_t nth = 1;; ++nth) {
    for (const fault::PowerCut cut :
         {fault::PowerCut::kDropUnsynced, fault::PowerCut::kDropRandomSuffix, fault::PowerCut::kKeepRandomSubset}) {
      TempDir temp(FaultRig::ram_dir());
      fault::FaultState state(temp / "trash", nth * 7 + static_cast<std::uint64_t>(cut));
      auto env = fault::make_fault_env(wal::Env::posix(), &state);
      const std::string dir = temp / "wal";
      ASSERT_TRUE(wal::Env::posix()->create_dir(dir));
      state.fail_call(nth, fault::IoError::kEio, /*forever=*/true);
      std::uint64_t acknowledged = 0;
      {
        auto writer = wal::LogWriter::open(env.get(), dir, 1, sync_mode(2 << 10, 8 << 10), nullptr);
        if (writer) {
          for (int i = 0; i < 48; ++i) {
            auto lsn = (*writer)->append(ops_for(i), 1);
            if (!lsn) break;
            acknowledged = *lsn;
            // Let the helper run between groups now and then.
            if (i % 12 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
          }
          // A clean close, then a reopen: the closed segment, now sealed,
          // must have lost its zeros for good.
          if ((*writer)->close()) {
            const std::uint64_t next = (*writer)->next_lsn();
            writer->reset();
            auto reopened = wal::LogWriter::open(env.get(), dir, next, sync_mode(2 << 10, 8 << 10), nullptr);
            for (int i = 0; reopened && i < 3; ++i) {
              auto lsn = (*reopened)->append(ops_for(i), 1);
              if (!lsn) break;
              acknowledged = *lsn;
            }
          }
        }
      }
      if (state.failures() == 0) calls_without_fault = state.calls();
      ASSERT_TRUE(state.power_cut(cut)) << "call " << nth;
      std::vector<std::uint64_t> lsns;
      auto summary = read_all(wal::Env::posix(), dir, &lsns);
      ASSERT_TRUE(summary) << "call " << nth << ", " << fault::to_string(cut) << ": " << summary.status().message();
      ASSERT_GE(lsns.size(), acknowledged) << "call " << nth << ", " << fault::to_string(cut);
      for (std::size_t i = 0; i < lsns.size(); ++i) ASSERT_EQ(lsns[i], i + 1) << "call " << nth;
    }
    // Past the last call a fault-free run makes, every call has had its turn.
    if (calls_without_fault != 0 && nth > calls_without_fault) break;
    ASSERT_LT(nth, 5000U) << "the workload never ran without a fault";
  }
}

// The helper's first zeroing fails once with ENOSPC: the next group gets a
// clear error, and so does every later one although the disk would take
// them (sticky: the store must be reopened); nothing acknowledged is lost.
TEST(SyncSegmentTest, FullDiskWhileZeroingIsAStickyErrorThatLosesNothing) {
  TempDir temp(FaultRig::ram_dir());
  fault::FaultState state(temp / "trash", 1);
  auto env = fault::make_fault_env(wal::Env::posix(), &state);
  const std::string dir = temp / "wal";
  ASSERT_TRUE(wal::Env::posix()->create_dir(dir));
  auto writer = wal::LogWriter::open(env.get(), dir, 1, sync_mode(), nullptr);
  ASSERT_TRUE(writer) << writer.status().message();
  // One write acknowledged first, then the next grow (the helper's zeroing
  // or the writer's own reserve) finds the disk full: armed after the
  // first append, so the helper cannot fail before anything is written.
  auto first = (*writer)->append(ops_for(0), 1);
  ASSERT_TRUE(first) << first.status().message();
  std::uint64_t acknowledged = *first;
  state.fail_call(1, fault::IoError::kEnospc, /*forever=*/false, static_cast<unsigned>(fault::IoCall::kGrow));
  Status failure;
  for (int i = 1; i < 2000 && failure.is_ok(); ++i) {
    auto lsn = (*writer)->append(ops_for(i), 1);
    if (lsn) {
      acknowledged = *lsn;
    } else {
      failure = lsn.status();
    }
    if (state.failures() > 0 && failure.is_ok()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(state.failures(), 1U);
  ASSERT_FALSE(failure.is_ok()) << "the failed zeroing was never reported";
  EXPECT_EQ(failure.code(), StatusCode::kIOError);
  EXPECT_NE(failure.message().find("preparing WAL space"), std::string::npos) << failure.message();
  EXPECT_NE(failure.message().find("No space left on device"), std::string::npos) << failure.message();
  EXPECT_GT(acknowledged, 0U);
  // Sticky: the disk has room again, and the writer still refuses.
  auto again = (*writer)->append(ops_for(9999), 1);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().message(), failure.message());
  EXPECT_FALSE((*writer)->sync().is_ok());
  (void)(*writer)->close();
  writer->reset();

  ASSERT_TRUE(state.power_cut(fault::PowerCut::kDropUnsynced));
  std::vector<std::uint64_t> lsns;
  auto summary = read_all(wal::Env::posix(), dir, &lsns);
  ASSERT_TRUE(summary) << summary.status().message();
  ASSERT_EQ(lsns.size(), acknowledged);
  for (std::size_t i = 0; i < lsns.size(); ++i) EXPECT_EQ(lsns[i], i + 1);
}

// The fault Env's model: zeros written and synced ahead survive a power cut
// with the unsynced records written over them turned back into zeros.
TEST(SyncSegmentTest, PowerCutKeepsSyncedZerosAndDropsTheUnsyncedRecordsOverThem) {
  TempDir temp(FaultRig::ram_dir());
  fault::FaultState state(temp / "trash", 3);
  auto env = fault::make_fault_env(wal::Env::posix(), &state);
  const std::string path = temp / "file";
  auto file = env->create_file(path);
  ASSERT_TRUE(file);
  ASSERT_TRUE(env->sync_dir(temp.path()));
  ASSERT_TRUE((*file)->can_write_zeros());
  ASSERT_TRUE((*file)->append("synced"));
  ASSERT_TRUE((*file)->sync());
  ASSERT_TRUE((*file)->write_zeros(6, 4096));
  ASSERT_TRUE((*file)->append("unsynced"));
  EXPECT_EQ(read_bytes(path).substr(0, 14), "syncedunsynced");
  ASSERT_TRUE(state.power_cut(fault::PowerCut::kDropUnsynced));
  const std::string bytes = read_bytes(path);
  ASSERT_EQ(bytes.size(), 4096U);
  EXPECT_EQ(bytes.substr(0, 6), "synced");
  EXPECT_TRUE(all_zero(std::string_view(bytes).substr(6)));
  // A zeroing the fault Env fails changes nothing.
  state.fail_call(1, fault::IoError::kEnospc, false, static_cast<unsigned>(fault::IoCall::kGrow));
  auto second = env->create_file(temp / "second");
  ASSERT_TRUE(second);
  const Status s = (*second)->write_zeros(0, 4096);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
  EXPECT_EQ(read_bytes(temp / "second").size(), 0U);
}

}  // namespace
}  // namespace snapstore::testutil
