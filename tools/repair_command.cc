// `snapstore repair` (see repair_command.h). The repair itself is the
// library's (Store::open with RecoveryPolicy::kRepair): the command only
// refuses what is not a store, then reports OpenReport. Exit codes: 0 when
// nothing was damaged (a torn, never-acknowledged tail cut off is not
// damage), 1 when records were dropped and set aside, or when the damage is
// beyond repair (RocksDB's own files), 2 for usage and I/O errors and a
// store in use.
#include "tools/repair_command.h"

#include <iostream>

#include "recovery/store_dir.h"
#include "snapstore/store.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* RepairCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "repair",
      "Open a store whose WAL is damaged, keeping every record before the damage and setting the rest aside");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_flag("--json", json_, "The report as one JSON object");
  sub->footer(
      "Exit codes: 0 nothing was damaged, 1 records were dropped (copies set aside as *.damaged files)\n"
      "or damage repair cannot mend (RocksDB's files), 2 usage or I/O error, or the store is in use.\n"
      "Examples:\n"
      "  snapstore verify /data/store || snapstore repair /data/store\n"
      "  snapstore dump --salvage /data/store -o before-repair.dump; snapstore repair /data/store");
  return sub;
}

int RepairCommand::run(const GlobalOptions&) {
  if (!recovery::is_store(dir_)) {
    return report_error("repair", Status::invalid_argument("no store at " + dir_));
  }
  Options options;
  options.create_if_missing = false;
  options.recovery_policy = RecoveryPolicy::kRepair;
  auto store = Store::open(dir_, options);
  if (!store) {
    Status status = store.status();
    if (status.code() == StatusCode::kBusy) {
      status = Status::busy("the store at " + dir_ + " is in use by another process: " + status.detail());
    } else if (status.code() == StatusCode::kCorruption) {
      // Repair mends the WAL only; damage elsewhere (RocksDB's files) is beyond it.
      status = Status::corruption("cannot repair " + dir_ + ": " + status.detail() +
                                  " (repair mends WAL damage only; restore a dump, or dump --salvage what is readable)");
    }
    return report_error("repair", status);
  }
  const OpenReport report = store->open_report();
  const std::uint64_t documents = store->size();
  store->close();

  const bool repaired = !report.repaired_file.empty();
  if (json_) {
    Object out;
    out["dir"] = dir_;
    out["repaired"] = repaired;
    out["last_lsn"] = report.last_lsn;
    out["documents"] = documents;
    out["applied_lsn"] = report.applied_lsn;
    out["records_replayed"] = report.records_replayed;
    if (repaired) {
      out["damaged_file"] = report.repaired_file;
      out["damaged_offset"] = report.repaired_offset;
      out["first_lost_lsn"] = report.repaired_first_lost_lsn;
      out["reason"] = report.repaired_reason;
      out["bytes_dropped"] = report.repaired_bytes_dropped;
      out["set_aside"] = Array(report.set_aside.begin(), report.set_aside.end());
    }
    if (!report.torn_tail_file.empty()) {
      out["torn_tail"] = Object{{"file", report.torn_tail_file},
                                {"offset", report.torn_tail_offset},
                                {"bytes", report.torn_tail_bytes},
                                {"reason", report.torn_tail_reason}};
    }
    std::cout << to_json(out) << "\n";
  } else {
    std::cout << dir_ << ": " << (repaired ? "REPAIRED, records were dropped" : "nothing to repair") << "\n"
              << "  kept: revision " << report.last_lsn << ", " << documents << " documents (RocksDB held revision "
              << report.applied_lsn << ", " << report.records_replayed << " WAL records replayed)\n";
    if (repaired) {
      // The reason names the file and the offset already.
      std::cout << "  damage: " << report.repaired_reason << "\n"
                << "  lost: every record from LSN " << report.repaired_first_lost_lsn << " on ("
                << report.repaired_bytes_dropped << " bytes of log)\n";
      for (const std::string& file : report.set_aside) std::cout << "  set aside: " << file << "\n";
    }
    if (!report.torn_tail_file.empty()) {
      std::cout << "  torn tail cut off (never acknowledged): " << report.torn_tail_file << " at offset "
                << report.torn_tail_offset << ", " << report.torn_tail_bytes << " bytes: " << report.torn_tail_reason
                << "\n";
    }
  }
  return repaired ? kExitProblem : kExitOk;
}

}  // namespace snapstore::tools
