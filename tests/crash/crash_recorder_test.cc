// The pieces of `snapstore crashtest` below the command: the pipe protocol
// carries every event unchanged and refuses malformed lines; the recorder
// freezes documents whose outcome is unknown, settles writes a power cut was
// allowed to lose (so that later cycles can reuse their revisions), and
// checks index existence once an index operation is durable.
#include "fault/crash_recorder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fault/crash_workload.h"
#include "snapstore/store.h"

namespace snapstore::fault {
namespace {

// Describes every call, so that two sinks can be compared.
class RecordingSink final : public WorkloadSink {
 public:
  std::vector<std::string> calls;

  void opened(std::uint64_t revision) override { calls.push_back("opened " + std::to_string(revision)); }
  void issued(std::uint64_t op, const WorkloadOp& what) override {
    std::string fields;
    for (const std::string& field : what.fields) fields += field + ",";
    calls.push_back("issued " + std::to_string(op) + " " + std::to_string(static_cast<int>(what.kind)) + " " +
                    what.target + " " + to_json(Value(what.document)) + " " + fields);
  }
  void acknowledged(std::uint64_t op, const std::string& id, std::uint64_t revision) override {
    calls.push_back("acknowledged " + std::to_string(op) + " " + id + " " + std::to_string(revision));
  }
  void rejected(std::uint64_t op) override { calls.push_back("rejected " + std::to_string(op)); }
  void unknown(std::uint64_t op, const std::string& reason) override {
    calls.push_back("unknown " + std::to_string(op) + " " + reason);
  }
  void flush_begun(std::uint64_t flush) override { calls.push_back("flush_begun " + std::to_string(flush)); }
  void flushed(std::uint64_t flush, std::uint64_t durable) override {
    calls.push_back("flushed " + std::to_string(flush) + " " + std::to_string(durable));
  }
  void anomaly(const std::string& what) override { calls.push_back("anomaly " + what); }
  void kill_point(const std::string& point) override { calls.push_back("kill_point " + point); }
};

// Sends the same events to `sink`.
void send_every_event(WorkloadSink& sink) {
  sink.opened(41);
  sink.issued(1, WorkloadOp{OpKind::kInsert, "", Document{{"a", 1}, {"s", "two words\n\"quoted\""}}, {}});
  sink.issued(2, WorkloadOp{OpKind::kUpdate, "0190-id", Document{{"nested", Document{{"v", 3}}}}, {}});
  sink.issued(3, WorkloadOp{OpKind::kRemove, "0190-id", {}, {}});
  sink.issued(4, WorkloadOp{OpKind::kCreateIndex, "crash_1", {}, {"nested.v", "g"}});
  sink.issued(5, WorkloadOp{OpKind::kDropIndex, "crash_1", {}, {}});
  sink.acknowledged(1, "0190-id", 42);
  sink.acknowledged(4, "", 0);
  sink.rejected(5);
  sink.unknown(3, "I/O error: fdatasync failed");
  sink.flush_begun(7);
  sink.flushed(7, 42);
  sink.anomaly("thread 1: something the store must never do");
  sink.kill_point("wal.append.after_sync");
}

TEST(CrashProtocolTest, EveryEventCrossesThePipeUnchanged) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  {
    PipeSink sink(pipe_fds[1]);
    send_every_event(sink);
  }
  ::close(pipe_fds[1]);
  std::string bytes;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    bytes.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);

  RecordingSink decoded;
  std::size_t start = 0;
  for (std::size_t end; (end = bytes.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = bytes.substr(start, end - start);
    ASSERT_TRUE(decode_event(line, decoded)) << line;
  }
  EXPECT_EQ(start, bytes.size()) << "a line without its newline";
  RecordingSink direct;
  send_every_event(direct);
  EXPECT_EQ(decoded.calls, direct.calls);
}

TEST(CrashProtocolTest, MalformedLinesAreRefused) {
  RecordingSink sink;
  for (const char* line : {"", "Q 1", "O x", "I 1 insert [1]", "I 1 update", "I x remove id", "I 1 create-index n {}",
                           "I 1 fly id", "A 1 id", "A 1 id x", "F 1", "B", "R -1"}) {
    const Status status = decode_event(line, sink);
    EXPECT_FALSE(status) << "'" << line << "' was accepted";
    EXPECT_NE(status.message().find("crash test protocol"), std::string::npos) << status.message();
  }
  EXPECT_TRUE(sink.calls.empty());
}

class CrashRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open_in_memory();
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
  }

  // Inserts for real and reports it to `recorder` as operation `op`.
  std::string insert(CrashRecorder& recorder, std::uint64_t op, const Document& doc) {
    recorder.issued(op, WorkloadOp{OpKind::kInsert, "", doc, {}});
    auto written = store_.insert(doc);
    EXPECT_TRUE(written);
    recorder.acknowledged(op, written->id, written->revision);
    return written->id;
  }

  static std::string violations(const OracleReport& report) {
    std::string all;
    for (const std::string& v : report.violations) all += v + "\n";
    return all;
  }

  Store store_;
};

TEST_F(CrashRecorderTest, ADocumentWithAnUnknownOutcomeIsNeverHandedOutAgain) {
  CrashRecorder recorder(/*acks_survive_crash=*/true);
  recorder.begin_cycle();
  const std::string frozen = insert(recorder, 1, Document{{"op", 1}});
  const std::string kept = insert(recorder, 2, Document{{"op", 2}});
  // The crash came before the update reached the store.
  recorder.issued(3, WorkloadOp{OpKind::kUpdate, frozen, Document{{"op", 3}}, {}});
  const OracleReport report = recorder.check(store_);
  EXPECT_TRUE(report.ok()) << violations(report);
  EXPECT_EQ(recorder.unknown_total(), 1U);
  EXPECT_EQ(recorder.owned_documents(2), (std::vector<std::vector<std::string>>{{kept}, {}}));
}

TEST_F(CrashRecorderTest, AWriteThePowerCutMayLoseIsSettledSoItsRevisionCanBeReused) {
  CrashRecorder recorder(/*acks_survive_crash=*/false);
  recorder.begin_cycle();
  const std::string id = insert(recorder, 1, Document{{"op", 1}});
  recorder.flush_begun(1);
  recorder.flushed(1, store_.revision());
  // Acknowledged at revision 2, never synced, lost by the cut: the store
  // recovers at revision 1.
  recorder.issued(2, WorkloadOp{OpKind::kUpdate, id, Document{{"op", 2}}, {}});
  recorder.acknowledged(2, id, 2);
  OracleReport report = recorder.check(store_);
  ASSERT_TRUE(report.ok()) << violations(report);
  EXPECT_EQ(recorder.lost_unsynced_total(), 1U);
  EXPECT_EQ(recorder.owned_documents(1), (std::vector<std::vector<std::string>>{{id}}));

  // The next cycle writes the document again, at revision 2 and version 2.
  recorder.begin_cycle();
  recorder.issued(1, WorkloadOp{OpKind::kUpdate, id, Document{{"op", 3}}, {}});
  auto updated = store_.update(id, Document{{"op", 3}});
  ASSERT_TRUE(updated);
  ASSERT_EQ(updated->revision, 2U);
  recorder.acknowledged(1, id, updated->revision);
  report = recorder.check(store_);
  EXPECT_TRUE(report.ok()) << violations(report);
}

TEST_F(CrashRecorderTest, AnIndexCreationAcknowledgedAsDurableMustSurvive) {
  CrashRecorder recorder(/*acks_survive_crash=*/true);
  recorder.begin_cycle();
  recorder.issued(1, WorkloadOp{OpKind::kCreateIndex, "crash_0", {}, {"g"}});
  recorder.acknowledged(1, "", 0);  // but the store has no such index
  const OracleReport report = recorder.check(store_);
  ASSERT_EQ(report.violations.size(), 1U) << violations(report);
  EXPECT_EQ(report.violations[0], "index crash_0 is missing, but its creation was acknowledged as durable");
}

TEST_F(CrashRecorderTest, AnIndexCreationIsDurableAfterAPowerCutOnlyOnceAFlushCoversIt) {
  CrashRecorder unsynced(/*acks_survive_crash=*/false);
  unsynced.begin_cycle();
  unsynced.flush_begun(1);  // begun before the acknowledgement: does not cover it
  unsynced.issued(1, WorkloadOp{OpKind::kCreateIndex, "crash_0", {}, {"g"}});
  unsynced.acknowledged(1, "", 0);
  unsynced.flushed(1, 0);
  EXPECT_TRUE(unsynced.check(store_).ok());

  CrashRecorder flushed(/*acks_survive_crash=*/false);
  flushed.begin_cycle();
  flushed.issued(1, WorkloadOp{OpKind::kCreateIndex, "crash_0", {}, {"g"}});
  flushed.acknowledged(1, "", 0);
  flushed.flush_begun(1);
  flushed.flushed(1, 0);
  EXPECT_FALSE(flushed.check(store_).ok());
}

TEST_F(CrashRecorderTest, AnomaliesAreViolationsUntilTheCrashBegins) {
  CrashRecorder recorder(/*acks_survive_crash=*/true);
  recorder.begin_cycle();
  recorder.anomaly("thread 0: update of x failed: document not found");
  recorder.crash_begun();
  recorder.anomaly("thread 1: the dying disk said something odd");
  const OracleReport report = recorder.check(store_);
  ASSERT_EQ(report.violations.size(), 1U) << violations(report);
  EXPECT_NE(report.violations[0].find("document not found"), std::string::npos);
}

TEST_F(CrashRecorderTest, AnEventForAnOperationNeverIssuedIsAProtocolError) {
  CrashRecorder recorder(/*acks_survive_crash=*/true);
  recorder.begin_cycle();
  recorder.acknowledged(9, "id", 1);
  EXPECT_NE(recorder.protocol_error().find("operation 9"), std::string::npos) << recorder.protocol_error();
}

}  // namespace
}  // namespace snapstore::fault
