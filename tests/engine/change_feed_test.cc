// The change feed (issue 16 item 1) and its JSON line format (item 4):
// Change <-> JSON line for every op, the WAL batch -> Change decoding shared
// with other readers of the log, and bad lines refused with a named field.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "recovery/change_decode.h"
#include "snapstore/change.h"
#include "value/msgpack_codec.h"
#include "wal/record.h"

namespace snapstore {
namespace {

Change make(ChangeOp op, std::uint64_t rev, std::uint64_t first, std::uint64_t last) {
  Change c;
  c.op = op;
  c.revision = rev;
  c.batch_first_revision = first;
  c.batch_last_revision = last;
  return c;
}

std::vector<Change> every_op() {
  std::vector<Change> all;
  Change insert = make(ChangeOp::kInsert, 41, 41, 43);
  insert.id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  insert.version = 1;
  insert.document = Document{{"name", "Alice"},
                             {"age", 30},
                             {"big", std::numeric_limits<std::uint64_t>::max()},
                             {"pi", 3.25},
                             {"whole", 2.0},
                             {"nan", std::nan("")},
                             {"bin", Binary{0, 1, 255}},
                             {"bad_utf8", std::string("\xff\xfe", 2)},
                             {"tricky", Object{{"$binary", "not base64"}}},
                             {"tags", Array{"a", nullptr, true, Array{}}},
                             {"nested", Object{{"x", Object{{"y", -7}}}}}};
  all.push_back(insert);
  Change update = make(ChangeOp::kUpdate, 42, 41, 43);
  update.id = std::string("id with \"quotes\"\n and \xc3\xa9");
  update.version = 3;
  update.document = Document{};
  all.push_back(update);
  Change remove = make(ChangeOp::kRemove, 43, 41, 43);
  remove.id = "gone";
  remove.version = 7;
  all.push_back(remove);
  Change plain = make(ChangeOp::kCreateIndex, 44, 44, 44);
  plain.index = "by_city_age";
  plain.fields = {"city", "age"};
  all.push_back(plain);
  Change unique = make(ChangeOp::kCreateIndex, 45, 45, 45);
  unique.index = "by_email";
  unique.fields = {"contact.email"};
  unique.index_options = IndexOptions{.unique = true, .partial = IndexPredicate::exists("contact.email")};
  all.push_back(unique);
  Change partial = make(ChangeOp::kCreateIndex, 46, 46, 46);
  partial.index = "active";
  partial.fields = {"city"};
  partial.index_options = IndexOptions{.partial = IndexPredicate::equals("status", Binary{1, 2})};
  all.push_back(partial);
  Change drop = make(ChangeOp::kDropIndex, 47, 47, 47);
  drop.index = "by_city_age";
  all.push_back(drop);
  return all;
}

TEST(ChangeJson, EveryOpRoundTrips) {
  for (const Change& c : every_op()) {
    const std::string line = to_json_line(c);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    auto back = change_from_json_line(line);
    ASSERT_TRUE(back) << line << ": " << back.status().message();
    EXPECT_EQ(*back, c) << line;
    auto with_newline = change_from_json_line(line + "\n");
    ASSERT_TRUE(with_newline);
    EXPECT_EQ(*with_newline, c);
  }
}

TEST(ChangeJson, LineShapeIsTheDocumentedOne) {
  Change c = make(ChangeOp::kUpdate, 42, 41, 43);
  c.id = "a";
  c.version = 3;
  c.document = Document{{"n", 1}};
  EXPECT_EQ(to_json_line(c), R"({"v":1,"rev":42,"op":"update","id":"a","version":3,"doc":{"n":1},"batch":[41,43]})");
  Change r = make(ChangeOp::kRemove, 5, 5, 5);
  r.id = "a";
  r.version = 2;
  EXPECT_EQ(to_json_line(r), R"({"v":1,"rev":5,"op":"remove","id":"a","version":2,"batch":[5,5]})");
  Change ci = make(ChangeOp::kCreateIndex, 6, 6, 6);
  ci.index = "by_n";
  ci.fields = {"n"};
  ci.index_options.partial = IndexPredicate::equals("s", "on");
  EXPECT_EQ(to_json_line(ci),
            R"({"v":1,"rev":6,"op":"create_index","index":"by_n","fields":["n"],"unique":false,)"
            R"("where":{"equals":"on","field":"s"},"batch":[6,6]})");
  ci.index_options = IndexOptions{.unique = true, .partial = IndexPredicate::exists("s")};
  EXPECT_EQ(to_json_line(ci),
            R"({"v":1,"rev":6,"op":"create_index","index":"by_n","fields":["n"],"unique":true,)"
            R"("where":{"exists":true,"field":"s"},"batch":[6,6]})");
  Change di = make(ChangeOp::kDropIndex, 7, 7, 7);
  di.index = "by_n";
  EXPECT_EQ(to_json_line(di), R"({"v":1,"rev":7,"op":"drop_index","index":"by_n","batch":[7,7]})");
}

TEST(ChangeJson, UnknownFieldsAreIgnored) {
  auto c = change_from_json_line(
      R"({"v":1,"rev":9,"op":"remove","id":"x","version":2,"batch":[9,9],"later":{"a":[1]},"ts":"now"})");
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_EQ(c->id, "x");
  EXPECT_TRUE(c->ends_batch());
}

TEST(ChangeJson, BadLinesNameWhatIsWrong) {
  struct Case {
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "change line"},
      {"[1,2]", "not a JSON object"},
      {R"({"rev":1,"op":"remove","id":"x","version":1,"batch":[1,1]})", "\"v\""},
      {R"({"v":2,"rev":1,"op":"remove","id":"x","version":1,"batch":[1,1]})", "format version 2"},
      {R"({"v":1,"rev":-1,"op":"remove","id":"x","version":1,"batch":[1,1]})", "\"rev\""},
      {R"({"v":1,"rev":0,"op":"remove","id":"x","version":1,"batch":[0,0]})", "\"rev\""},
      {R"({"v":1,"rev":1,"op":"upsert","id":"x","version":1,"batch":[1,1]})", "unknown op \"upsert\""},
      {R"({"v":1,"rev":1,"op":"remove","version":1,"batch":[1,1]})", "\"id\""},
      {R"({"v":1,"rev":1,"op":"remove","id":7,"version":1,"batch":[1,1]})", "\"id\""},
      {R"({"v":1,"rev":1,"op":"insert","id":"x","version":1,"batch":[1,1]})", "\"doc\""},
      {R"({"v":1,"rev":1,"op":"insert","id":"x","version":1,"doc":[1],"batch":[1,1]})", "\"doc\""},
      {R"({"v":1,"rev":1,"op":"create_index","index":"i","batch":[1,1]})", "\"fields\""},
      {R"({"v":1,"rev":1,"op":"create_index","index":"i","fields":[1],"batch":[1,1]})", "\"fields\""},
      {R"({"v":1,"rev":1,"op":"create_index","index":"i","fields":["a"],"where":{"equals":1},"batch":[1,1]})",
       "\"where\""},
      {R"({"v":1,"rev":1,"op":"drop_index","index":"i"})", "\"batch\""},
      {R"({"v":1,"rev":5,"op":"drop_index","index":"i","batch":[1,4]})", "does not contain rev 5"},
      {R"({"v":1,"rev":5,"op":"drop_index","index":"i","batch":[5]})", "\"batch\""},
  };
  for (const Case& c : cases) {
    auto parsed = change_from_json_line(c.line);
    ASSERT_FALSE(parsed) << c.line;
    EXPECT_EQ(parsed.code(), StatusCode::kInvalidArgument) << c.line;
    EXPECT_NE(parsed.status().message().find(c.expected), std::string::npos)
        << c.line << " -> " << parsed.status().message();
  }
}

TEST(ChangeDecode, WalBatchBecomesOneChangePerOperation) {
  std::string doc;
  ASSERT_TRUE(value::encode_msgpack(Document{{"n", 1}}, doc, 100));
  wal::Batch batch;
  batch.first_lsn = 10;
  batch.ops = {{wal::OpType::kInsert, "a", 1, doc, {}},
               {wal::OpType::kUpdate, "a", 2, doc, {}},
               {wal::OpType::kDelete, "a", 2, {}, {}},
               {wal::OpType::kCreateIndex, "by_n", 0, {}, {"n"}, IndexOptions{.unique = true}},
               {wal::OpType::kDropIndex, "by_n", 0, {}, {}}};
  auto changes = recovery::changes_of(batch, 100);
  ASSERT_TRUE(changes) << changes.status().message();
  ASSERT_EQ(changes->size(), 5u);
  const ChangeOp ops[] = {ChangeOp::kInsert, ChangeOp::kUpdate, ChangeOp::kRemove, ChangeOp::kCreateIndex,
                          ChangeOp::kDropIndex};
  for (std::size_t i = 0; i < 5; ++i) {
    const Change& c = (*changes)[i];
    EXPECT_EQ(c.op, ops[i]);
    EXPECT_EQ(c.revision, 10 + i);
    EXPECT_EQ(c.batch_first_revision, 10u);
    EXPECT_EQ(c.batch_last_revision, 14u);
    EXPECT_EQ(c.ends_batch(), i == 4);
  }
  EXPECT_EQ((*changes)[1].document, (Document{{"n", 1}}));
  EXPECT_EQ((*changes)[1].version, 2u);
  EXPECT_EQ((*changes)[2].id, "a");
  EXPECT_EQ((*changes)[3].fields, std::vector<std::string>{"n"});
  EXPECT_TRUE((*changes)[3].index_options.unique);
  EXPECT_EQ((*changes)[4].index, "by_n");

  batch.ops[1].document = "\xc1";  // never valid msgpack
  auto bad = recovery::changes_of(batch, 100);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("revision 11"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace snapstore
