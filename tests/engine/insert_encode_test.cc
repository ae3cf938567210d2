// A single write encodes its document once, into a reused per-thread buffer
// (value::encode_document_in), and builds its snapshot from that buffer; a
// durable store copies the same bytes into its WAL operation, an in-memory one
// does not copy them at all (issue 17). Indexes try a new entry at their end
// before descending. Whatever the path, the stored bytes must be exactly what
// encode_msgpack gives for every kind of value, a buffer reused after a larger
// or a refused document must leave no trace in the next one, and a refused
// document must change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "testutil/store_factory.h"
#include "value/msgpack_codec.h"

namespace snapstore {
namespace {

using testutil::must;
using testutil::StoreKind;

std::string old_path(const Object& doc) {
  std::string out;
  EXPECT_TRUE(value::encode_msgpack(doc, out, 100).is_ok());
  return out;
}

// Every kind of value, at the boundaries where its encoding changes form.
Document every_kind(int variant) {
  Binary bin;
  bin.bytes.assign(static_cast<std::size_t>(300 + variant), 0xab);
  Array ints;
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{127}, std::int64_t{128}, std::int64_t{255},
                         std::int64_t{256}, std::int64_t{65535}, std::int64_t{65536}, std::int64_t{1} << 32,
                         std::int64_t{-1}, std::int64_t{-32}, std::int64_t{-33}, std::int64_t{-128},
                         std::int64_t{-129}, std::int64_t{-32768}, std::int64_t{-32769},
                         std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    // Wraps around at the ends (unsigned arithmetic: no signed overflow).
    ints.emplace_back(static_cast<std::int64_t>(static_cast<std::uint64_t>(v) + static_cast<std::uint64_t>(variant)));
  }
  Array many(20, Value(variant));  // an array16 header
  Document wide;
  for (int i = 0; i < 17; ++i) wide["f" + std::to_string(i)] = i;  // a map16 header
  return Document{
      {"null", Value()},
      {"yes", true},
      {"no", false},
      {"ints", ints},
      {"uint", std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(variant)},
      {"double", 1.5 + variant},
      {"integral double", 2.0},
      {"nan", std::nan("")},
      {"negative zero", -0.0},
      {"short", std::string(static_cast<std::size_t>(variant % 31), 's')},
      {"str8", std::string(200, 'm')},
      {"str16", std::string(300, 'l')},
      {"binary", bin},
      {"empty binary", Binary{}},
      {"many", many},
      {"wide", wide},
      {"nested", Document{{"a", Document{{"b", Array{1, "two", Array{}, Document{}}}}}}},
  };
}

TEST(InsertEncodeTest, TheScratchEncodingIsTheOldPathsBytesForEveryKindOfValue) {
  std::string scratch;
  for (int variant = 0; variant < 3; ++variant) {
    const Document doc = every_kind(variant);
    const auto bytes = value::encode_document_in(doc, scratch, 100);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
    EXPECT_EQ(std::string(*bytes), old_path(doc)) << variant;
    EXPECT_EQ(value::decode_document(*bytes, 100).value(), doc);
  }
}

// Short strings and binaries are copied inline in pieces that depend on
// their length: every length up to and past the inline limit, as values and
// as field names, must decode to what was encoded.
TEST(InsertEncodeTest, EveryShortLengthIsCopiedWhole) {
  std::string scratch;
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += static_cast<char>('a' + i % 26);
    Binary bin;
    for (std::size_t i = 0; i < n; ++i) bin.bytes.push_back(static_cast<std::uint8_t>(i * 7));
    const Document doc{{text + "!", text}, {"b", bin}, {"t", text}};
    const auto bytes = value::encode_document_in(doc, scratch, 100);
    ASSERT_TRUE(bytes.is_ok());
    EXPECT_EQ(std::string(*bytes), old_path(doc)) << n;
    EXPECT_EQ(value::decode_document(*bytes, 100).value(), doc) << n;
  }
}

TEST(InsertEncodeTest, AReusedScratchLeavesNoTraceOfALargerOrARefusedDocument) {
  std::string scratch;
  const Document large{{"text", std::string(100000, 'x')}};
  ASSERT_TRUE(value::encode_document_in(large, scratch, 100).is_ok());
  const Document small{{"a", 1}};
  auto bytes = value::encode_document_in(small, scratch, 100);
  ASSERT_TRUE(bytes.is_ok());
  EXPECT_EQ(std::string(*bytes), old_path(small));

  // Refused halfway (too deep), then a document that fits.
  Value deep = Document{{"leaf", 1}};
  for (int i = 0; i < 5; ++i) deep = Document{{"d", deep}, {"pad", std::string(40, 'p')}};
  const auto refused = value::encode_document_in(deep.as_object(), scratch, 3);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidDocument);
  EXPECT_NE(refused.status().message().find("nesting deeper than 3 levels"), std::string::npos)
      << refused.status().message();
  bytes = value::encode_document_in(small, scratch, 3);
  ASSERT_TRUE(bytes.is_ok());
  EXPECT_EQ(std::string(*bytes), old_path(small));
}

class InsertEncodeStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  Store open(const Options& options = Options{}) { return must(GetParam().open(options)); }
};

TEST_P(InsertEncodeStoreTest, StoredBytesAreTheEncodingThroughInsertsUpdatesAndBatches) {
  Store store = open();
  must(store.create_index("by_short", {"short"}));
  std::vector<std::pair<std::string, Document>> written;
  for (int variant = 0; variant < 3; ++variant) {
    const Document doc = every_kind(variant);
    written.emplace_back(must(store.insert(doc)).id, doc);
  }
  // Updates alternate with inserts of other sizes, so each reuses the buffer
  // the one before it left longer or shorter.
  const Document updated = every_kind(7);
  must(store.update(written[0].first, updated));
  written[0].second = updated;
  const Document tiny{{"short", "t"}};
  written.emplace_back(must(store.insert(tiny)).id, tiny);
  WriteBatch batch;
  batch.insert(every_kind(9));
  const auto batched = must(store.write(batch));
  written.emplace_back(batched[0].id, every_kind(9));

  for (const auto& [id, doc] : written) {
    const DocumentView view = must(store.get_view(id));
    EXPECT_EQ(std::string(view.data().encoded()), old_path(doc)) << id;
    EXPECT_EQ(must(store.get(id)).data, doc) << id;
  }
  // Each document is found under its key, the encoding's "short" value.
  for (const auto& [id, doc] : written) {
    const auto found = must(store.lookup("by_short", {doc.at("short")}));
    EXPECT_TRUE(std::any_of(found.begin(), found.end(), [&](const DocumentResult& d) { return d.id == id; })) << id;
  }
}

TEST_P(InsertEncodeStoreTest, OversizeDocumentsAreRefusedWithTheirSizeAndChangeNothing) {
  Options options;
  options.max_document_bytes = 1000;
  Store store = open(options);
  must(store.create_index("by_n", {"n"}));
  const std::string id = must(store.insert(Document{{"n", 1}, {"text", std::string(500, 'a')}})).id;
  const std::uint64_t revision = store.revision();

  const Document big{{"n", 2}, {"text", std::string(2000, 'b')}};
  const auto refused = store.insert(big);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidDocument);
  EXPECT_NE(refused.status().message().find("over the limit of 1000"), std::string::npos)
      << refused.status().message();
  const auto refused_update = store.update(id, big);
  ASSERT_FALSE(refused_update.is_ok());
  EXPECT_EQ(refused_update.status().code(), StatusCode::kInvalidDocument);

  EXPECT_EQ(store.revision(), revision);
  EXPECT_EQ(store.size(), 1U);
  EXPECT_EQ(must(store.get(id)).data.at("text").as_string(), std::string(500, 'a'));
  EXPECT_TRUE(must(store.lookup("by_n", {2})).empty());

  // The buffer the refused document filled is written over, not appended to.
  const Document next{{"n", 3}};
  const std::string next_id = must(store.insert(next)).id;
  EXPECT_EQ(std::string(must(store.get_view(next_id)).data().encoded()), old_path(next));
}

// New entries are tried at the index's end first: keys that grow, shrink, or
// come in no order, ties among them, must all land in key-then-id order.
TEST_P(InsertEncodeStoreTest, IndexOrderHoldsForGrowingShrinkingAndUnorderedKeys) {
  Store store = open();
  must(store.create_index("by_k", {"k"}));
  std::multimap<std::int64_t, std::string> model;  // key -> ids, each key's ids in insertion order
  const auto add = [&](std::int64_t k) { model.emplace(k, must(store.insert(Document{{"k", k}})).id); };
  for (std::int64_t k = 0; k < 200; ++k) add(k);                    // growing: every try at the end succeeds
  for (std::int64_t k = 199; k >= 0; k -= 3) add(k);                // ties, growing ids
  for (std::int64_t k = -1; k > -100; --k) add(k);                  // shrinking: every try fails
  for (std::int64_t i = 0; i < 200; ++i) add((i * 7919) % 401 - 200);  // no order
  std::vector<std::string> expected;
  for (const auto& [k, id] : model) expected.push_back(id);  // ids of one key grow with insertion (UUIDv7)
  std::vector<std::string> found;
  for (const auto& doc : must(store.lookup_range("by_k", {}, {}))) found.push_back(doc.id);
  EXPECT_EQ(found, expected);
  EXPECT_EQ(must(store.count("by_k", {}, {})), model.size());
}

INSTANTIATE_TEST_SUITE_P(Kinds, InsertEncodeStoreTest, ::testing::ValuesIn(testutil::all_store_kinds()),
                         testutil::store_kind_name);

}  // namespace
}  // namespace snapstore
