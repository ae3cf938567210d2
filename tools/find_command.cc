// `snapstore find` (see find_command.h).
#include "tools/find_command.h"

#include <iostream>

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* FindCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "find", "Documents of an index, as JSON lines in index order: all of them, an exact key (--eq) or a range");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("index", index_, "Index name")->required();
  CLI::Option* eq = sub->add_option("--eq", equals_, "Exact key: a JSON array with one value per field, e.g. '[\"NY\"]'");
  sub->add_option("--min", min_, "Lower bound (inclusive; a shorter array is a prefix bound)")->excludes(eq);
  sub->add_option("--max", max_, "Upper bound (inclusive; a shorter array is a prefix bound)")->excludes(eq);
  return sub;
}

int FindCommand::run(const GlobalOptions&) {
  Result<std::vector<DocumentResult>> found = std::vector<DocumentResult>{};
  auto store = open_store(dir_, false);
  if (!store) return report_error("find", store.status());
  if (!equals_.empty()) {
    auto key = parse_key(equals_, "--eq");
    if (!key) return report_error("find", key.status());
    found = store->lookup(index_, *key);
  } else {
    auto min = min_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(min_, "--min");
    if (!min) return report_error("find", min.status());
    auto max = max_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(max_, "--max");
    if (!max) return report_error("find", max.status());
    found = store->lookup_range(index_, *min, *max);
  }
  if (!found) return report_error("find", found.status());
  for (const DocumentResult& doc : *found) std::cout << document_json(doc) << "\n";
  return kExitOk;
}

}  // namespace snapstore::tools
