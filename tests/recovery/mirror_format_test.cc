// The mirror's index definition codec: round trips, and stored bytes that are
// not a field list (huge declared lengths, nesting, wrong types, trailing
// bytes) coming back as Corruption that says what is wrong, without
// allocating for what the bytes only declare.
#include "recovery/mirror_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/allocation_meter.h"

namespace snapstore::recovery {
namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

void expect_bounded_corruption(const std::string& input, std::string_view reason_part) {
  SCOPED_TRACE("input of " + std::to_string(input.size()) + " bytes");
  std::size_t allocated = 0;
  Status status;
  {
    testutil::AllocationMeter meter;
    status = decode_index_fields(input).status();
    allocated = meter.total_bytes();
  }
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.message();
  EXPECT_NE(status.message().find(reason_part), std::string::npos) << status.message();
  EXPECT_LE(allocated, 64 * input.size() + 16384) << status.message();
}

TEST(IndexFieldsCodecTest, RoundTrips) {
  for (const std::vector<std::string>& fields : std::vector<std::vector<std::string>>{
           {"city"}, {"address.zip", "name", ""}, {std::string(300, 'f'), std::string("\0\xff", 2)}}) {
    auto decoded = decode_index_fields(encode_index_fields(fields));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
    EXPECT_EQ(decoded->fields, fields);
    EXPECT_EQ(decoded->options, IndexOptions{});
  }
}

TEST(IndexFieldsCodecTest, OptionsRoundTripAndPlainIndexesKeepTheOldForm) {
  const std::vector<std::string> fields{"email", "a.b"};
  for (const IndexOptions& options :
       {IndexOptions{.unique = true}, IndexOptions{.partial = IndexPredicate::exists("p.q")},
        IndexOptions{.unique = true, .partial = IndexPredicate::equals("s", Value(Array{1, "x"}))}}) {
    auto decoded = decode_index_fields(encode_index_fields(fields, options));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
    EXPECT_EQ(decoded->fields, fields);
    EXPECT_EQ(decoded->options, options);
  }
  EXPECT_EQ(encode_index_fields(fields, IndexOptions{}), encode_index_fields(fields));
  EXPECT_EQ(static_cast<unsigned char>(encode_index_fields(fields)[1]), 0xa5U);  // [ "email", ...]: no options
}

TEST(IndexFieldsCodecTest, HugeDeclaredLengthsFailWithoutAllocating) {
  expect_bounded_corruption(bytes({0xdd, 0xff, 0xff, 0xff, 0xff}), "truncated input");
  expect_bounded_corruption(bytes({0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61}), "truncated input");
  expect_bounded_corruption(bytes({0xdd, 0xff, 0xff, 0xff, 0xff}) + std::string(4000, '\xa0'), "truncated input");
}

TEST(IndexFieldsCodecTest, MalformedListsAreNamed) {
  // [[fields]] without options; a definition with options nests two levels, no more.
  expect_bounded_corruption(bytes({0x91, 0x91, 0xa1, 0x61}), "index definition is not [[field, ...], options]");
  expect_bounded_corruption(bytes({0x91, 0x91, 0x91, 0xa1, 0x61}), "nesting deeper than 2 levels");
  expect_bounded_corruption(bytes({0x90}), "not a non-empty array");
  expect_bounded_corruption(bytes({0xa1, 0x61}), "not a non-empty array");
  expect_bounded_corruption(bytes({0x92, 0xa1, 0x61, 0x07}), "index field 1 is not a string");
  expect_bounded_corruption(bytes({0x91, 0xa1, 0x61, 0xc0}), "1 trailing bytes");
  expect_bounded_corruption(bytes({0xc1}), "invalid type byte 0xc1 at offset 0");
  expect_bounded_corruption("", "truncated input");
}

}  // namespace
}  // namespace snapstore::recovery
