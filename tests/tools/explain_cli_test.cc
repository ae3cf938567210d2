// `snapstore explain` and `snapstore count` read from the files: the plan
// equals Store::explain's on the same store field by field (equality, range,
// prefix, unbounded, overlong, min > max, a short key, a null), count equals
// the plan's documents, the text form reads as documented, and bad input
// gets the CLI's exit codes with a message naming what is wrong.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snapstore/store.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

using testutil::ToolRun;

class ExplainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.durability = Durability::kNone;
    auto store = Store::open(dir(), options);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(store->create_index("by_city_age", {"city", "age"}));
    ASSERT_TRUE(store->create_index("by_city", {"city"}));
    const char* cities[] = {"NY", "LA", "NY", "SF", "NY", "LA", "NY"};
    for (int i = 0; i < 35; ++i) {
      Document doc{{"city", cities[i % 7]}, {"age", 20 + i % 4}};
      if (i % 10 == 9) doc.erase("age");  // in by_city only
      ASSERT_TRUE(store->insert(doc));
    }
    store->close();
  }

  std::string dir() const { return dir_ / "s"; }

  // The library's plan on the same files, from a read-only store (its
  // shared lock lets the CLI read meanwhile).
  static LookupPlan library_plan(const Store& store, const std::string& index, const std::optional<IndexKey>& equals,
                                 const IndexKey& min, const IndexKey& max) {
    auto plan = equals ? store.explain(index, *equals) : store.explain(index, min, max);
    EXPECT_TRUE(plan) << plan.status().message();
    return plan ? *plan : LookupPlan{};
  }

  static IndexKey key_of(const std::string& json) {
    if (json.empty()) return IndexKey{};
    auto value = from_json(json);
    EXPECT_TRUE(value && value->is_array()) << json;
    return IndexKey(value->as_array());
  }

  testutil::TempDir dir_;
  testutil::ToolRunner tool_;
};

TEST_F(ExplainCliTest, JsonPlanEqualsTheLibrarysAndCountEqualsItsDocuments) {
  struct Case {
    std::string index;
    std::string equals;  // JSON, or empty for a range
    std::string min;
    std::string max;
  };
  const std::vector<Case> cases = {
      {"by_city_age", "[\"NY\", 21]", "", ""},
      {"by_city_age", "[\"NY\"]", "", ""},            // a short key: nothing, and why
      {"by_city_age", "[\"NY\", null]", "", ""},      // a null: nothing, and why
      {"by_city", "[\"LA\"]", "", ""},
      {"by_city_age", "", "[\"NY\"]", "[\"NY\"]"},    // a prefix
      {"by_city_age", "", "[\"LA\", 21]", "[\"NY\", 22]"},
      {"by_city_age", "", "", ""},                    // the whole index
      {"by_city_age", "", "[\"SF\"]", "[\"LA\"]"},    // min > max
      {"by_city_age", "", "", "[\"NY\", 21, 0]"},     // an overlong max
      {"by_city", "", "[\"M\"]", ""},
  };
  Options read_only;
  read_only.read_only = true;
  auto store = Store::open(dir(), read_only);
  ASSERT_TRUE(store) << store.status().message();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.index + " eq=" + c.equals + " min=" + c.min + " max=" + c.max);
    std::vector<std::string> args = {"explain", "--json", dir(), c.index};
    std::vector<std::string> count_args = {"count", dir(), c.index};
    if (!c.equals.empty()) {
      args.insert(args.end(), {"--eq", c.equals});
    } else {
      if (!c.min.empty()) args.insert(args.end(), {"--min", c.min});
      if (!c.max.empty()) args.insert(args.end(), {"--max", c.max});
    }
    const ToolRun run = tool_.run(args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto json = from_json(run.out);
    ASSERT_TRUE(json && json->is_object()) << run.out;
    const std::optional<IndexKey> equals = c.equals.empty() ? std::nullopt : std::optional<IndexKey>(key_of(c.equals));
    const LookupPlan plan = library_plan(*store, c.index, equals, key_of(c.min), key_of(c.max));
    EXPECT_EQ(json->at("index").as_string(), plan.index);
    EXPECT_EQ(json->at("fields").as_array().size(), plan.fields.size());
    EXPECT_EQ(json->at("lookup").as_string(), plan.equality ? "equality" : "range");
    EXPECT_EQ(json->at("lower").as_string(), to_string(plan.lower));
    EXPECT_EQ(json->at("upper").as_string(), to_string(plan.upper));
    EXPECT_EQ(json->at("keys").as_int(), static_cast<std::int64_t>(plan.keys));
    EXPECT_EQ(json->at("documents").as_int(), static_cast<std::int64_t>(plan.documents));
    EXPECT_EQ(json->at("index_entries").as_int(), static_cast<std::int64_t>(plan.index_entries));
    EXPECT_EQ(json->at("order").as_string(), plan.order);
    EXPECT_EQ(json->at("empty_reason").as_string(), plan.empty_reason);
    // count takes the same bounds wherever it accepts them (an exact key of
    // one value per field, bounds no longer than the key).
    const bool count_accepts = plan.lower != LookupPlan::Bound::kOverlong && plan.upper != LookupPlan::Bound::kOverlong &&
                               (!plan.equality || plan.lower == LookupPlan::Bound::kExact);
    if (count_accepts) {
      if (!c.equals.empty()) {
        count_args.push_back(c.equals);
      } else {
        if (!c.min.empty()) count_args.insert(count_args.end(), {"--min", c.min});
        if (!c.max.empty()) count_args.insert(count_args.end(), {"--max", c.max});
      }
      const ToolRun counted = tool_.run(count_args);
      EXPECT_EQ(counted.exit_code, 0) << counted.err;
      EXPECT_EQ(counted.out, std::to_string(plan.documents) + "\n");
    }
  }
}

TEST_F(ExplainCliTest, TextPlanReadsAsDocumented) {
  const ToolRun prefix = tool_.run({"explain", dir(), "by_city_age", "--min", "[\"NY\"]", "--max", "[\"NY\"]"});
  ASSERT_EQ(prefix.exit_code, 0) << prefix.err;
  // NY is 4 of every 7 documents (20 of 35), one of which lacks an age.
  EXPECT_EQ(prefix.out,
            "index      by_city_age (city, age)\n"
            "lookup     range: min [\"NY\"] (prefix), max [\"NY\"] (prefix)\n"
            "keys       4 distinct\n"
            "documents  19 of 32 in the index\n"
            "order      key ascending, then id\n");
  const ToolRun short_key = tool_.run({"explain", dir(), "by_city_age", "--equals", "[\"NY\"]"});
  ASSERT_EQ(short_key.exit_code, 0) << short_key.err;
  EXPECT_NE(short_key.out.find("lookup     equality: key [\"NY\"] (prefix)\n"), std::string::npos) << short_key.out;
  EXPECT_NE(short_key.out.find("no match   the key has 1 value but the index has 2 fields"), std::string::npos)
      << short_key.out;
  const ToolRun all = tool_.run({"explain", dir(), "by_city"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("min none (unbounded), max none (unbounded)"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("keys       3 distinct\ndocuments  35 of 35 in the index\n"), std::string::npos) << all.out;
}

TEST_F(ExplainCliTest, BadInputGetsTheCliExitCodesAndNamesTheProblem) {
  const ToolRun missing = tool_.run({"explain", dir(), "no_such_index"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no_such_index"), std::string::npos) << missing.err;
  EXPECT_TRUE(missing.out.empty()) << missing.out;

  const ToolRun malformed = tool_.run({"explain", dir(), "by_city", "--eq", "[\"NY\""});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("--eq"), std::string::npos) << malformed.err;

  const ToolRun not_array = tool_.run({"explain", dir(), "by_city", "--min", "{\"a\": 1}"});
  EXPECT_EQ(not_array.exit_code, 2);
  EXPECT_NE(not_array.err.find("--min"), std::string::npos) << not_array.err;

  const ToolRun both = tool_.run({"explain", dir(), "by_city", "--eq", "[\"NY\"]", "--min", "[\"A\"]"});
  EXPECT_EQ(both.exit_code, 2) << both.out;

  const ToolRun no_store = tool_.run({"explain", (dir_ / "absent"), "by_city"});
  EXPECT_EQ(no_store.exit_code, 2);
  EXPECT_NE(no_store.err.find("absent"), std::string::npos) << no_store.err;
}

}  // namespace
}  // namespace snapstore
