// wal::visit_payload, the mirror's applier's way of reading a record
// (DECISIONS D94): the operations decode_payload() finds, with documents
// as views into the payload, and the same Corruption for every payload
// decode_payload() refuses.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "testutil/payload_recorder.h"
#include "wal/record.h"

namespace snapstore::wal {
namespace {

std::vector<Operation> ops_for(int n) {
  std::vector<Operation> ops;
  ops.push_back(Operation{OpType::kInsert, "doc-" + std::to_string(n), 1, std::string(5 + n % 300, 'd'), {}});
  if (n % 2 == 0) ops.push_back(Operation{OpType::kUpdate, "doc-u", static_cast<std::uint64_t>(n), "\x81\xa1k\x01", {}});
  if (n % 3 == 0) ops.push_back(Operation{OpType::kDelete, "doc-d", 70000, {}, {}});
  if (n % 4 == 0) ops.push_back(Operation{OpType::kCreateIndex, "by_k", 0, {}, {"k", "address.zip"}});
  if (n % 5 == 0) {
    IndexOptions unique;
    unique.unique = true;
    ops.push_back(Operation{OpType::kCreateIndex, "by_u", 0, {}, {"u"}, unique});
  }
  if (n % 6 == 0) ops.push_back(Operation{OpType::kDropIndex, "by_k", 0, {}, {}});
  return ops;
}

using Recorder = testutil::PayloadRecorder;

TEST(RecordVisitTest, VisitsWhatDecodeFinds) {
  for (int n = 0; n < 60; ++n) {
    const auto ops = ops_for(n);
    std::string payload;
    append_payload(payload, 500 + n, encode_operations(ops));
    Recorder recorder;
    ASSERT_TRUE(visit_payload(payload, recorder).is_ok()) << n;
    EXPECT_EQ(recorder.ops, ops) << n;
    for (std::size_t i = 0; i < recorder.lsns.size(); ++i) EXPECT_EQ(recorder.lsns[i], 500U + n + i);
  }
}

TEST(RecordVisitTest, DocumentsAreViewsIntoThePayload) {
  std::string payload;
  append_payload(payload, 9, encode_operations(ops_for(0)));
  struct Bounds final : PayloadVisitor {
    const std::string* payload = nullptr;
    bool inside = true;
    Status document(const DocumentOperation& op, std::uint64_t) override {
      const char* begin = payload->data();
      const char* end = begin + payload->size();
      inside = inside && op.key.data() >= begin && op.key.data() + op.key.size() <= end;
      if (!op.document.empty()) inside = inside && op.document.data() >= begin && op.document.data() <= end;
      return Status::ok();
    }
    Status index(const Operation&, std::uint64_t) override { return Status::ok(); }
  } bounds;
  bounds.payload = &payload;
  ASSERT_TRUE(visit_payload(payload, bounds).is_ok());
  EXPECT_TRUE(bounds.inside);
}

TEST(RecordVisitTest, AVisitorsErrorStopsTheWalk) {
  std::string payload;
  append_payload(payload, 1, encode_operations(ops_for(0)));  // six operations
  Recorder recorder;
  recorder.fail_at = 2;
  const Status s = visit_payload(payload, recorder);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(recorder.ops.size(), 2U);
}

TEST(RecordVisitTest, RefusesWhatDecodeRefusesWithTheSameMessage) {
  std::string payload;
  append_payload(payload, 7, encode_operations(ops_for(60)));
  std::vector<std::string> bad{payload + "x", "\x92\x01\x90", "\x92\x01\x91\x92\x09\xa1k", "\x92\x00\x91\x93\x03\xa1k\x01",
                               "\x92\x01\x91\x93\x01\xa1k\x01", "\x92\x01\x91\x94\x01\x01\x01\xc4\x00"};
  for (std::size_t cut = 0; cut < payload.size(); ++cut) bad.push_back(payload.substr(0, cut));
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = payload;
    mutated[rng() % mutated.size()] = static_cast<char>(rng());
    bad.push_back(std::move(mutated));
  }
  for (const std::string& bytes : bad) {
    auto decoded = decode_payload(bytes);
    Recorder recorder;
    const Status visited = visit_payload(bytes, recorder);
    if (decoded.is_ok()) {
      EXPECT_TRUE(visited.is_ok()) << visited.message();
      EXPECT_EQ(recorder.ops, decoded->ops);
      continue;
    }
    EXPECT_EQ(visited.code(), StatusCode::kCorruption);
    EXPECT_EQ(visited.message(), decoded.status().message());
  }
}

}  // namespace
}  // namespace snapstore::wal
