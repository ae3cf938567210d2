// `snapstore indexes` (see indexes_command.h). The definitions come from
// RocksDB's meta family and the WAL after it, so listing them reads no
// document; --entries scans once to count.
#include "tools/indexes_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* IndexesCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("indexes", "List the indexes: name and fields, one per line, sorted by name");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_flag("--entries", entries_, "Also count each index's entries (reads every document once)");
  sub->add_flag("--json", json_, "One JSON array of {\"name\", \"fields\"[, \"unique\", \"where\", \"entries\"]}");
  sub->footer(examples({"snapstore indexes ./my-data", "snapstore indexes --entries --json ./my-data"}));
  return sub;
}

int IndexesCommand::run(const GlobalOptions&) {
  auto reader = open_reader(dir_);
  if (!reader) return report_error("indexes", reader.status());
  const std::vector<recovery::IndexDefinition>& indexes = (*reader)->indexes();
  std::vector<std::uint64_t> entries;
  if (entries_) {
    auto totals = (*reader)->totals();
    if (!totals) return report_error("indexes", totals.status());
    entries = std::move(totals->index_entries);
  }
  if (json_) {
    Array list;
    for (std::size_t i = 0; i < indexes.size(); ++i) {
      Object index{{"name", indexes[i].name}, {"fields", Array(indexes[i].fields.begin(), indexes[i].fields.end())}};
      add_index_options(index, indexes[i].options);
      if (entries_) index["entries"] = entries[i];
      list.push_back(std::move(index));
    }
    std::cout << to_json(Value(std::move(list))) << "\n";
    return kExitOk;
  }
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    std::cout << indexes[i].name << " (";
    for (std::size_t f = 0; f < indexes[i].fields.size(); ++f) std::cout << (f ? ", " : "") << indexes[i].fields[f];
    std::cout << ")" << index_options_text(indexes[i].options);
    if (entries_) std::cout << ": " << thousands(entries[i]) << " entries";
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace snapstore::tools
