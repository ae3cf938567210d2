// `snapstore insert` (see insert_command.h).
#include "tools/insert_command.h"

#include <iostream>

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* InsertCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("insert", "Insert a JSON document; prints {\"_id\", \"_version\", \"_revision\"}");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_flag("--create", create_, "Create the store when the directory holds none");
  sub->add_option("document", document_, "The document as JSON text, or - to read it from stdin (default)");
  sub->footer(examples({"snapstore insert --create ./my-data '{\"name\": \"Ann\", \"age\": 30}'",
                        "echo '{\"name\": \"Bob\"}' | snapstore insert ./my-data"}));
  return sub;
}

int InsertCommand::run(const GlobalOptions&) {
  auto text = document_ == "-" ? read_input("-") : Result<std::string>(document_);
  if (!text) return report_error("insert", text.status());
  auto doc = from_json(*text);
  if (!doc) return report_error("insert", Status::invalid_argument("the document: " + doc.status().detail()));
  auto store = open_store(dir_, true, create_);
  if (!store) return report_error("insert", store.status());
  auto written = store->insert(*doc);
  if (!written) return report_error("insert", written.status());
  std::cout << "{\"_id\":" << to_json(Value(written->id)) << ",\"_version\":" << written->version
            << ",\"_revision\":" << written->revision << "}\n";
  store->close();
  return kExitOk;
}

}  // namespace snapstore::tools
