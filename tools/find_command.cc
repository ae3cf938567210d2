// `snapstore find` (see find_command.h). Answers from RocksDB and the WAL
// after it (recovery::StoreReader: one scan that reads each document's key)
// without loading the store; the order is the library's lookup order.
#include "tools/find_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* FindCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "find", "Documents of an index, as JSON lines in index order: all of them, an exact key (--eq) or a range");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("index", index_, "Index name")->required();
  CLI::Option* eq =
      sub->add_option("--eq", equals_, "Exact key: a JSON array with one value per field, e.g. '[\"NY\"]'");
  sub->add_option("--min", min_, "Lower bound (inclusive; a shorter array is a prefix bound)")->excludes(eq);
  sub->add_option("--max", max_, "Upper bound (inclusive; a shorter array is a prefix bound)")->excludes(eq);
  sub->footer(examples({"snapstore find ./my-data by_city --eq '[\"NY\"]'",
                        "snapstore find ./my-data by_city_age --min '[\"NY\", 30]' --max '[\"NY\", 39]'",
                        "snapstore find ./my-data by_city --min '[\"NY\"]' --max '[\"NY\"]'   # prefix"}));
  return sub;
}

int FindCommand::run(const GlobalOptions&) {
  auto reader = open_reader(dir_);
  if (!reader) return report_error("find", reader.status());
  auto index = (*reader)->index(index_);
  if (!index) return report_error("find", index.status());
  // Each document is printed as its turn comes, not collected first.
  auto print = [](const DocumentResult& doc) {
    std::cout << document_json(doc) << "\n";
    return Status::ok();
  };
  Status found;
  if (!equals_.empty()) {
    auto key = parse_key(equals_, "--eq");
    if (!key) return report_error("find", key.status());
    if (Status s = check_key_length(index_, index->fields, *key, "--eq", true); !s) return report_error("find", s);
    found = (*reader)->visit_equal(index_, key->values(), print);
  } else {
    auto min = min_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(min_, "--min");
    if (!min) return report_error("find", min.status());
    if (Status s = check_key_length(index_, index->fields, *min, "--min", false); !s) return report_error("find", s);
    auto max = max_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(max_, "--max");
    if (!max) return report_error("find", max.status());
    if (Status s = check_key_length(index_, index->fields, *max, "--max", false); !s) return report_error("find", s);
    found = (*reader)->visit_range(index_, min->values(), max->values(), print);
  }
  if (!found) return report_error("find", found);
  return kExitOk;
}

}  // namespace snapstore::tools
