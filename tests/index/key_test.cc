// Key extraction (dotted paths, membership) and the key orders of index/key.h.
#include "index/key.h"

#include <gtest/gtest.h>

namespace snapstore::index {
namespace {

TEST(FieldPathTest, SplitsAtDots) {
  EXPECT_EQ(FieldPath("address.zip").segments(), (std::vector<std::string>{"address", "zip"}));
  EXPECT_EQ(FieldPath("name").segments(), (std::vector<std::string>{"name"}));
  EXPECT_EQ(FieldPath("").segments(), (std::vector<std::string>{""}));
  EXPECT_EQ(FieldPath("a..b").segments(), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(FieldPath("a.b").text(), "a.b");
}

TEST(FieldPathTest, DescendsIntoNestedObjects) {
  const Document doc{{"address", Document{{"zip", "10001"}, {"geo", Document{{"lat", 40.7}}}}}, {"a.b", 1}};
  ASSERT_NE(FieldPath("address.zip").find_in(doc), nullptr);
  EXPECT_EQ(*FieldPath("address.zip").find_in(doc), Value("10001"));
  EXPECT_EQ(*FieldPath("address.geo.lat").find_in(doc), Value(40.7));
  EXPECT_EQ(FieldPath("address.city").find_in(doc), nullptr);
  EXPECT_EQ(FieldPath("address.zip.more").find_in(doc), nullptr);  // "10001" is no object
  // A top-level key containing a dot cannot be reached: paths always descend.
  EXPECT_EQ(FieldPath("a.b").find_in(doc), nullptr);
}

TEST(ExtractKeyTest, MissingOrNullFieldMeansNoKey) {
  const auto fields = parse_field_paths({"a", "b"});
  EXPECT_EQ(extract_key(Document{{"a", 1}, {"b", "x"}}, fields), (Key{1, "x"}));
  EXPECT_FALSE(extract_key(Document{{"a", 1}}, fields).has_value());
  EXPECT_FALSE(extract_key(Document{{"a", 1}, {"b", nullptr}}, fields).has_value());
  // Falsy values are values.
  EXPECT_EQ(extract_key(Document{{"a", false}, {"b", ""}}, fields), (Key{false, ""}));
}

TEST(ExtractKeyTest, RepeatedFieldRepeatsTheValue) {
  EXPECT_EQ(extract_key(Document{{"a", 7}}, parse_field_paths({"a", "a"})), (Key{7, 7}));
}

TEST(CompareKeysTest, ElementWiseThenShorterFirst) {
  EXPECT_LT(compare_keys(Key{"A"}, Key{"A", 1}), 0);
  EXPECT_GT(compare_keys(Key{"A", 1}, Key{"A"}), 0);
  EXPECT_LT(compare_keys(Key{"A", 30}, Key{"B", 15}), 0);
  EXPECT_EQ(compare_keys(Key{5, "x"}, Key{5.0, "x"}), 0);
  EXPECT_EQ(compare_keys(Key{}, Key{}), 0);
}

TEST(CompareToBoundTest, PrefixBoundsMatchEveryExtension) {
  EXPECT_EQ(compare_to_bound(Key{"NY", 10}, Key{"NY"}), 0);
  EXPECT_LT(compare_to_bound(Key{"NJ", 10}, Key{"NY"}), 0);
  EXPECT_GT(compare_to_bound(Key{"TX", 10}, Key{"NY"}), 0);
  EXPECT_EQ(compare_to_bound(Key{"NY", 10}, Key{"NY", 10}), 0);
  EXPECT_LT(compare_to_bound(Key{"NY", 10}, Key{"NY", 11}), 0);
  // A key shorter than the bound, equal on its length, sorts before the bound.
  EXPECT_LT(compare_to_bound(Key{"NY"}, Key{"NY", 1}), 0);
  EXPECT_EQ(compare_to_bound(Key{"NY"}, Key{}), 0);
}

}  // namespace
}  // namespace snapstore::index
