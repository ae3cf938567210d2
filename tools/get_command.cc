// `snapstore get` (see get_command.h).
#include "tools/get_command.h"

#include <iostream>

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* GetCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("get", "Print one document as JSON: {\"_id\", \"_version\", \"_revision\", \"data\"}");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("id", id_, "Document id")->required();
  return sub;
}

int GetCommand::run(const GlobalOptions&) {
  auto store = open_store(dir_, false);
  if (!store) return report_error("get", store.status());
  auto doc = store->get(id_);
  if (!doc) return report_error("get", doc.status());
  std::cout << document_json(*doc) << "\n";
  return kExitOk;
}

}  // namespace snapstore::tools
