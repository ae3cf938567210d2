// `snapstore dump` (see dump_command.h). A whole-store dump reads RocksDB and
// the WAL directly (recovery::StoreReader) under the directory's lock, so it
// runs at the speed of a RocksDB scan and copies each document's stored bytes
// unchanged. An --index dump needs index order, which only an opened store
// has, so it opens the store read-only instead.
#include "tools/dump_command.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "recovery/tool_interface.h"
#include "tools/cli_support.h"
#include "tools/dump_format.h"

namespace snapstore::tools {
namespace {

// SOURCE_DATE_EPOCH (the reproducible-builds convention) fixes the creation
// time, so that two dumps of the same state are byte for byte the same.
std::uint64_t creation_time() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    return std::strtoull(epoch, nullptr, 10);
  }
  return static_cast<std::uint64_t>(std::time(nullptr));
}

}  // namespace

CLI::App* DumpCommand::setup(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("dump", "Write a consistent snapshot of a store to a dump file (also while another process has it open)");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("-o,--output", output_, "Output file, or - for stdout (default)");
  sub->add_option("--format", format_, "msgpack (binary, default) or jsonl")
      ->check(CLI::IsMember({"msgpack", "jsonl"}));
  CLI::Option* index = sub->add_option("--index", index_, "Dump in this index's order (only its members)");
  sub->add_option("--min", min_, "With --index: lower bound, a JSON array of key values")->needs(index);
  sub->add_option("--max", max_, "With --index: upper bound, a JSON array of key values")->needs(index);
  sub->add_option("--since-revision", since_revision_,
                  "Only documents changed after this revision, and the ids deleted since (incremental)")
      ->excludes(index);
  sub->add_flag("--force", force_, "With -o: replace the file if it exists");
  sub->add_flag("--salvage", salvage_,
                "Dump a damaged store: every document up to the first WAL damage, naming on stderr what is "
                "left out (exit 1 when anything is)")
      ->excludes(index);
  sub->footer(
      "Examples:\n"
      "  snapstore dump /data/store -o store.dump             binary dump to a file\n"
      "  snapstore dump /data/store --format jsonl | gzip > store.jsonl.gz\n"
      "  snapstore dump /data/store | snapstore restore - /data/copy\n"
      "  snapstore dump --salvage /data/damaged -o rescued.dump");
  return sub;
}

int DumpCommand::run(const GlobalOptions& global) {
  const DumpFormat format = format_ == "jsonl" ? DumpFormat::kJsonl : DumpFormat::kMsgpack;
  if (!recovery::is_store(dir_)) {
    return report_error("dump", Status::invalid_argument("no store at " + dir_));
  }
  std::FILE* out = stdout;
  const bool to_file = output_ != "-";
  if (to_file && !force_ && recovery::path_exists(output_)) {
    return report_error("dump", Status::invalid_argument(output_ + " exists; dump does not replace a file "
                                                         "unless --force is given"));
  }
  // Binary bytes would garble the terminal and help nobody.
  if (!to_file && format == DumpFormat::kMsgpack && ::isatty(STDOUT_FILENO) == 1) {
    return report_error("dump", Status::invalid_argument("stdout is a terminal: a binary dump goes to a file "
                                                         "(-o FILE), into a pipe (| snapstore restore - DIR), or "
                                                         "use --format jsonl"));
  }
  if (to_file) {
    out = std::fopen(output_.c_str(), "wb");
    if (out == nullptr)
      return report_error("dump", Status::io_error("create " + output_ + ": " + std::strerror(errno)));
  }
  DumpWriter writer(format, out, to_file ? output_ : "stdout");
  DumpHeader header;
  header.snapstore_version = SNAPSTORE_VERSION;
  header.created = creation_time();
  header.since_revision = since_revision_;

  Status status;
  std::vector<std::string> left_out;  // --salvage: what the dump does not hold
  if (!index_.empty()) {
    status = [&]() -> Status {
      auto min = min_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(min_, "--min");
      if (!min) return min.status();
      auto max = max_.empty() ? Result<IndexKey>(IndexKey{}) : parse_key(max_, "--max");
      if (!max) return max.status();
      auto store = open_store(dir_, false);
      if (!store && store.code() == StatusCode::kBusy) {
        // In use by another process: the same documents from a live reader.
        auto reader = open_reader(dir_);
        if (!reader) return reader.status();
        auto found = (*reader)->lookup_range(index_, min->values(), max->values());
        if (!found) return found.status();
        header.revision = (*reader)->revision();
        header.order = "index " + index_;
        header.indexes = (*reader)->indexes();
        if (Status s = writer.begin(header); !s) return s;
        std::string encoded;
        for (const DocumentResult& doc : *found) {
          encoded.clear();
          if (Status s = recovery::encode_document(doc.data, encoded, SIZE_MAX); !s) return s;
          if (Status s = writer.add_document(doc.id, doc.version, doc.revision, encoded); !s) return s;
        }
        return writer.finish();
      }
      if (!store) return store.status();
      auto found = store->lookup_range(index_, *min, *max);
      if (!found) return found.status();
      header.revision = store->revision();
      header.order = "index " + index_;
      for (const IndexInfo& info : store->indexes()) header.indexes.push_back({info.name, info.fields, info.options});
      if (Status s = writer.begin(header); !s) return s;
      Progress progress(global, "dump", found->size());
      std::string encoded;
      for (const DocumentResult& doc : *found) {
        encoded.clear();
        if (Status s = recovery::encode_document(doc.data, encoded, SIZE_MAX); !s) return s;
        if (Status s = writer.add_document(doc.id, doc.version, doc.revision, encoded); !s) return s;
        progress.add();
      }
      return writer.finish();
    }();
  } else {
    status = [&]() -> Status {
      // The directory's lock, shared, for the whole dump: no writer can
      // append to the WAL or retire segments while it is read.
      // When another process has the store open, the dump is read as a
      // follower reads it: one consistent revision, the owner undisturbed.
      auto lock = lock_for_reading(dir_);
      if (!lock && lock.code() != StatusCode::kBusy) return lock.status();
      auto reader = lock ? recovery::StoreReader::open(dir_, salvage_) : recovery::StoreReader::open_live(dir_);
      // WAL damage: say what gets past it (only then does a salvaging read open).
      if (!reader && reader.code() == StatusCode::kCorruption && !salvage_ && lock &&
          recovery::StoreReader::open(dir_, true).is_ok()) {
        return Status::corruption(reader.status().detail() +
                                  " (dump --salvage dumps what is readable; snapstore repair repairs the store)");
      }
      if (!reader) return reader.status();
      if (const auto& damage = (*reader)->wal_summary().damage) {
        left_out.push_back("the WAL is damaged (" + damage->reason + "): the dump holds the state at revision " +
                           std::to_string((*reader)->revision()) + "; every record after it is left out");
      }
      std::vector<recovery::DeletedDocument> deleted;
      if (since_revision_ > 0) {
        auto known = (*reader)->deletions_since(since_revision_);
        // A live owner's checkpoint can remove a segment while it is read
        // again: read from a newer state (InvalidArgument is the answer).
        for (int attempt = 0; !known && known.code() != StatusCode::kInvalidArgument && (*reader)->live() &&
                              attempt < 3;
             ++attempt) {
          if (Status s = (*reader)->catch_up(); !s) return s;
          known = (*reader)->deletions_since(since_revision_);
        }
        if (!known) return known.status();
        deleted = std::move(*known);
      }
      header.revision = (*reader)->revision();
      header.indexes = (*reader)->indexes();
      if (Status s = writer.begin(header); !s) return s;
      Progress progress(global, "dump", (*reader)->estimated_documents());
      Status scanned = (*reader)->scan_since(since_revision_, [&](const recovery::StoredDocument& doc) {
        progress.add();
        return writer.add_document(doc.id, doc.version, doc.revision, doc.document);
      });
      // A document RocksDB cannot read ends the scan; salvage keeps what came
      // before and says where it stopped.
      if (!scanned && salvage_ && scanned.code() == StatusCode::kCorruption) {
        left_out.push_back("reading RocksDB stopped after " + std::to_string(writer.documents()) +
                           " documents: " + scanned.message() + "; the documents after it are left out");
      } else if (!scanned) {
        return scanned;
      }
      for (const recovery::DeletedDocument& d : deleted) {
        if (Status s = writer.add_deletion(d.id, d.revision); !s) return s;
      }
      return writer.finish();
    }();
  }
  // A dump is a backup: once reported written it must survive a power cut,
  // so the file and the directory entry naming it are synced first.
  if (to_file && status.is_ok() && ::fsync(::fileno(out)) != 0) {
    status = Status::io_error("sync " + output_ + ": " + std::strerror(errno));
  }
  if (to_file && std::fclose(out) != 0 && status.is_ok()) {
    status = Status::io_error("close " + output_ + ": " + std::strerror(errno));
  }
  if (to_file && status.is_ok()) {
    const std::filesystem::path parent = std::filesystem::absolute(output_).parent_path();
    if (Status s = recovery::sync_directory(parent.string()); !s) status = s;
  }
  if (!status) {
    // A dump that did not finish has no trailer; remove it so nobody keeps it.
    if (to_file) std::remove(output_.c_str());
    return report_error("dump", status);
  }
  for (const std::string& what : left_out) std::cerr << "snapstore dump: left out: " << what << "\n";
  note(global, "dumped " + std::to_string(writer.documents()) + " documents at revision " +
                   std::to_string(header.revision) + " (" + std::to_string(writer.bytes_written()) + " bytes)");
  return left_out.empty() ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
