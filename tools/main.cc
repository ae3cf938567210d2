// The `snapstore` command-line program: one subcommand per Command class.
// A new subcommand is one class in its own file plus one line in commands().
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "tools/backup_command.h"
#include "tools/cli_support.h"
#include "tools/command.h"
#include "tools/count_command.h"
#include "tools/crashtest_command.h"
#include "tools/create_index_command.h"
#include "tools/delete_command.h"
#include "tools/drop_index_command.h"
#include "tools/dump_command.h"
#include "tools/explain_command.h"
#include "tools/find_command.h"
#include "tools/changes_command.h"
#include "tools/get_command.h"
#include "tools/import_command.h"
#include "tools/indexes_command.h"
#include "tools/insert_command.h"
#include "tools/repair_command.h"
#include "tools/restore_command.h"
#include "tools/stats_command.h"
#include "tools/update_command.h"
#include "tools/verify_command.h"
#include "tools/wal_command.h"

namespace {

using snapstore::tools::Command;

std::vector<std::unique_ptr<Command>> commands() {
  std::vector<std::unique_ptr<Command>> all;
  all.push_back(std::make_unique<snapstore::tools::DumpCommand>());
  all.push_back(std::make_unique<snapstore::tools::RestoreCommand>());
  all.push_back(std::make_unique<snapstore::tools::BackupCommand>());
  all.push_back(std::make_unique<snapstore::tools::RestoreBackupCommand>());
  all.push_back(std::make_unique<snapstore::tools::VerifyCommand>());
  all.push_back(std::make_unique<snapstore::tools::WalCommand>());
  all.push_back(std::make_unique<snapstore::tools::RepairCommand>());
  all.push_back(std::make_unique<snapstore::tools::StatsCommand>());
  all.push_back(std::make_unique<snapstore::tools::GetCommand>());
  all.push_back(std::make_unique<snapstore::tools::InsertCommand>());
  all.push_back(std::make_unique<snapstore::tools::UpdateCommand>());
  all.push_back(std::make_unique<snapstore::tools::DeleteCommand>());
  all.push_back(std::make_unique<snapstore::tools::FindCommand>());
  all.push_back(std::make_unique<snapstore::tools::CountCommand>());
  all.push_back(std::make_unique<snapstore::tools::ExplainCommand>());
  all.push_back(std::make_unique<snapstore::tools::IndexesCommand>());
  all.push_back(std::make_unique<snapstore::tools::ImportCommand>());
  all.push_back(std::make_unique<snapstore::tools::CreateIndexCommand>());
  all.push_back(std::make_unique<snapstore::tools::DropIndexCommand>());
  all.push_back(std::make_unique<snapstore::tools::CrashtestCommand>());
  all.push_back(std::make_unique<snapstore::tools::ChangesCommand>());
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"snapstore " SNAPSTORE_VERSION
               ": dump, restore, verify, inspect, edit and crash-test snapstore stores.\n"
               "Exit codes: 0 ok; 1 the data answered with a problem (not found, already exists, damage found);\n"
               "2 the command could not run as given (bad input: usage, malformed JSON, a document that is not\n"
               "an object, an invalid argument; an I/O error; the store in use by another process)."};
  app.set_version_flag("--version", "snapstore " SNAPSTORE_VERSION, "Print the version and exit");
  app.footer(
      "\nExamples:\n"
      "  snapstore insert --create ./my-data '{\"name\": \"Ann\", \"city\": \"NY\"}'\n"
      "  snapstore create-index ./my-data by_city city\n"
      "  snapstore find ./my-data by_city --eq '[\"NY\"]'\n"
      "  snapstore dump ./my-data -o backup.snapdump\n"
      "Run 'snapstore COMMAND --help' for a command's options and examples.");
  app.require_subcommand(1);
  app.fallthrough();  // --quiet and --wait also after the subcommand
  snapstore::tools::GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "No progress bar or notes on stderr (errors are still printed)");
  app.add_option("--wait", global.wait_seconds,
                 "Seconds to wait for a store another process holds before giving up (default 0: at once)")
      ->check(CLI::Range(0.0, 86400.0));

  std::vector<std::unique_ptr<Command>> all = commands();
  std::vector<std::pair<CLI::App*, Command*>> registered;
  for (auto& command : all) registered.emplace_back(command->setup(app), command.get());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? snapstore::tools::kExitOk : snapstore::tools::kExitUsage;
  }
  snapstore::tools::set_lock_wait(
      std::chrono::milliseconds(static_cast<std::int64_t>(global.wait_seconds * 1000.0 + 0.5)));
  for (auto& [sub, command] : registered) {
    if (sub->parsed()) return command->run(global);
  }
  return snapstore::tools::kExitUsage;
}
