// LookupPlan's bounds and reasons (see lookup_plan.h).
#include "index/lookup_plan.h"

#include <algorithm>

namespace snapstore {

std::string_view to_string(LookupPlan::Bound bound) noexcept {
  switch (bound) {
    case LookupPlan::Bound::kUnbounded:
      return "unbounded";
    case LookupPlan::Bound::kPrefix:
      return "prefix";
    case LookupPlan::Bound::kExact:
      return "exact";
    case LookupPlan::Bound::kOverlong:
      return "overlong";
  }
  return "unknown";
}

namespace index {
namespace {

// The order OrderedIndex keeps its entries in, and StoreReader sorts its matches into.
constexpr std::string_view kIndexOrder = "key ascending, then id";

LookupPlan::Bound bound_kind(std::size_t fields, std::size_t values) {
  if (values == 0) return LookupPlan::Bound::kUnbounded;
  if (values < fields) return LookupPlan::Bound::kPrefix;
  if (values == fields) return LookupPlan::Bound::kExact;
  return LookupPlan::Bound::kOverlong;
}

std::string values_word(std::size_t n) { return std::to_string(n) + (n == 1 ? " value" : " values"); }
std::string fields_word(std::size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); }

LookupPlan base_plan(std::string_view index, const std::vector<std::string>& fields) {
  LookupPlan plan;
  plan.index = std::string(index);
  plan.fields = fields;
  plan.order = std::string(kIndexOrder);
  return plan;
}

}  // namespace

LookupPlan plan_equal(std::string_view index, const std::vector<std::string>& fields, KeyValues values) {
  LookupPlan plan = base_plan(index, fields);
  plan.equality = true;
  plan.lower = plan.upper = bound_kind(fields.size(), values.size());
  if (values.size() != fields.size()) {
    plan.empty_reason = "the key has " + values_word(values.size()) + " but the index has " +
                        fields_word(fields.size()) + ": an equality lookup matches whole keys only" +
                        (values.size() < fields.size() ? " (a range with the key as both bounds matches a prefix)" : "");
  } else if (std::any_of(values.begin(), values.end(), [](const Value& v) { return v.is_null(); })) {
    plan.empty_reason = "the key holds a null: documents with a null or missing field are not in the index";
  }
  return plan;
}

LookupPlan plan_range(std::string_view index, const std::vector<std::string>& fields, KeyValues min, KeyValues max) {
  LookupPlan plan = base_plan(index, fields);
  plan.lower = bound_kind(fields.size(), min.size());
  plan.upper = bound_kind(fields.size(), max.size());
  // A key within both bounds starts with values that lie between the
  // bounds' common leading values, so min above max there leaves no key.
  const std::size_t common = std::min(min.size(), max.size());
  if (common > 0 && compare_keys(min.first(common), max.first(common)) > 0) {
    plan.empty_reason = "min sorts after max: no key lies between them";
  }
  return plan;
}

}  // namespace index
}  // namespace snapstore
