// DocId: ids up to 39 bytes inline, longer ones on the heap; copies, moves
// and comparisons behave as std::string's whichever way each side is stored.
#include "value/doc_id.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace snapstore::value {
namespace {

std::vector<std::string> ids_around_the_inline_limit() {
  std::vector<std::string> ids = {"", "a", std::string(1, '\0'), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"};
  for (std::size_t n :
       {DocId::kInlineCapacity - 1, DocId::kInlineCapacity, DocId::kInlineCapacity + 1, std::size_t{100}}) {
    ids.push_back(std::string(n, 'x'));
    ids.push_back(std::string(n, '\xff'));
  }
  return ids;
}

TEST(DocIdTest, HoldsEveryLengthOnEitherSideOfTheInlineLimit) {
  for (const std::string& text : ids_around_the_inline_limit()) {
    SCOPED_TRACE("length " + std::to_string(text.size()));
    const DocId id(text);
    EXPECT_EQ(id.view(), text);
    EXPECT_EQ(id.str(), text);

    DocId copy(id);
    EXPECT_EQ(copy.view(), text);
    DocId moved(std::move(copy));
    EXPECT_EQ(moved.view(), text);
    EXPECT_TRUE(copy.view().empty());  // NOLINT: a moved-from id is empty

    DocId assigned("something else entirely, longer than thirty-nine bytes");
    assigned = id;
    EXPECT_EQ(assigned.view(), text);
    DocId move_assigned("short");
    move_assigned = std::move(assigned);
    EXPECT_EQ(move_assigned.view(), text);
    const DocId& same = move_assigned;
    move_assigned = same;  // self-assignment keeps the id
    EXPECT_EQ(move_assigned.view(), text);
  }
}

TEST(DocIdTest, OrdersAndComparesAsItsText) {
  const auto texts = ids_around_the_inline_limit();
  for (const std::string& a : texts) {
    for (const std::string& b : texts) {
      EXPECT_EQ(DocId(a) == DocId(b), a == b);
      EXPECT_EQ(DocId(a) < DocId(b), a < b) << a.size() << " vs " << b.size();
    }
  }
}

}  // namespace
}  // namespace snapstore::value
