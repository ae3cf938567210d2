// `snapstore create-index` (see create_index_command.h).
#include "tools/create_index_command.h"

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* CreateIndexCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("create-index", "Create an ordered index over fields (top-level or dotted paths)");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("name", name_, "Index name")->required();
  sub->add_option("fields", fields_, "Fields, in key order")->required();
  sub->footer(examples({"snapstore create-index ./my-data by_city city",
                        "snapstore create-index ./my-data by_city_age city age",
                        "snapstore create-index ./my-data by_zip address.zip"}));
  return sub;
}

int CreateIndexCommand::run(const GlobalOptions& global) {
  auto store = open_store(dir_, true);
  if (!store) return report_error("create-index", store.status());
  if (Status s = store->create_index(name_, fields_); !s) return report_error("create-index", s);
  for (const IndexInfo& info : store->indexes()) {
    if (info.name == name_)
      note(global, "index \"" + name_ + "\" created with " + std::to_string(info.entries) + " entries");
  }
  store->close();
  return kExitOk;
}

}  // namespace snapstore::tools
