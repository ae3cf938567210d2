// `snapstore wal` (see wal_command.h): one line per operation, in LSN order,
// like RocksDB's `ldb dump_wal`. Every record's checksum is verified before
// it is decoded; the last line says how the log ends (clean, a torn tail, or
// corruption with file and offset). Damage in any retained segment, also
// one whose records RocksDB already holds, is named and exits 1.
#include "tools/wal_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"
#include "wal/reader.h"

namespace snapstore::tools {
namespace {

std::string_view op_name(wal::OpType type) {
  switch (type) {
    case wal::OpType::kInsert:
      return "insert";
    case wal::OpType::kUpdate:
      return "update";
    case wal::OpType::kDelete:
      return "delete";
    case wal::OpType::kCreateIndex:
      return "create_index";
    case wal::OpType::kDropIndex:
      return "drop_index";
  }
  return "unknown";
}

}  // namespace

CLI::App* WalCommand::setup(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("wal", "List and decode the write-ahead log's records (LSN, type, ids, sizes, checksums)");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("--from", from_, "First LSN to list");
  sub->add_option("--to", to_, "Last LSN to list");
  sub->add_flag("--json", json_, "One JSON object per line");
  sub->footer(
      "Exit codes: 0 the log reads cleanly (a torn tail is reported, not an error), 1 damage (named by file\n"
      "and offset, also in segments whose records RocksDB already holds), 2 usage or I/O error.\n"
      "Examples:\n"
      "  snapstore wal /data/store --from 100 --to 200\n"
      "  snapstore wal --json /data/store | jq 'select(.type == \"delete\")'");
  return sub;
}

int WalCommand::run(const GlobalOptions&) {
  if (from_ > to_) {
    return report_error("wal", Status::invalid_argument("--from " + std::to_string(from_) + " is above --to " +
                                                        std::to_string(to_) + ": nothing to list"));
  }
  wal::Env* env = wal::Env::posix();
  if (!recovery::is_store(env, dir_))
    return report_error("wal", Status::invalid_argument("no store at " + dir_));
  auto lock = lock_for_reading(dir_);
  if (!lock) {
    if (lock.code() == StatusCode::kBusy) {
      return report_error("wal", Status::busy("the store at " + dir_ + " is in use by another process (" +
                                              lock.status().detail() + ")"));
    }
    return report_error("wal", lock.status());
  }
  // Gaps and damage below the mirror's applied_lsn are harmless (read_log);
  // without a readable mirror every gap counts.
  std::uint64_t floor = 0;
  if (auto reader = recovery::StoreReader::open(dir_); reader) floor = (*reader)->applied_lsn();

  const std::string wal_dir = recovery::wal_dir_path(dir_);
  auto read = wal::read_log(env, wal_dir, floor, [&](const wal::Batch& batch) -> Status {
    std::uint64_t lsn = batch.first_lsn;
    for (const wal::Operation& op : batch.ops) {
      const std::uint64_t this_lsn = lsn++;
      if (this_lsn < from_ || this_lsn > to_) continue;
      if (json_) {
        Object line{
            {"lsn", this_lsn}, {"batch", batch.first_lsn}, {"type", std::string(op_name(op.type))}, {"checksum", "ok"}};
        if (op.type == wal::OpType::kCreateIndex || op.type == wal::OpType::kDropIndex) {
          line["index"] = op.key;
        } else {
          line["id"] = op.key;
          line["version"] = op.version;
        }
        if (op.type == wal::OpType::kCreateIndex) line["fields"] = Array(op.fields.begin(), op.fields.end());
        if (!op.document.empty()) line["bytes"] = op.document.size();
        std::cout << to_json(line) << "\n";
      } else {
        std::cout << this_lsn << "\t" << op_name(op.type) << "\t" << op.key;
        if (op.type == wal::OpType::kInsert || op.type == wal::OpType::kUpdate || op.type == wal::OpType::kDelete) {
          std::cout << "\tversion=" << op.version;
        }
        if (!op.document.empty()) std::cout << "\tbytes=" << op.document.size();
        for (const std::string& field : op.fields) std::cout << "\t" << field;
        std::cout << "\tchecksum=ok\n";
      }
    }
    return Status::ok();
  });
  if (!read) {
    if (json_) std::cout << to_json(Object{{"end", "corruption"}, {"error", read.status().message()}}) << "\n";
    return report_error("wal", read.status());
  }
  const wal::ReadSummary& summary = *read;
  // Damage that read_log passes over because the mirror holds those LSNs
  // (a sealed segment below applied_lsn) is still damage: say so, with
  // file and offset, rather than start the listing silently after it.
  auto checks = wal::check_segments(env, wal_dir);
  if (!checks) return report_error("wal", checks.status());
  std::vector<std::string> damage;
  if (summary.torn_tail && floor > 0 && wal::torn_tail_first_lsn(summary) <= floor) {
    damage.push_back(summary.torn_tail->path + " at offset " + std::to_string(summary.torn_tail->offset) + ": " +
                     summary.torn_tail->reason + ", in records RocksDB already holds (LSN " +
                     std::to_string(wal::torn_tail_first_lsn(summary)) + " <= applied_lsn " + std::to_string(floor) +
                     "): not a torn write");
  }
  for (const wal::SegmentCheck& check : *checks) {
    if (check.damage.empty()) continue;
    if (summary.torn_tail && summary.torn_tail->path == check.path && summary.torn_tail->offset == check.damage_offset)
      continue;
    damage.push_back(check.path + " at offset " + std::to_string(check.damage_offset) + ": " + check.damage +
                     " (the records from there to the end of that segment are not listed)");
  }
  if (json_) {
    Object end{{"end", summary.torn_tail ? "torn_tail" : "clean"},
               {"records", summary.records},
               {"segments", summary.segments.size()},
               {"first_lsn", summary.first_lsn},
               {"last_lsn", summary.last_lsn}};
    if (summary.torn_tail) {
      end["torn_tail"] = Object{{"file", summary.torn_tail->path},
                                {"offset", summary.torn_tail->offset},
                                {"bytes", summary.torn_tail->bytes},
                                {"reason", summary.torn_tail->reason}};
    }
    if (!damage.empty()) {
      end["end"] = "damage";
      end["damage"] = Array(damage.begin(), damage.end());
    }
    std::cout << to_json(end) << "\n";
  } else {
    std::cout << "# " << summary.records << " records in " << summary.segments.size() << " segments, LSN "
              << summary.first_lsn << ".." << summary.last_lsn;
    if (summary.torn_tail) {
      std::cout << "; torn tail in " << summary.torn_tail->path << " at byte " << summary.torn_tail->offset << " ("
                << summary.torn_tail->bytes << " bytes: " << summary.torn_tail->reason << ")";
    }
    std::cout << "\n";
    for (const std::string& d : damage) std::cout << "# damage: " << d << "\n";
  }
  for (const std::string& d : damage) std::cerr << "snapstore wal: damaged WAL segment " << d << "\n";
  return damage.empty() ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
