// `snapstore count` (see count_command.h). Counts from RocksDB and the WAL
// after it (recovery::StoreReader) without loading the store or decoding a
// document; an index count reads each document's key in place.
#include "tools/count_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* CountCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "count", "Count documents exactly: all of them, an index's members, an exact key, or a range (--min/--max)");
  sub->add_option("dir", dir_, "Store directory")->required();
  CLI::Option* index = sub->add_option("index", index_, "Index name (default: count every document)");
  CLI::Option* key = sub->add_option("key", key_, "Exact key: a JSON array with one value per field")->needs(index);
  sub->add_option("--min", min_, "With an index: lower bound (inclusive; a shorter array is a prefix bound)")
      ->needs(index)
      ->excludes(key);
  sub->add_option("--max", max_, "With an index: upper bound (inclusive; a shorter array is a prefix bound)")
      ->needs(index)
      ->excludes(key);
  sub->footer(examples({"snapstore count ./my-data", "snapstore count ./my-data by_city '[\"NY\"]'",
                        "snapstore count ./my-data by_age --min '[30]' --max '[39]'"}));
  return sub;
}

int CountCommand::run(const GlobalOptions&) {
  auto reader = open_reader(dir_);
  if (!reader) return report_error("count", reader.status());
  Result<std::uint64_t> counted = std::uint64_t{0};
  if (index_.empty()) {
    counted = (*reader)->count();
  } else {
    auto index = (*reader)->index(index_);
    if (!index) return report_error("count", index.status());
    if (!key_.empty()) {
      auto key = parse_key(key_, "the key");
      if (!key) return report_error("count", key.status());
      if (Status s = check_key_length(index_, index->fields, *key, "the key", true); !s)
        return report_error("count", s);
      counted = (*reader)->count_equal(index_, key->values());
    } else {
      auto min = min_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(min_, "--min");
      if (!min) return report_error("count", min.status());
      if (Status s = check_key_length(index_, index->fields, *min, "--min", false); !s) return report_error("count", s);
      auto max = max_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(max_, "--max");
      if (!max) return report_error("count", max.status());
      if (Status s = check_key_length(index_, index->fields, *max, "--max", false); !s) return report_error("count", s);
      counted = (*reader)->count_range(index_, min->values(), max->values());
    }
  }
  if (!counted) return report_error("count", counted.status());
  std::cout << *counted << "\n";
  return kExitOk;
}

}  // namespace snapstore::tools
