// `snapstore verify` (see verify_command.h). Only reads. Checks, in order:
//   1. the store opens read-only (this also holds the directory's lock);
//   2. every WAL record's checksum, every document inside a record decodes,
//      and each document's versions follow on from record to record;
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

#include "recovery/tool_interface.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"

namespace snapstore::tools {
namespace {

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
      "verify", "Check a store without changing it: WAL records, RocksDB checksums, documents, indexes (a store in use: what a follower can read)");
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
  if (!recovery::is_store(dir_))
    return report_error("verify", Status::invalid_argument("no store at " + dir_));

  // 1. The store itself, read-only; it holds the lock while we look at the files.
  std::optional<Store> store;
  std::unique_ptr<recovery::StoreDir> own_lock;
  bool live = false;  // another process has the store open (D89)
  {
    auto opened = open_store(dir_, false);
    if (opened) {
      store.emplace(std::move(*opened));
    } else if (opened.code() == StatusCode::kBusy) {
      live = true;
    } else if (opened.code() == StatusCode::kIOError) {
      return report_error("verify", opened.status());
    } else {
      report.problem("the store does not open: " + opened.status().message());
      auto lock = lock_for_reading(dir_);
      if (!lock) return report_error("verify", lock.status());
      own_lock = std::move(*lock);
    }
  }

  // 2. The WAL, every record, every document inside; then every retained
  // segment on its own, also records RocksDB already holds.
  // A store in use is read as a follower reads it; its WAL is being written
  // and retired meanwhile, so only what that read proves about it is checked.
  auto reader = live ? recovery::StoreReader::open_live(dir_) : recovery::StoreReader::open(dir_);
  recovery::WalCheck wal;
  if (live) {
    report.notes.push_back(
        "the store is in use by another process: its files were checked as a follower reads them" +
        (reader ? " (at revision " + std::to_string((*reader)->revision()) + ")" : std::string()) +
        "; skipped: the check of every WAL segment on its own and the comparison with an opened store");
  } else {
    wal = recovery::check_wal(
        dir_, reader ? std::optional<std::uint64_t>((*reader)->applied_lsn()) : std::nullopt,
        [&](std::string problem) { report.problem(std::move(problem)); });
    report.notes.insert(report.notes.end(), wal.notes.begin(), wal.notes.end());
  }

  // 3. RocksDB's own checksums.
  std::uint64_t document_count = 0;
  std::uint64_t revision = 0;
  std::vector<recovery::IndexDefinition> definitions;
  std::optional<recovery::DocumentCheck> documents;
  if (!reader) {
    report.problem("the files do not read: " + reader.status().message());
  } else {
    if (Status s = (*reader)->verify_checksums(); !s) report.problem(s.message());
    revision = (*reader)->revision();
    definitions = (*reader)->indexes();
    documents.emplace(revision, definitions);

    // 4 and 5. Every document, and the opened store's copy of it.
    Progress progress(global, "verify", (*reader)->estimated_documents());
    Status scanned = (*reader)->scan([&](const recovery::StoredDocument& doc) {
      ++document_count;
      progress.add();
      const std::string id(doc.id);
      const std::optional<Object> data =
          documents->check(doc, [&](std::string problem) { report.problem(std::move(problem)); });
      if (store) {
        auto got = store->get(id);
        if (!got) {
          report.problem("document \"" + id + "\" is in the files but the opened store answers " +
                         got.status().message());
        } else if (got->version != doc.version || got->revision != doc.revision || (data && got->data != *data)) {
          report.problem("document \"" + id + "\" differs between the files and the opened store");
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
      if (info == infos.end() || info->fields != definition.fields || info->options != definition.options) {
        report.problem("index \"" + definition.name + "\": the opened store's definition differs from the files'");
        continue;
      }
      const std::vector<std::string> expected = documents->rebuilt_index(d);
      if (auto duplicate = documents->duplicate_key(d)) {
        report.problem("unique index \"" + definition.name + "\": " + *duplicate);
      }
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
        if (!step || !step->document || step->document->id != expected[i]) {
          report.problem("index \"" + definition.name + "\": entry " + std::to_string(i) + " is \"" +
                         (step && step->document ? step->document->id : std::string("?")) +
                         "\", rebuilt from the documents it is \"" + expected[i] + "\"");
          break;
        }
      }
    }
  }

  const bool ok = report.problem_count == 0;
  if (json_) {
    Array indexes;
    for (const recovery::IndexDefinition& d : definitions) {
      Object index{{"name", d.name}, {"fields", Array(d.fields.begin(), d.fields.end())}};
      add_index_options(index, d.options);
      indexes.push_back(std::move(index));
    }
    Object out{{"dir", dir_},
               {"ok", ok},
               {"revision", revision},
               {"documents", document_count},
               {"wal_segments", wal.segments},
               {"wal_records", wal.records},
               {"wal_operations", wal.operations},
               {"wal_segments_checked", wal.checked_segments},
               {"wal_records_checked", wal.checked_records},
               {"live", live},
               {"indexes", std::move(indexes)},
               {"problem_count", report.problem_count},
               {"problems", Array(report.problems.begin(), report.problems.end())},
               {"notes", Array(report.notes.begin(), report.notes.end())}};
    std::cout << to_json(out) << "\n";
  } else {
    std::cout << dir_ << ": " << (ok ? "ok" : "PROBLEMS FOUND") << "\n"
              << "  revision " << revision << ", " << document_count << " documents, " << definitions.size()
              << " indexes, " << wal.records << " WAL records (" << wal.operations << " operations) in " << wal.segments
              << " segments\n";
    if (!live) {
      std::cout << "  checked every checksum of " << wal.checked_segments << " WAL segments (" << wal.checked_records
                << " records), also those RocksDB already holds\n";
    }
    for (const std::string& n : report.notes) std::cout << "  note: " << n << "\n";
    for (const std::string& p : report.problems) std::cout << "  problem: " << p << "\n";
    if (report.problem_count > report.problems.size()) {
      std::cout << "  ... and " << report.problem_count - report.problems.size() << " more problems\n";
    }
  }
  return ok ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
