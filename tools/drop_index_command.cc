// `snapstore drop-index` (see drop_index_command.h).
#include "tools/drop_index_command.h"

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* DropIndexCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("drop-index", "Remove an index");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("name", name_, "Index name")->required();
  sub->footer(examples({"snapstore drop-index ./my-data by_city"}));
  return sub;
}

int DropIndexCommand::run(const GlobalOptions& global) {
  auto store = open_store(dir_, true);
  if (!store) return report_error("drop-index", store.status());
  if (Status s = store->drop_index(name_); !s) return report_error("drop-index", s);
  note(global, "index \"" + name_ + "\" dropped");
  store->close();
  return kExitOk;
}

}  // namespace snapstore::tools
