// `snapstore explain` (see explain_command.h). One scan of the files
// (recovery::StoreReader::explain_*) that reads each document's key in place
// and keeps the matching keys only. Unlike find and count it accepts keys of
// any length: saying why such a key matches nothing is its job (D76).
#include "tools/explain_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "tools/cli_support.h"

namespace snapstore::tools {
namespace {

std::string key_json(const IndexKey& key) { return to_json(Value(Array(key.values().begin(), key.values().end()))); }

// `["NY", 30] (exact)`, or `none (unbounded)`.
std::string bound_text(const IndexKey& key, LookupPlan::Bound kind) {
  return (key.empty() ? std::string("none") : key_json(key)) + " (" + std::string(to_string(kind)) + ")";
}

}  // namespace

CLI::App* ExplainCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "explain",
      "How a find or count on an index would run: its bounds, the distinct keys and documents it touches, their "
      "order, the index's size");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("index", index_, "Index name")->required();
  CLI::Option* eq = sub->add_option("--eq,--equals", equals_, "Exact key: a JSON array with one value per field");
  sub->add_option("--min", min_, "Lower bound (inclusive; a shorter array is a prefix bound)")->excludes(eq);
  sub->add_option("--max", max_, "Upper bound (inclusive; a shorter array is a prefix bound)")->excludes(eq);
  sub->add_flag("--json", json_, "One JSON object (exact numbers)");
  sub->footer(examples({"snapstore explain ./my-data by_city --eq '[\"NY\"]'",
                        "snapstore explain ./my-data by_city_age --min '[\"NY\"]' --max '[\"NY\"]'   # a prefix",
                        "snapstore explain --json ./my-data by_age --min '[30]' | jq .documents"}));
  return sub;
}

int ExplainCommand::run(const GlobalOptions&) {
  auto reader = open_reader(dir_);
  if (!reader) return report_error("explain", reader.status());
  if (auto index = (*reader)->index(index_); !index) return report_error("explain", index.status());
  const bool equality = !equals_.empty();
  auto key = equality ? parse_key(equals_, "--eq") : Result<IndexKey>(IndexKey{});
  if (!key) return report_error("explain", key.status());
  auto min = min_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(min_, "--min");
  if (!min) return report_error("explain", min.status());
  auto max = max_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(max_, "--max");
  if (!max) return report_error("explain", max.status());
  auto plan = equality ? (*reader)->explain_equal(index_, key->values())
                       : (*reader)->explain_range(index_, min->values(), max->values());
  if (!plan) return report_error("explain", plan.status());

  if (json_) {
    Object out{{"index", plan->index},
               {"fields", Array(plan->fields.begin(), plan->fields.end())},
               {"options", describe(plan->options)},
               {"lookup", equality ? "equality" : "range"}};
    if (equality) {
      out["key"] = Array(key->values().begin(), key->values().end());
    } else {
      out["min"] = Array(min->values().begin(), min->values().end());
      out["max"] = Array(max->values().begin(), max->values().end());
    }
    out["lower"] = std::string(to_string(plan->lower));
    out["upper"] = std::string(to_string(plan->upper));
    out["keys"] = static_cast<std::uint64_t>(plan->keys);
    out["documents"] = static_cast<std::uint64_t>(plan->documents);
    out["index_entries"] = static_cast<std::uint64_t>(plan->index_entries);
    out["order"] = plan->order;
    out["empty_reason"] = plan->empty_reason;
    std::cout << to_json(Value(std::move(out))) << "\n";
    return kExitOk;
  }
  std::cout << "index      " << plan->index << " (";
  for (std::size_t f = 0; f < plan->fields.size(); ++f) std::cout << (f ? ", " : "") << plan->fields[f];
  std::cout << ")";
  if (const std::string options = describe(plan->options); !options.empty()) std::cout << " " << options;
  std::cout << "\n";
  if (equality) {
    std::cout << "lookup     equality: key " << bound_text(*key, plan->lower) << "\n";
  } else {
    std::cout << "lookup     range: min " << bound_text(*min, plan->lower) << ", max " << bound_text(*max, plan->upper)
              << "\n";
  }
  std::cout << "keys       " << thousands(plan->keys) << " distinct\n";
  std::cout << "documents  " << thousands(plan->documents) << " of " << thousands(plan->index_entries)
            << " in the index\n";
  std::cout << "order      " << plan->order << "\n";
  if (!plan->empty_reason.empty()) std::cout << "no match   " << plan->empty_reason << "\n";
  return kExitOk;
}

}  // namespace snapstore::tools
