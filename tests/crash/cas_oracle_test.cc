// The crash test's compare-and-set: update-if, remove-if and batches with
// preconditions cross the pipe unchanged; the oracle (fault::History) flags a
// conditional write acknowledged at a version its document did not have, a
// write reported as a conflict that left something behind, and a batch
// visible in part; the workload issues all of them against a real store
// without an anomaly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fault/crash_recorder.h"
#include "fault/crash_workload.h"
#include "fault/oracle.h"
#include "snapstore/store.h"

namespace snapstore::fault {
namespace {

class IssuedOps final : public WorkloadSink {
 public:
  std::vector<WorkloadOp> ops;
  void opened(std::uint64_t) override {}
  void issued(std::uint64_t, const WorkloadOp& what) override { ops.push_back(what); }
  void acknowledged(std::uint64_t, const std::string&, std::uint64_t) override {}
  void rejected(std::uint64_t) override {}
  void unknown(std::uint64_t, const std::string&) override {}
  void flush_begun(std::uint64_t) override {}
  void flushed(std::uint64_t, std::uint64_t) override {}
  void anomaly(const std::string&) override {}
  void kill_point(const std::string&) override {}
};

TEST(CasOracleTest, ConditionalOperationsCrossThePipe) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  {
    PipeSink sink(pipe_fds[1]);
    sink.issued(1, WorkloadOp{OpKind::kUpdate, "0190-id", Document{{"n", 1}}, {}, 7});
    sink.issued(2, WorkloadOp{OpKind::kRemove, "0190-id", {}, {}, 8});
    sink.issued(3, WorkloadOp{OpKind::kUpdate, "0190-id", Document{{"n", 2}}, {}, 0});
  }
  ::close(pipe_fds[1]);
  std::string bytes;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) bytes.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  EXPECT_NE(bytes.find("I 1 update-if 0190-id 7 {"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("I 2 remove-if 0190-id 8\n"), std::string::npos) << bytes;

  IssuedOps decoded;
  std::size_t start = 0;
  for (std::size_t end; (end = bytes.find('\n', start)) != std::string::npos; start = end + 1) {
    ASSERT_TRUE(decode_event(std::string_view(bytes).substr(start, end - start), decoded));
  }
  ASSERT_EQ(decoded.ops.size(), 3u);
  EXPECT_EQ(decoded.ops[0].kind, OpKind::kUpdate);
  EXPECT_EQ(decoded.ops[0].expected_version, 7u);
  EXPECT_EQ(decoded.ops[0].document, (Document{{"n", 1}}));
  EXPECT_EQ(decoded.ops[1].kind, OpKind::kRemove);
  EXPECT_EQ(decoded.ops[1].target, "0190-id");
  EXPECT_EQ(decoded.ops[1].expected_version, 8u);
  EXPECT_EQ(decoded.ops[2].expected_version, 0u);

  EXPECT_EQ(decode_event("I 4 remove-if 0190-id 0", decoded).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_event("I 4 update-if 0190-id x {}", decoded).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_event("I 4 update-if 0190-id 3", decoded).code(), StatusCode::kInvalidArgument);
}

// One document through a real store: an insert, a conditional update at the
// right version, a conflict, then what the oracle says about each history.
class CasOracleHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(Store::open_in_memory().value());
    const Document first{{"n", 1}};
    auto insert = history_.issue(WorkloadOp{OpKind::kInsert, {}, first, {}});
    auto inserted = store_.insert(first);
    ASSERT_TRUE(inserted);
    id_ = inserted->id;
    history_.acknowledged(insert, id_, inserted->revision);
  }

  Store store_;
  History history_;
  std::string id_;
};

TEST_F(CasOracleHistoryTest, AConflictThatLeftNothingIsClean) {
  const Document second{{"n", 2}};
  auto update = history_.issue(WorkloadOp{OpKind::kUpdate, id_, second, {}, 1});
  auto done = store_.update_if(id_, second, 1);
  ASSERT_TRUE(done);
  history_.acknowledged(update, id_, done->revision);
  auto stale = history_.issue(WorkloadOp{OpKind::kRemove, id_, {}, {}, 1});
  ASSERT_EQ(store_.remove_if(id_, 1).code(), StatusCode::kVersionConflict);
  history_.rejected(stale);
  const OracleReport report = history_.check(store_);
  EXPECT_TRUE(report.ok()) << report.violations.front();
}

TEST_F(CasOracleHistoryTest, AcknowledgedAtTheWrongVersionIsAViolation) {
  const Document second{{"n", 2}};
  // Claimed conditional on version 5; the store (wrongly, for the test) applied it.
  auto update = history_.issue(WorkloadOp{OpKind::kUpdate, id_, second, {}, 5});
  auto done = store_.update(id_, second);
  ASSERT_TRUE(done);
  history_.acknowledged(update, id_, done->revision);
  const OracleReport report = history_.check(store_);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_NE(report.violations[0].find("conditional update expecting version 5"), std::string::npos)
      << report.violations[0];
}

TEST_F(CasOracleHistoryTest, AConflictThatWroteAnywayIsAViolation) {
  const Document second{{"n", 2}};
  auto stale = history_.issue(WorkloadOp{OpKind::kUpdate, id_, second, {}, 4});
  ASSERT_TRUE(store_.update(id_, second));  // what a broken update_if would do
  history_.rejected(stale);
  const OracleReport report = history_.check(store_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.violations[0].find("document " + id_), std::string::npos) << report.violations[0];
}

TEST(CasOracleTest, ABatchCrossesThePipe) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  WorkloadOp batch;
  batch.kind = OpKind::kBatch;
  batch.batch.push_back(WorkloadOp{OpKind::kUpdate, "id-a", Document{{"part", 0}}, {}, 3});
  batch.batch.push_back(WorkloadOp{OpKind::kRemove, "id-b", {}, {}, 0});
  batch.batch.push_back(WorkloadOp{OpKind::kInsert, {}, Document{{"part", 2}}, {}, 0});
  {
    PipeSink sink(pipe_fds[1]);
    sink.issued(9, batch);
  }
  ::close(pipe_fds[1]);
  char buffer[4096];
  const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
  ::close(pipe_fds[0]);
  ASSERT_GT(n, 1);
  IssuedOps decoded;
  ASSERT_TRUE(decode_event(std::string_view(buffer, static_cast<std::size_t>(n) - 1), decoded));
  ASSERT_EQ(decoded.ops.size(), 1u);
  const WorkloadOp& got = decoded.ops[0];
  EXPECT_EQ(got.kind, OpKind::kBatch);
  ASSERT_EQ(got.batch.size(), 3u);
  EXPECT_EQ(got.batch[0].kind, OpKind::kUpdate);
  EXPECT_EQ(got.batch[0].target, "id-a");
  EXPECT_EQ(got.batch[0].expected_version, 3u);
  EXPECT_EQ(got.batch[0].document, (Document{{"part", 0}}));
  EXPECT_EQ(got.batch[1].kind, OpKind::kRemove);
  EXPECT_EQ(got.batch[1].target, "id-b");
  EXPECT_EQ(got.batch[2].kind, OpKind::kInsert);
  EXPECT_EQ(got.batch[2].document, (Document{{"part", 2}}));
  EXPECT_EQ(decode_event("I 4 batch []", decoded).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_event("I 4 batch [[\"update\",\"\",0,{}]]", decoded).code(), StatusCode::kInvalidArgument);
}

// A batch "update a, insert d" acknowledged at revisions r and r+1, against
// stores where only part of it happened.
TEST_F(CasOracleHistoryTest, AnAcknowledgedBatchCutInTwoIsAViolation) {
  WorkloadOp op;
  op.kind = OpKind::kBatch;
  op.batch.push_back(WorkloadOp{OpKind::kUpdate, id_, Document{{"part", 0}}, {}, 1});
  op.batch.push_back(WorkloadOp{OpKind::kInsert, {}, Document{{"part", 1}}, {}, 0});
  auto ticket = history_.issue(op);
  auto first = store_.update(id_, op.batch[0].document);  // the second half is "lost"
  ASSERT_TRUE(first);
  history_.acknowledged(ticket, id_ + ",0190-never", first->revision);
  const OracleReport report = history_.check(store_);
  ASSERT_FALSE(report.ok());
  bool named = false;
  for (const std::string& v : report.violations) named = named || v.find("inside the batch") != std::string::npos;
  EXPECT_TRUE(named) << report.violations.front();
}

TEST_F(CasOracleHistoryTest, ABatchOfUnknownOutcomeSeenInPartIsAViolation) {
  const std::string other = store_.insert(Document{{"n", 2}})->id;
  history_.acknowledged(history_.issue(WorkloadOp{OpKind::kInsert, {}, Document{{"n", 2}}, {}}), other,
                        store_.revision());
  WorkloadOp op;
  op.kind = OpKind::kBatch;
  op.batch.push_back(WorkloadOp{OpKind::kUpdate, id_, Document{{"part", 0}}, {}, 1});
  op.batch.push_back(WorkloadOp{OpKind::kUpdate, other, Document{{"part", 1}}, {}, 0});
  history_.issue(op);  // no answer: the crash came first
  ASSERT_TRUE(store_.update(id_, op.batch[0].document));  // only half of it "recovered"
  OracleReport report = history_.check(store_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.violations.back().find("visible in part: 1 of its 2"), std::string::npos)
      << report.violations.back();
  ASSERT_TRUE(store_.update(other, op.batch[1].document));  // the whole batch: clean
  report = history_.check(store_);
  EXPECT_TRUE(report.ok()) << report.violations.front();
}

// Counts what the workload issued, and passes every event to the recorder.
class Tally final : public WorkloadSink {
 public:
  explicit Tally(CrashRecorder& recorder) : recorder_(recorder) {}
  int batches = 0;
  int conditional = 0;
  std::vector<std::string> anomalies;

  void opened(std::uint64_t revision) override { recorder_.opened(revision); }
  void issued(std::uint64_t op, const WorkloadOp& what) override {
    {
      std::lock_guard lock(mutex_);
      batches += what.kind == OpKind::kBatch ? 1 : 0;
      conditional += what.expected_version != 0 ? 1 : 0;
    }
    recorder_.issued(op, what);
  }
  void acknowledged(std::uint64_t op, const std::string& id, std::uint64_t revision) override {
    recorder_.acknowledged(op, id, revision);
  }
  void rejected(std::uint64_t op) override { recorder_.rejected(op); }
  void unknown(std::uint64_t op, const std::string& reason) override { recorder_.unknown(op, reason); }
  void flush_begun(std::uint64_t flush) override { recorder_.flush_begun(flush); }
  void flushed(std::uint64_t flush, std::uint64_t durable) override { recorder_.flushed(flush, durable); }
  void anomaly(const std::string& what) override {
    std::lock_guard lock(mutex_);
    anomalies.push_back(what);
  }
  void kill_point(const std::string& point) override { recorder_.kill_point(point); }

 private:
  CrashRecorder& recorder_;
  std::mutex mutex_;
};

TEST(CasWorkloadTest, TheWorkloadIssuesConditionalWritesAndBatchesWithoutAnAnomaly) {
  auto store = Store::open_in_memory();
  ASSERT_TRUE(store);
  CrashRecorder recorder(true);
  recorder.begin_cycle();
  Tally tally(recorder);
  WorkloadConfig config;
  config.threads = 2;
  config.seed = 3;
  {
    CrashWorkload workload(*store, config, {{}, {}}, tally);
    workload.start();
    for (int i = 0; i < 200 && recorder.acknowledged_total() < 1500; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EXPECT_TRUE(tally.anomalies.empty()) << tally.anomalies.front();
  EXPECT_GT(tally.batches, 10);
  EXPECT_GT(tally.conditional, 10);
  EXPECT_GT(recorder.rejected_total(), 0u);  // stale versions, refused
  const OracleReport report = recorder.check(*store);
  EXPECT_TRUE(report.ok()) << report.violations.front();
  EXPECT_EQ(recorder.protocol_error(), "");
}

}  // namespace
}  // namespace snapstore::fault
