// The crash test's compare-and-set: update-if and remove-if cross the pipe
// with their expected version, and the oracle (fault::History) flags a
// conditional write acknowledged at a version its document did not have and
// a write reported as a conflict that left something behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace snapstore::fault
