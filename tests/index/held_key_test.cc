// HeldKey: the one-block key store of index entries. Copies are deep, moves
// hand the block over, and every value with heap parts of its own survives
// both (AddressSanitizer checks the frees).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "index/held_key.h"
#include "index/key.h"

namespace snapstore::index {
namespace {

Key sample_key() {
  return Key{std::string(100, 'x'), 42, Array{1, "two", Object{{"three", 3.0}}}, Binary{1, 2, 3}, Object{{"k", "v"}}};
}

TEST(HeldKeyTest, CopiesAndMovesKeepTheValues) {
  const Key key = sample_key();
  HeldKey held = HeldKey::copy_of(key);
  ASSERT_TRUE(held);
  EXPECT_EQ(Key(held.values().begin(), held.values().end()), key);

  HeldKey copy = held;
  EXPECT_EQ(Key(copy.values().begin(), copy.values().end()), key);
  EXPECT_NE(copy.values().data(), held.values().data());

  HeldKey moved = std::move(copy);
  EXPECT_FALSE(copy);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(copy.values().empty());
  EXPECT_EQ(Key(moved.values().begin(), moved.values().end()), key);

  HeldKey assigned;
  assigned = moved;
  EXPECT_EQ(Key(assigned.values().begin(), assigned.values().end()), key);
  HeldKey& same = assigned;  // through a reference: compilers reject a literal self-assignment
  assigned = same;           // self-assignment keeps the block
  EXPECT_EQ(Key(assigned.values().begin(), assigned.values().end()), key);
  assigned = HeldKey::copy_of(Key{1});
  EXPECT_EQ(Key(assigned.values().begin(), assigned.values().end()), Key{1});
  assigned = HeldKey();
  EXPECT_FALSE(assigned);
}

TEST(HeldKeyTest, MovedFromTakesTheValuesAndLeavesTheirPlaces) {
  Key scratch = sample_key();
  const Key expected = scratch;
  const HeldKey held = HeldKey::moved_from(scratch);
  EXPECT_EQ(Key(held.values().begin(), held.values().end()), expected);
  EXPECT_EQ(scratch.size(), expected.size());  // the vector itself stays, for reuse
  EXPECT_TRUE(scratch.front().as_string().empty());
}

TEST(HeldKeyTest, AnEmptyKeyHasABlockOfNoValues) {
  const HeldKey held = HeldKey::copy_of(Key{});
  EXPECT_TRUE(held);
  EXPECT_TRUE(held.values().empty());
}

}  // namespace
}  // namespace snapstore::index
