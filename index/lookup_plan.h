// The parts of a LookupPlan (snapstore/store.h) that follow from an index's
// definition and the lookup's arguments alone: how each bound limits the
// keys, the order of the results, and whether the arguments can match
// anything. The engine (Store::explain) and the tools' reader of the files
// (recovery::StoreReader) fill in the counts, each from its own entries, so
// both describe a lookup in the same words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "index/key.h"
#include "snapstore/store.h"

namespace snapstore::index {

// An equality lookup of `values` (Store::lookup): both bounds are the key.
// empty_reason is set when the key has not one value per field or holds a
// null — what find_equal answers with nothing.
LookupPlan plan_equal(std::string_view index, const std::vector<std::string>& fields, KeyValues values);

// A range lookup (Store::lookup_range). empty_reason is set when min sorts
// after max on the values both give, so that no key can lie between them.
LookupPlan plan_range(std::string_view index, const std::vector<std::string>& fields, KeyValues min, KeyValues max);

}  // namespace snapstore::index
