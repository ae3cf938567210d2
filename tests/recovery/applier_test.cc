// The mirror's applier reads a batch of inserts, updates and deletes in place
// (wal::visit_payload, D113) rather than through msgpack-c's parse tree: it
// hands over the same operations as the tree walk (visit_payload_tree) for
// every operation kind, key, version and document size class and for records
// of many operations, without allocating; malformed and truncated payloads fail with the tree's
// error after the same visits; and the mirror applies nothing of a write
// holding a malformed record.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "recovery/mirror.h"
#include "testutil/allocation_meter.h"
#include "testutil/payload_recorder.h"
#include "testutil/temp_dir.h"
#include "value/msgpack_codec.h"
#include "wal/record.h"

namespace snapstore::recovery {
namespace {

using wal::Operation;
using wal::OpType;

using Recorder = testutil::PayloadRecorder;

struct Visits {
  Status status;
  std::vector<Operation> ops;
  std::vector<std::uint64_t> lsns;
  bool inside = true;
};

Visits visit(std::string_view payload, bool tree, std::size_t fail_at = 0) {
  Recorder recorder(payload);
  recorder.fail_at = fail_at;
  Visits out;
  out.status = tree ? wal::visit_payload_tree(payload, recorder) : wal::visit_payload(payload, recorder);
  out.ops = std::move(recorder.ops);
  out.lsns = std::move(recorder.lsns);
  out.inside = recorder.inside;
  return out;
}

// Both walks agree: status (code and message), visits and LSNs.
void expect_same(std::string_view payload, const std::string& context, std::size_t fail_at = 0) {
  const Visits fast = visit(payload, false, fail_at);
  const Visits tree = visit(payload, true, fail_at);
  EXPECT_EQ(fast.status.code(), tree.status.code()) << context;
  EXPECT_EQ(fast.status.message(), tree.status.message()) << context;
  EXPECT_EQ(fast.ops, tree.ops) << context;
  EXPECT_EQ(fast.lsns, tree.lsns) << context;
  EXPECT_TRUE(fast.inside) << context;
}

std::string payload_of(std::uint64_t first_lsn, const std::vector<Operation>& ops) {
  std::string payload;
  wal::append_payload(payload, first_lsn, wal::encode_operations(ops));
  return payload;
}

// Every operation kind, with keys, versions, documents and LSNs in each of
// msgpack's size classes (fixstr/str8/str16 keys, fixint..uint64 numbers,
// empty/bin8/bin16/bin32 documents).
TEST(ApplierTest, TheInPlaceWalkVisitsWhatTheTreeFinds) {
  const std::vector<std::size_t> key_sizes{1, 31, 32, 255, 256, 70000};
  const std::vector<std::uint64_t> numbers{1, 127, 128, 255, 256, 65535, 65536, 0xFFFFFFFFULL, 0x100000000ULL,
                                           UINT64_MAX - 100};
  const std::vector<std::size_t> document_sizes{0, 1, 255, 256, 65535, 65536, 200000};
  for (const OpType type : {OpType::kInsert, OpType::kUpdate, OpType::kDelete}) {
    for (std::size_t k = 0; k < key_sizes.size(); ++k) {
      for (std::size_t n = 0; n < numbers.size(); ++n) {
        const std::size_t document = type == OpType::kDelete ? 0 : document_sizes[(k + n) % document_sizes.size()];
        const std::vector<Operation> ops{
            Operation{type, std::string(key_sizes[k], 'k'), numbers[n], std::string(document, 'd'), {}}};
        const std::string payload = payload_of(numbers[(n + k) % numbers.size()], ops);
        const std::string context = "type " + std::to_string(static_cast<int>(type)) + " key " +
                                    std::to_string(key_sizes[k]) + " number " + std::to_string(numbers[n]);
        const Visits fast = visit(payload, false);
        ASSERT_TRUE(fast.status.is_ok()) << context << ": " << fast.status.message();
        EXPECT_EQ(fast.ops, ops) << context;
        expect_same(payload, context);
      }
    }
  }
}

// A no-op visitor: what the walk itself costs.
class Discard final : public wal::PayloadVisitor {
 public:
  Status document(const wal::DocumentOperation&, std::uint64_t) override { return Status::ok(); }
  Status index(const Operation&, std::uint64_t) override { return Status::ok(); }
};

// A batch of documents is read in place: no parse tree, no heap block (the
// tree walk allocates its nodes for every record).
TEST(ApplierTest, ABatchOfDocumentsIsReadWithoutAllocating) {
  std::vector<Operation> ops;
  for (std::size_t i = 0; i < 100; ++i) {
    ops.push_back(Operation{static_cast<OpType>(1 + i % 3), "id-" + std::to_string(i), i + 1,
                            i % 3 == 2 ? std::string() : std::string(200, 'x'), {}});
  }
  const std::string payload = payload_of(1, ops);
  Discard discard;
  std::size_t in_place = 0;
  std::size_t tree = 0;
  {
    testutil::AllocationMeter meter;
    ASSERT_TRUE(wal::visit_payload(payload, discard).is_ok());
    in_place = meter.total_bytes();
  }
  {
    testutil::AllocationMeter meter;
    ASSERT_TRUE(wal::visit_payload_tree(payload, discard).is_ok());
    tree = meter.total_bytes();
  }
  EXPECT_EQ(in_place, 0U);
  EXPECT_GT(tree, 0U);
}

// Records of 1, 15, 16 (array16) and 65,536 (array32) operations, kinds
// mixed; a visitor's failure stops both walks at the same operation.
TEST(ApplierTest, RecordsOfManyOperations) {
  for (const std::size_t count : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{65536}}) {
    std::vector<Operation> ops;
    for (std::size_t i = 0; i < count; ++i) {
      const auto type = static_cast<OpType>(1 + i % 3);
      ops.push_back(Operation{type, "id-" + std::to_string(i), i + 1,
                              type == OpType::kDelete ? std::string() : std::string(i % 40, 'x'), {}});
    }
    const std::string payload = payload_of(1000, ops);
    const Visits fast = visit(payload, false);
    ASSERT_TRUE(fast.status.is_ok()) << fast.status.message();
    EXPECT_EQ(fast.ops, ops) << count;
    ASSERT_EQ(fast.lsns.size(), count);
    EXPECT_EQ(fast.lsns.back(), 1000 + count - 1);
    expect_same(payload, std::to_string(count) + " operations");
    if (count < 1000) expect_same(payload, std::to_string(count) + " operations, failing", (count + 1) / 2);
  }
}

// Index operations among documents take the tree walk: same visits.
TEST(ApplierTest, IndexOperationsAmongDocuments) {
  IndexOptions unique;
  unique.unique = true;
  const std::vector<Operation> ops{
      {OpType::kInsert, "a", 1, "\x81\xa1k\x01", {}},
      {OpType::kCreateIndex, "by_k", 0, {}, {"k"}},
      {OpType::kCreateIndex, "by_u", 0, {}, {"u"}, unique},
      {OpType::kDelete, "a", 2, {}, {}},
      {OpType::kDropIndex, "by_k", 0, {}, {}},
  };
  const std::string payload = payload_of(5, ops);
  const Visits fast = visit(payload, false);
  ASSERT_TRUE(fast.status.is_ok()) << fast.status.message();
  EXPECT_EQ(fast.ops, ops);
  expect_same(payload, "index operations");
}

// Hand-made payloads outside what the encoder writes, some valid to the tree
// (other integer and length encodings), some not; every truncation and
// random byte changes of a record of documents.
TEST(ApplierTest, MalformedAndTruncatedPayloadsFailAsTheTreeDoes) {
  std::vector<std::string> payloads{
      std::string("\x92\x01\x91\x94\x01\xa1k\x01\xc4\x00", 10),               // valid
      std::string("\x92\xd0\x01\x91\x94\x01\xa1k\x01\xc4\x00", 11),           // int8 first_lsn
      std::string("\x92\x01\xdc\x00\x01\x94\x01\xa1k\x01\xc4\x00", 12),      // array16 of one
      std::string("\x92\x01\x91\x94\x01\xa1k\xd1\x00\x01\xc4\x00", 12),      // int16 version
      std::string("\x92\x01\x91\x94\x01\xa1k\x01\xa0", 9),                   // document as str
      std::string("\x92\x01\x91\x94\x01\xc4\x01k\x01\xc4\x00", 11),          // key as bin
      std::string("\x92\x01\x91\x93\x01\xa1k\x01", 8),                       // insert of 3
      std::string("\x92\x01\x91\x94\x03\xa1k\x01\xc4\x00", 10),              // delete of 4
      std::string("\x92\x01\x91\x93\xcd\x01\x01\xa1k\x01", 10),              // type 257
      std::string("\x92\x01\x91\x93\x09\xa1k\x01", 8),                       // unknown type
      std::string("\x92\x00\x91\x93\x03\xa1k\x01", 8),                       // first_lsn 0
      std::string("\x92\xcf\xff\xff\xff\xff\xff\xff\xff\xff\x92\x93\x03\xa1k\x01\x93\x03\xa1k\x01", 20),  // wraps
      std::string("\x92\x01\x90", 3),                                        // no operations
      std::string("\x93\x01\x91\x93\x03\xa1k\x01\xc0", 9),                   // root of 3
      std::string("\x92\x01\x91\x93\x03\xa1k\x01\xc0", 9),                   // trailing byte
      std::string("\x92\x01\x92\x93\x03\xa1k\x01\x93\x03\xa1k", 12),         // second op cut short
      std::string("\x92\x01\x92\x93\x03\xa1k\x01\x93\x03\xa1k\xc1", 13),     // invalid byte
  };
  std::vector<Operation> ops;
  for (std::size_t i = 0; i < 12; ++i) {
    const auto type = static_cast<OpType>(1 + i % 3);
    ops.push_back(Operation{type, "doc-" + std::to_string(i), 300 + i,
                            type == OpType::kDelete ? std::string() : std::string(20 + i * 30, 'v'), {}});
  }
  const std::string good = payload_of(77, ops);
  for (std::size_t cut = 0; cut < good.size(); ++cut) payloads.push_back(good.substr(0, cut));
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = good;
    for (int changes = 1 + static_cast<int>(rng() % 2); changes > 0; --changes) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    payloads.push_back(std::move(mutated));
  }
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::string& payload = payloads[i];
    expect_same(payload, "payload " + std::to_string(i));
    // A payload that decode_payload() refuses is Corruption on both walks.
    if (!wal::decode_payload(payload).is_ok()) {
      EXPECT_EQ(visit(payload, false).status.code(), StatusCode::kCorruption) << i;
    }
  }
  // Cut short, a record visits nothing: the walk checks it whole first.
  EXPECT_TRUE(visit(good.substr(0, good.size() - 1), false).ops.empty());
}

// Collects what Mirror::load hands over: id -> revision.
class RevisionSink final : public LoadSink {
 public:
  Status on_index(std::string_view, std::vector<std::string>, IndexOptions) override { return Status::ok(); }
  void expect_documents(std::uint64_t) override {}
  std::unique_ptr<DocumentLoader> make_loader() override { return std::make_unique<Loader>(*this); }
  Status on_loaded() override { return Status::ok(); }
  std::map<std::string, std::uint64_t> docs;

 private:
  class Loader final : public DocumentLoader {
   public:
    explicit Loader(RevisionSink& sink) : sink_(sink) {}
    Status on_document(std::string_view id, std::uint64_t, std::uint64_t revision, std::string_view) override {
      sink_.docs[std::string(id)] = revision;
      return Status::ok();
    }
    Status finish() override { return Status::ok(); }

   private:
    RevisionSink& sink_;
  };
};

// The applier writes what it reads in place, and a write holding a record
// malformed after its first operations applies none of it: the mirror fails
// for good and RocksDB keeps what came before.
TEST(ApplierTest, TheMirrorAppliesDocumentsAndNothingOfAMalformedRecord) {
  testutil::TempDir dir;
  ASSERT_TRUE(wal::Env::posix()->create_dir(dir / "wal").is_ok());
  std::string document;
  ASSERT_TRUE(value::encode_msgpack(Object{{"n", std::int64_t{1}}}, document, 10).is_ok());
  {
    auto mirror = Mirror::open(wal::Env::posix(), dir / "db", dir / "wal", MirrorOptions{});
    ASSERT_TRUE(mirror.is_ok()) << mirror.status().message();
    const std::string first = payload_of(1, {{OpType::kInsert, "a", 1, document, {}},
                                             {OpType::kInsert, "b", 1, document, {}},
                                             {OpType::kUpdate, "a", 2, document, {}}});
    (*mirror)->enqueue(1, 3, first);
    ASSERT_TRUE((*mirror)->checkpoint().is_ok());
    EXPECT_EQ((*mirror)->applied_lsn(), 3U);
    std::string second = payload_of(4, {{OpType::kDelete, "b", 2, {}, {}}, {OpType::kInsert, "c", 1, document, {}}});
    second.pop_back();  // the last document cut short
    (*mirror)->enqueue(4, 5, second);
    const Status failed = (*mirror)->checkpoint();
    EXPECT_EQ(failed.code(), StatusCode::kCorruption) << failed.message();
    EXPECT_EQ((*mirror)->error().code(), StatusCode::kCorruption);
    EXPECT_EQ((*mirror)->close().code(), StatusCode::kCorruption);  // the sticky error
  }
  MirrorOptions read_only;
  read_only.read_only = true;
  auto mirror = Mirror::open(wal::Env::posix(), dir / "db", dir / "wal", read_only);
  ASSERT_TRUE(mirror.is_ok()) << mirror.status().message();
  EXPECT_EQ((*mirror)->applied_lsn(), 3U);
  RevisionSink sink;
  ASSERT_TRUE((*mirror)->load(sink, 1).is_ok());
  EXPECT_EQ(sink.docs, (std::map<std::string, std::uint64_t>{{"a", 3}, {"b", 2}}));
}

}  // namespace
}  // namespace snapstore::recovery
