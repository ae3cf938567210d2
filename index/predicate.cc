// Partial-index predicates and describe() (see predicate.h).
#include "index/predicate.h"

namespace snapstore {

std::string describe(const IndexOptions& options) {
  std::string out;
  if (options.unique) out += "unique";
  if (options.partial) {
    if (!out.empty()) out += ", ";
    out += "where " + options.partial->field;
    out += options.partial->value ? " = " + to_json(*options.partial->value) : std::string(" exists");
  }
  return out;
}

namespace index {

Predicate::Predicate(const std::optional<IndexPredicate>& partial) {
  if (!partial) return;
  path_.emplace(partial->field);
  value_ = partial->value;
}

bool Predicate::matches(const Object& doc) const {
  if (!path_) return true;
  const Value* v = path_->find_in(doc);
  if (v == nullptr || v->is_null()) return false;
  return !value_ || compare(*v, *value_) == 0;
}

bool Predicate::matches(const ValueView& doc) const {
  if (!path_) return true;
  const std::optional<ValueView> v = path_->find_in(doc);
  if (!v || v->is_null()) return false;
  return !value_ || compare(v->to_value(), *value_) == 0;
}

}  // namespace index
}  // namespace snapstore
