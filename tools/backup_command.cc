// `snapstore backup` and `snapstore restore-backup` (see backup_command.h).
// Both print what they wrote as one JSON object on stdout, so that a script
// can pass the revision on to the next increment's --since.
#include "tools/backup_command.h"

#include <iostream>

#include "snapstore/backup.h"
#include "snapstore/store.h"
#include "tools/cli_support.h"

namespace snapstore::tools {
namespace {

void print_info(const BackupInfo& info) {
  std::cout << "{\"dir\":" << to_json(Value(info.dir)) << ",\"kind\":\""
            << (info.incremental ? "incremental" : "full") << "\",\"base_revision\":" << info.base_revision
            << ",\"revision\":" << info.revision << ",\"wal_records\":" << info.wal_records
            << ",\"files\":" << info.files << ",\"bytes\":" << info.bytes << "}\n";
}

}  // namespace

CLI::App* BackupCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "backup", "Back up a store into a new or empty directory: a full backup, or with --since the changes after a "
                "revision; prints {\"revision\", ...}");
  sub->add_option("source", source_, "Store directory (no other process may have it open)")->required();
  sub->add_option("dir", target_, "Directory for the backup: must not exist, or be empty")->required();
  sub->add_option("--since", since_,
                  "Write an incremental backup of the changes after this revision (the revision of the backup "
                  "it follows)");
  sub->footer(
      "The store is opened (and recovered) by this command; a store another process has open is backed up by "
      "that process, with Store::backup.\n" +
      examples({"snapstore backup /data/store /backups/full",
                "snapstore backup /data/store /backups/inc1 --since 1200",
                "snapstore restore-backup /data/copy /backups/full /backups/inc1"}));
  return sub;
}

int BackupCommand::run(const GlobalOptions& global) {
  auto store = open_store(source_, true);
  if (!store) {
    if (store.code() == StatusCode::kBusy) {
      return report_error("backup", Status::busy(store.status().detail() +
                                                 "; back it up from that process with Store::backup (a backup "
                                                 "from another process is not supported)"));
    }
    return report_error("backup", store.status());
  }
  auto info = since_ ? store->backup(target_, *since_) : store->backup(target_);
  if (!info) return report_error("backup", info.status());
  store->close();
  print_info(*info);
  note(global, std::string("backed up ") + source_ + " at revision " + std::to_string(info->revision) + " into " +
                   target_ + " (" + human_bytes(info->bytes) + " in " + std::to_string(info->files) + " files)");
  return kExitOk;
}

CLI::App* RestoreBackupCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "restore-backup",
      "Build a new store from a full backup and its incremental backups, in order; prints {\"revision\", ...}");
  sub->add_option("dir", target_, "Directory for the new store: must not exist, or be empty")->required();
  sub->add_option("full", full_, "The full backup")->required();
  sub->add_option("increments", increments_,
                  "Incremental backups, each starting at the revision where the one before ends");
  sub->footer(examples({"snapstore restore-backup /data/copy /backups/full",
                        "snapstore restore-backup /data/copy /backups/full /backups/inc1 /backups/inc2"}));
  return sub;
}

int RestoreBackupCommand::run(const GlobalOptions& global) {
  auto info = restore_backup(target_, full_, increments_);
  if (!info) return report_error("restore-backup", info.status());
  print_info(*info);
  note(global, "restored " + std::to_string(1 + increments_.size()) + " backup" +
                   (increments_.empty() ? "" : "s") + " into " + target_ + " at revision " +
                   std::to_string(info->revision));
  return kExitOk;
}

}  // namespace snapstore::tools
