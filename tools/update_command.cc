// `snapstore update` (see update_command.h).
#include "tools/update_command.h"

#include <iostream>

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* UpdateCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("update", "Replace a document; prints {\"_id\", \"_version\", \"_revision\"}");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("id", id_, "Document id")->required();
  sub->add_option("document", document_, "The new document as JSON text, or - to read it from stdin (default)");
  if_version_option_ = sub->add_option("--if-version", if_version_,
                                       "Only if the document is at this version (compare-and-set); otherwise "
                                       "nothing changes and the error names the current version (exit 1)");
  sub->footer(examples({"snapstore update ./my-data 0190a5b2-7c1e-7d3f-8a4b-1c2d3e4f5a6b '{\"name\": \"Ann\", \"age\": 31}'",
                        "snapstore update ./my-data 0190a5b2-7c1e-7d3f-8a4b-1c2d3e4f5a6b '{\"name\": \"Ann\"}' --if-version 3"}));
  return sub;
}

int UpdateCommand::run(const GlobalOptions&) {
  auto text = document_ == "-" ? read_input("-") : Result<std::string>(document_);
  if (!text) return report_error("update", text.status());
  auto doc = from_json(*text);
  if (!doc) return report_error("update", Status::invalid_argument("the document: " + doc.status().detail()));
  auto store = open_store(dir_, true);
  if (!store) return report_error("update", store.status());
  auto written = if_version_option_->count() > 0 ? store->update_if(id_, *doc, if_version_)
                                                  : store->update(id_, *doc);
  if (!written) return report_error("update", written.status());
  std::cout << "{\"_id\":" << to_json(Value(written->id)) << ",\"_version\":" << written->version
            << ",\"_revision\":" << written->revision << "}\n";
  store->close();
  return kExitOk;
}

}  // namespace snapstore::tools
