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
  sub->footer(examples({"snapstore update ./my-data 0190a5b2-7c1e-7d3f-8a4b-1c2d3e4f5a6b '{\"name\": \"Ann\", \"age\": 31}'"}));
  return sub;
}

int UpdateCommand::run(const GlobalOptions&) {
  auto text = document_ == "-" ? read_input("-") : Result<std::string>(document_);
  if (!text) return report_error("update", text.status());
  auto doc = from_json(*text);
  if (!doc) return report_error("update", Status::invalid_argument("the document: " + doc.status().detail()));
  auto store = open_store(dir_, true);
  if (!store) return report_error("update", store.status());
  auto written = store->update(id_, *doc);
  if (!written) return report_error("update", written.status());
  std::cout << "{\"_id\":" << to_json(Value(written->id)) << ",\"_version\":" << written->version
            << ",\"_revision\":" << written->revision << "}\n";
  store->close();
  return kExitOk;
}

}  // namespace snapstore::tools
