// `snapstore get` (see get_command.h). Reads the one document from RocksDB
// and the WAL after it (recovery::StoreReader) without loading the store.
#include "tools/get_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* GetCommand::setup(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("get", "Print one document as JSON: {\"_id\", \"_version\", \"_revision\", \"data\"}");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("id", id_, "Document id")->required();
  sub->footer(examples({"snapstore get ./my-data 0190a5b2-7c1e-7d3f-8a4b-1c2d3e4f5a6b"}));
  return sub;
}

int GetCommand::run(const GlobalOptions&) {
  auto reader = open_reader(dir_);
  if (!reader) return report_error("get", reader.status());
  auto doc = (*reader)->get(id_);
  if (!doc) return report_error("get", doc.status());
  std::cout << document_json(*doc) << "\n";
  return kExitOk;
}

}  // namespace snapstore::tools
