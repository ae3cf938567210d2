// `snapstore verify` (see verify_command.h). Only reads. Checks, in order:
//   1. the store opens read-only (this also holds the directory's lock);
//   2. every WAL record's checksum, and every document inside a record decodes;
//      then every retained segment on its own, also records below applied_lsn;
//   3. RocksDB's block checksums, every table file (VerifyChecksum);
//   4. every document read from the files decodes, has a version >= 1 and a
//      revision within the store's, and no two share a revision (each
//      revision is one operation on one document);
//   5. the opened store holds exactly those documents, versions, revisions and data;
//   6. every index, rebuilt here from the documents, lists the same ids in
//      the same order as the opened store's index, and the definitions match.
// Each failure is a named problem; the exit code is 1 when there is any.
#include "tools/verify_command.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <unordered_set>

#include "index/key.h"
#include "recovery/store_reader.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"
#include "value/msgpack_codec.h"
#include "wal/reader.h"

namespace snapstore::tools {
namespace {

constexpr std::size_t kMaxDepth = 1000;
constexpr std::size_t kMaxListedProblems = 100;

struct Report {
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  std::uint64_t problem_count = 0;
  void problem(std::string text) {
    if (++problem_count <= kMaxListedProblems) problems.push_back(std::move(text));
  }
};

}  // namespace

CLI::App* VerifyCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "verify", "Check a store offline without changing it: WAL records, RocksDB checksums, documents, indexes");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_flag("--json", json_, "The report as one JSON object");
  sub->footer(
      "Exit codes: 0 ok, 1 problems found (each listed), 2 usage or I/O error, or the store is in use.\n"
      "Examples:\n"
      "  snapstore verify /data/store\n"
      "  snapstore verify --json /data/store | jq .problems");
  return sub;
}

int VerifyCommand::run(const GlobalOptions& global) {
  Report report;
  wal::Env* env = wal::Env::posix();
  if (!recovery::is_store(env, dir_))
    return report_error("verify", Status::invalid_argument("no store at " + dir_));

  // 1. The store itself, read-only; it holds the lock while we look at the files.
  std::optional<Store> store;
  std::unique_ptr<recovery::StoreDir> own_lock;
  {
    auto opened = open_store(dir_, false);
    if (opened) {
      store.emplace(std::move(*opened));
    } else if (opened.code() == StatusCode::kBusy || opened.code() == StatusCode::kIOError) {
      return report_error("verify", opened.status());
    } else {
      report.problem("the store does not open: " + opened.status().message());
      auto lock = lock_for_reading(dir_);
      if (!lock) return report_error("verify", lock.status());
      own_lock = std::move(*lock);
    }
  }

  // 2. The WAL, every record, every document inside.
  std::uint64_t wal_records = 0;
  std::uint64_t wal_operations = 0;
  std::uint64_t wal_segments = 0;
  std::uint64_t floor = 0;
  std::string torn_tail_at;    // "<segment> at offset <n>" of a torn tail
  std::string read_log_error;  // the WAL read's Corruption, if any
  auto reader = recovery::StoreReader::open(dir_);
  if (reader) floor = (*reader)->applied_lsn();
  {
    auto read = wal::read_log(env, recovery::wal_dir_path(dir_), floor, [&](const wal::Batch& batch) -> Status {
      std::uint64_t lsn = batch.first_lsn;
      for (const wal::Operation& op : batch.ops) {
        ++wal_operations;
        if (op.type == wal::OpType::kInsert || op.type == wal::OpType::kUpdate) {
          if (auto doc = value::decode_document(op.document, kMaxDepth); !doc) {
            report.problem("WAL LSN " + std::to_string(lsn) + ": the document of \"" + op.key +
                           "\" does not decode: " + doc.status().detail());
          }
          if (op.type == wal::OpType::kInsert && op.version != 1) {
            report.problem("WAL LSN " + std::to_string(lsn) + ": insert of \"" + op.key + "\" has version " +
                           std::to_string(op.version));
          }
        }
        ++lsn;
      }
      return Status::ok();
    });
    if (read) {
      wal_records = read->records;
      wal_segments = read->segments.size();
      if (read->torn_tail) {
        torn_tail_at = read->torn_tail->path + " at offset " + std::to_string(read->torn_tail->offset);
        const std::uint64_t first_lost = wal::torn_tail_first_lsn(*read);
        if (reader && first_lost <= floor) {
          // RocksDB holds those records, so they were written whole: this is
          // damage to the file, not a write a crash interrupted.
          report.problem("WAL: " + torn_tail_at + ": " + read->torn_tail->reason + ", in records RocksDB already " +
                         "holds (LSN " + std::to_string(first_lost) + " <= applied_lsn " + std::to_string(floor) +
                         "): nothing is lost, but the file is damaged (a writable open cuts it off)");
        } else {
          report.notes.push_back("torn WAL tail (never acknowledged; a writable open truncates it): " +
                                 read->torn_tail->path + " at byte " + std::to_string(read->torn_tail->offset) + ", " +
                                 read->torn_tail->reason);
        }
      }
    } else {
      report.problem("WAL: " + read.status().message());
      read_log_error = read.status().message();
    }
  }

  // 2b. Every retained segment's checksums, also those of records RocksDB
  // already holds: the read above stops caring about those once they lie
  // below applied_lsn, but damage there is still damage in the files.
  std::uint64_t checked_segments = 0;
  std::uint64_t checked_records = 0;
  if (auto checks = wal::check_segments(env, wal::join_path(dir_, "wal")); checks) {
    for (const wal::SegmentCheck& check : *checks) {
      ++checked_segments;
      checked_records += check.records;
      if (check.damage.empty()) continue;
      const std::string where = check.path + " at offset " + std::to_string(check.damage_offset);
      if (torn_tail_at == where || read_log_error.find(where) != std::string::npos) continue;  // reported above
      report.problem("WAL segment " + where + ": " + check.damage + " (" + std::to_string(check.records) +
                     " valid records before it)");
    }
  } else {
    report.problem("WAL: " + checks.status().message());
  }

  // 3. RocksDB's own checksums.
  std::uint64_t document_count = 0;
  std::uint64_t revision = 0;
  std::vector<recovery::IndexDefinition> definitions;
  // Per index: (key, id) of every document the rebuilt index holds. Only
  // keys are kept, never whole documents, so memory stays near the keys' size.
  std::vector<std::vector<std::pair<index::Key, std::string>>> rebuilt;
  if (!reader) {
    report.problem("the files do not read: " + reader.status().message());
  } else {
    if (Status s = (*reader)->verify_checksums(); !s) report.problem(s.message());
    revision = (*reader)->revision();
    definitions = (*reader)->indexes();
    std::vector<std::vector<index::FieldPath>> paths;
    for (const recovery::IndexDefinition& d : definitions) paths.push_back(index::parse_field_paths(d.fields));
    rebuilt.resize(definitions.size());

    // 4 and 5. Every document, and the opened store's copy of it.
    Progress progress(global, "verify", (*reader)->estimated_documents());
    std::unordered_set<std::uint64_t> revisions;
    Status scanned = (*reader)->scan([&](const recovery::StoredDocument& doc) {
      ++document_count;
      progress.add();
      const std::string id(doc.id);
      auto data = value::decode_document(doc.document, kMaxDepth);
      if (!data) report.problem("document \"" + id + "\" does not decode: " + data.status().detail());
      if (doc.version == 0) report.problem("document \"" + id + "\" has version 0");
      if (doc.revision == 0 || doc.revision > revision) {
        report.problem("document \"" + id + "\" has revision " + std::to_string(doc.revision) + ", outside 1.." +
                       std::to_string(revision));
      }
      if (!revisions.insert(doc.revision).second) {
        report.problem("document \"" + id + "\" has revision " + std::to_string(doc.revision) +
                       ", which another document has too");
      }
      if (store) {
        auto got = store->get(id);
        if (!got) {
          report.problem("document \"" + id + "\" is in the files but the opened store answers " +
                         got.status().message());
        } else if (got->version != doc.version || got->revision != doc.revision || (data && got->data != *data)) {
          report.problem("document \"" + id + "\" differs between the files and the opened store");
        }
      }
      if (data) {
        for (std::size_t i = 0; i < paths.size(); ++i) {
          if (auto key = index::extract_key(*data, paths[i])) rebuilt[i].emplace_back(std::move(*key), id);
        }
      }
      return Status::ok();
    });
    if (!scanned) report.problem("reading the documents: " + scanned.message());
  }

  if (store && reader) {
    if (store->revision() != revision) {
      report.problem("the opened store is at revision " + std::to_string(store->revision()) + ", the files at " +
                     std::to_string(revision));
    }
    if (store->size() != document_count) {
      report.problem("the opened store holds " + std::to_string(store->size()) + " documents, the files " +
                     std::to_string(document_count));
    }

    // 6. Indexes: definitions, then members in order.
    std::vector<IndexInfo> infos = store->indexes();
    if (infos.size() != definitions.size()) {
      report.problem("the store has " + std::to_string(infos.size()) + " indexes, the files define " +
                     std::to_string(definitions.size()));
    }
    for (std::size_t d = 0; d < definitions.size(); ++d) {
      const recovery::IndexDefinition& definition = definitions[d];
      auto info =
          std::find_if(infos.begin(), infos.end(), [&](const IndexInfo& i) { return i.name == definition.name; });
      if (info == infos.end() || info->fields != definition.fields) {
        report.problem("index \"" + definition.name + "\": the opened store's definition differs from the files'");
        continue;
      }
      std::vector<std::pair<index::Key, std::string>>& expected = rebuilt[d];
      std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
        const int c = index::compare_keys(a.first, b.first);
        return c != 0 ? c < 0 : a.second < b.second;
      });
      auto cursor = store->read_index(definition.name);
      if (!cursor) {
        report.problem("index \"" + definition.name + "\": " + cursor.status().message());
        continue;
      }
      if (info->entries != expected.size() || cursor->count() != expected.size()) {
        report.problem("index \"" + definition.name + "\" has " + std::to_string(cursor->count()) +
                       " entries; rebuilt from the documents it has " + std::to_string(expected.size()));
        continue;
      }
      for (std::size_t i = 0; i < expected.size(); ++i) {
        auto step = cursor->next();
        if (!step || !step->document || step->document->id != expected[i].second) {
          report.problem("index \"" + definition.name + "\": entry " + std::to_string(i) + " is \"" +
                         (step && step->document ? step->document->id : std::string("?")) +
                         "\", rebuilt from the documents it is \"" + expected[i].second + "\"");
          break;
        }
      }
    }
  }

  const bool ok = report.problem_count == 0;
  if (json_) {
    Array indexes;
    for (const recovery::IndexDefinition& d : definitions) {
      indexes.push_back(Object{{"name", d.name}, {"fields", Array(d.fields.begin(), d.fields.end())}});
    }
    Object out{{"dir", dir_},
               {"ok", ok},
               {"revision", revision},
               {"documents", document_count},
               {"wal_segments", wal_segments},
               {"wal_records", wal_records},
               {"wal_operations", wal_operations},
               {"wal_segments_checked", checked_segments},
               {"wal_records_checked", checked_records},
               {"indexes", std::move(indexes)},
               {"problem_count", report.problem_count},
               {"problems", Array(report.problems.begin(), report.problems.end())},
               {"notes", Array(report.notes.begin(), report.notes.end())}};
    std::cout << to_json(out) << "\n";
  } else {
    std::cout << dir_ << ": " << (ok ? "ok" : "PROBLEMS FOUND") << "\n"
              << "  revision " << revision << ", " << document_count << " documents, " << definitions.size()
              << " indexes, " << wal_records << " WAL records (" << wal_operations << " operations) in " << wal_segments
              << " segments\n"
              << "  checked every checksum of " << checked_segments << " WAL segments (" << checked_records
              << " records), also those RocksDB already holds\n";
    for (const std::string& n : report.notes) std::cout << "  note: " << n << "\n";
    for (const std::string& p : report.problems) std::cout << "  problem: " << p << "\n";
    if (report.problem_count > report.problems.size()) {
      std::cout << "  ... and " << report.problem_count - report.problems.size() << " more problems\n";
    }
  }
  return ok ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
