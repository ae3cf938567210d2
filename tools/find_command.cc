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

namespace {

std::string field_list(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : "") + fields[i];
  return out;
}

// The library matches a key of the wrong length with nothing (go-store's
// semantics); on the command line that is a mistake worth naming.
Status check_key_length(const recovery::IndexDefinition& index, const IndexKey& key, std::string_view option,
                        bool exact) {
  const std::size_t n = index.fields.size();
  if (key.size() > n || (exact && key.size() != n)) {
    std::string message = std::string(option) + " has " + std::to_string(key.size()) + " value" +
                          (key.size() == 1 ? "" : "s") + " but index \"" + index.name + "\" has " +
                          std::to_string(n) + " field" + (n == 1 ? "" : "s") + " (" + field_list(index.fields) + ")";
    if (exact && key.size() < n) message += "; for a prefix use --min and --max with the same values";
    return Status::invalid_argument(message);
  }
  return Status::ok();
}

}  // namespace

int FindCommand::run(const GlobalOptions&) {
  auto reader = recovery::StoreReader::open_locked(dir_);
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
    if (Status s = check_key_length(*index, *key, "--eq", true); !s) return report_error("find", s);
    found = (*reader)->visit_equal(index_, key->values(), print);
  } else {
    auto min = min_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(min_, "--min");
    if (!min) return report_error("find", min.status());
    if (Status s = check_key_length(*index, *min, "--min", false); !s) return report_error("find", s);
    auto max = max_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(max_, "--max");
    if (!max) return report_error("find", max.status());
    if (Status s = check_key_length(*index, *max, "--max", false); !s) return report_error("find", s);
    found = (*reader)->visit_range(index_, min->values(), max->values(), print);
  }
  if (!found) return report_error("find", found);
  return kExitOk;
}

}  // namespace snapstore::tools
