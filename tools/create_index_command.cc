// `snapstore create-index` (see create_index_command.h).
#include "tools/create_index_command.h"

#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* CreateIndexCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("create-index", "Create an ordered index over fields (top-level or dotted paths)");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("name", name_, "Index name")->required();
  sub->add_option("fields", fields_, "Fields, in key order")->required();
  sub->add_flag("--unique", unique_, "Refuse any write that would give two documents one key");
  auto* where = sub->add_option("--where", where_,
                                "Partial: keep only documents whose FIELD equals the JSON value (FIELD=JSON)");
  sub->add_option("--where-exists", where_exists_, "Partial: keep only documents where FIELD is present and not null")
      ->excludes(where);
  sub->footer(examples({"snapstore create-index ./my-data by_city city",
                        "snapstore create-index ./my-data by_city_age city age",
                        "snapstore create-index ./my-data by_zip address.zip",
                        "snapstore create-index --unique ./my-data by_email email",
                        "snapstore create-index --where 'status=\"active\"' ./my-data active_by_city city",
                        "snapstore create-index --unique --where-exists phone ./my-data by_phone phone"}));
  return sub;
}

int CreateIndexCommand::run(const GlobalOptions& global) {
  IndexOptions options;
  options.unique = unique_;
  if (!where_.empty()) {
    const std::size_t eq = where_.find('=');
    if (eq == std::string::npos || eq == 0) {
      return report_error("create-index", Status::invalid_argument("--where takes FIELD=JSON, got \"" + where_ + "\""));
    }
    auto value = from_json(std::string_view(where_).substr(eq + 1));
    if (!value) {
      return report_error("create-index",
                          Status::invalid_argument("--where " + where_.substr(0, eq) + ": " + value.status().detail()));
    }
    options.partial = IndexPredicate::equals(where_.substr(0, eq), std::move(*value));
  } else if (!where_exists_.empty()) {
    options.partial = IndexPredicate::exists(where_exists_);
  }
  auto store = open_store(dir_, true);
  if (!store) return report_error("create-index", store.status());
  if (Status s = store->create_index(name_, fields_, options); !s) return report_error("create-index", s);
  for (const IndexInfo& info : store->indexes()) {
    if (info.name == name_)
      note(global, "index \"" + name_ + "\" created with " + std::to_string(info.entries) + " entries");
  }
  store->close();
  return kExitOk;
}

}  // namespace snapstore::tools
