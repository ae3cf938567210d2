// Index options from the CLI (issue 15 item 6): create-index --unique,
// --where and --where-exists, their refusals, `indexes` showing them, a dump
// and restore that keep them, and `verify` catching a unique index whose
// files hold one key twice.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <string>
#include <vector>

#include "recovery/mirror_format.h"
#include "snapstore/store.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

using testutil::ToolRun;

class IndexOptionsCliTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ / name; }
  ToolRun run(const std::vector<std::string>& args) const { return tool_.run(args); }

  testutil::TempDir dir_;
  testutil::ToolRunner tool_;
};

TEST_F(IndexOptionsCliTest, CreateIndexOptionsShowInIndexesAndSurviveDumpAndRestore) {
  const std::string s = path("s");
  ASSERT_EQ(run({"insert", "--create", s, R"({"email":"a@x","status":"active","city":"NY","phone":"1"})"}).exit_code, 0);
  ASSERT_EQ(run({"insert", s, R"({"email":"b@x","status":"gone","city":"NY"})"}).exit_code, 0);

  ToolRun r = run({"create-index", "--unique", s, "by_email", "email"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"create-index", "--where", R"(status="active")", s, "active_by_city", "city"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"create-index", "--where-exists", "phone", s, "with_phone", "city"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = run({"indexes", "--entries", s});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("active_by_city (city) where status = \"active\": 1 entries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("by_email (email) unique: 2 entries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("with_phone (city) where phone exists: 1 entries"), std::string::npos) << r.out;
  r = run({"indexes", "--json", s});
  EXPECT_NE(r.out.find(R"("unique":true)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("where":{"equals":"active","field":"status"})"), std::string::npos) << r.out;

  // A duplicate is refused through the CLI too, naming the holder.
  r = run({"insert", s, R"({"email":"a@x"})"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unique index violation"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[\"a@x\"]"), std::string::npos) << r.err;

  for (const char* format : {"jsonl", "msgpack"}) {
    SCOPED_TRACE(format);
    const std::string dump = path(std::string("d.") + format);
    const std::string restored = path(std::string("r-") + format);
    r = run({"dump", "--format", format, s, "-o", dump});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({"restore", dump, restored});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto store = Store::open(restored);
    ASSERT_TRUE(store) << store.status().message();
    const std::vector<IndexInfo> infos = store->indexes();
    ASSERT_EQ(infos.size(), 3U);
    EXPECT_EQ(infos[0].options, IndexOptions{.partial = IndexPredicate::equals("status", "active")});
    EXPECT_EQ(infos[0].entries, 1U);
    EXPECT_EQ(infos[1].options, IndexOptions{.unique = true});
    EXPECT_EQ(infos[2].options, IndexOptions{.partial = IndexPredicate::exists("phone")});
    EXPECT_EQ(store->insert(Document{{"email", "b@x"}}).code(), StatusCode::kUniqueViolation);
  }
}

TEST_F(IndexOptionsCliTest, BadOptionsAreRefusedByName) {
  const std::string s = path("s");
  ASSERT_EQ(run({"insert", "--create", s, R"({"email":"a@x"})"}).exit_code, 0);
  ASSERT_EQ(run({"insert", s, R"({"email":"a@x"})"}).exit_code, 0);
  ToolRun r = run({"create-index", "--where", "status", s, "i", "email"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("FIELD=JSON"), std::string::npos) << r.err;
  r = run({"create-index", "--where", "status=active", s, "i", "email"});  // not JSON: "active" needs quotes
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--where status"), std::string::npos) << r.err;
  r = run({"create-index", "--where", "status=null", s, "i", "email"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("null"), std::string::npos) << r.err;
  r = run({"create-index", "--where", "a=1", "--where-exists", "b", s, "i", "email"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Unique over existing duplicates: refused, naming both documents.
  r = run({"create-index", "--unique", s, "by_email", "email"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("both have the key [\"a@x\"]"), std::string::npos) << r.err;
  r = run({"indexes", s});
  EXPECT_EQ(r.out, "");
}

TEST_F(IndexOptionsCliTest, VerifyFindsADuplicateKeyInAUniqueIndex) {
  const std::string s = path("s");
  {
    auto store = Store::open(s);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->insert(Document{{"email", "same"}}));
    ASSERT_TRUE(store->insert(Document{{"email", "same"}}));
    ASSERT_TRUE(store->create_index("by_email", {"email"}));
    store->close();
  }
  ToolRun r = run({"verify", s});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  {
    // The definition turns unique behind the store's back.
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"docs", {}}, {"meta", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path("s/db"), families, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[2], "index/by_email",
                        recovery::encode_index_fields({"email"}, IndexOptions{.unique = true}))
                    .ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), handles).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  r = run({"verify", s});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("unique index \"by_email\": ids"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("both have the key [\"same\"]"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace snapstore
