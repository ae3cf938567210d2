// `snapstore delete` (see delete_command.h).
#include "tools/delete_command.h"

#include <iostream>

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* DeleteCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("delete", "Remove a document; prints {\"_id\", \"_version\", \"_revision\"}");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("id", id_, "Document id")->required();
  if_version_option_ = sub->add_option("--if-version", if_version_,
                                       "Only if the document is at this version (compare-and-set); otherwise "
                                       "nothing changes and the error names the current version (exit 1)");
  sub->footer(examples({"snapstore delete ./my-data 0190a5b2-7c1e-7d3f-8a4b-1c2d3e4f5a6b",
                        "snapstore delete ./my-data 0190a5b2-7c1e-7d3f-8a4b-1c2d3e4f5a6b --if-version 2"}));
  return sub;
}

int DeleteCommand::run(const GlobalOptions&) {
  auto store = open_store(dir_, true);
  if (!store) return report_error("delete", store.status());
  auto written =
      if_version_option_->count() > 0 ? store->remove_if(id_, if_version_) : store->remove(id_);
  if (!written) return report_error("delete", written.status());
  std::cout << "{\"_id\":" << to_json(Value(written->id)) << ",\"_version\":" << written->version
            << ",\"_revision\":" << written->revision << "}\n";
  store->close();
  return kExitOk;
}

}  // namespace snapstore::tools
