// `snapstore import` (see import_command.h). Lines are parsed and checked as
// they are read and written in batches of up to kBatchDocuments documents
// (Store::write: one WAL record, one sync each). A bad line — malformed
// JSON, not an object — stops the import there (everything before it is
// imported, nothing after) unless --skip-bad, which reports and skips each
// one. A batch the store refuses (a document over a limit) is retried one
// document at a time, so the refusal names its line too.
#include "tools/import_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "tools/cli_support.h"

namespace snapstore::tools {
namespace {

constexpr std::size_t kBatchDocuments = 1000;
constexpr std::size_t kBatchBytes = std::size_t{4} << 20;  // of JSON text

}  // namespace

CLI::App* ImportCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "import", "Insert JSON lines (one document per line) into an existing store, in atomic batches");
  sub->add_option("dir", dir_, "Store directory (an existing store; create one with insert --create)")->required();
  sub->add_option("file", input_, "A JSON-lines file, or - for stdin")->required();
  sub->add_flag(
      "--skip-bad", skip_bad_,
      "Report bad lines on stderr and go on (default: stop at the first, after importing the lines before it)");
  sub->footer(examples(
      {"snapstore import ./my-data people.jsonl", "zcat people.jsonl.gz | snapstore import --skip-bad ./my-data -"}));
  return sub;
}

int ImportCommand::run(const GlobalOptions& global) {
  std::ifstream file;
  std::istream* in = &std::cin;
  std::uint64_t input_bytes = 0;
  if (input_ != "-") {
    file.open(input_, std::ios::binary);
    if (!file) return report_error("import", Status::io_error("open " + input_ + ": " + std::strerror(errno)));
    struct stat st {};
    if (::stat(input_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) input_bytes = static_cast<std::uint64_t>(st.st_size);
    in = &file;
  }
  auto store = open_store(dir_, true);
  if (!store) return report_error("import", store.status());

  Progress progress(global, "import", 0);
  std::uint64_t imported = 0;
  std::uint64_t skipped = 0;
  std::uint64_t bytes_read = 0;
  WriteBatch batch;
  std::vector<std::uint64_t> batch_lines;  // the line of each document in `batch`
  std::vector<std::string> batch_texts;    // kept for a one-by-one retry
  std::size_t batch_bytes = 0;

  // A refused line: a Status naming it when the import stops, else a note.
  auto refuse = [&](std::uint64_t line, const Status& why) -> Status {
    const std::string where = (input_ == "-" ? std::string("stdin") : input_) + " line " + std::to_string(line);
    if (skip_bad_) {
      ++skipped;
      std::cerr << "snapstore import: skipped " << where << ": " << why.message() << "\n";
      return Status::ok();
    }
    return Status(why.code(), where + ": " + why.detail() + " (" + std::to_string(imported) +
                                  " documents before it were imported)");
  };
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::ok();
    auto written = store->write(batch);
    if (written) {
      imported += batch.size();
      progress.add(batch.size());
    } else if (written.code() == StatusCode::kInvalidDocument) {
      // Find the document the store refused: one at a time.
      for (std::size_t i = 0; i < batch_texts.size(); ++i) {
        auto one = store->insert(*from_json(batch_texts[i]));
        if (!one) {
          if (one.code() != StatusCode::kInvalidDocument) return one.status();
          if (Status s = refuse(batch_lines[i], one.status()); !s) return s;
          continue;
        }
        ++imported;
        progress.add();
      }
    } else {
      return written.status();
    }
    batch.clear();
    batch_lines.clear();
    batch_texts.clear();
    batch_bytes = 0;
    if (input_bytes > 0 && bytes_read > 0) {
      progress.set_total(
          static_cast<std::uint64_t>(static_cast<double>(imported + skipped) * static_cast<double>(input_bytes) /
                                     static_cast<double>(bytes_read)));
    }
    return Status::ok();
  };

  Status status = [&]() -> Status {
    std::string text;
    for (std::uint64_t line = 1; std::getline(*in, text); ++line) {
      bytes_read += text.size() + 1;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.find_first_not_of(" \t") == std::string::npos) continue;
      auto value = from_json(text);
      if (value && value->is_object() && imported + skipped == 0 && batch.empty() &&
          value->as_object().contains("snapstore_dump")) {
        // A JSONL dump's header: its lines carry ids and versions that an
        // import would bury inside new documents.
        return Status::invalid_argument(
            (input_ == "-" ? std::string("stdin") : input_) +
            " is a snapstore dump; load it with `snapstore restore` into a new directory");
      }
      Status bad;
      if (!value) {
        bad = value.status();
      } else if (!value->is_object()) {
        bad = Status::invalid_document("a document must be an object, got " + std::string(value->type_name()));
      }
      if (!bad.is_ok()) {
        // Stopping: the lines before this one are imported first.
        if (!skip_bad_) {
          if (Status s = flush(); !s) return s;
        }
        if (Status s = refuse(line, bad); !s) return s;
        continue;
      }
      batch_texts.push_back(text);
      batch.insert(std::move(value->as_object()));
      batch_lines.push_back(line);
      batch_bytes += text.size();
      if (batch.size() >= kBatchDocuments || batch_bytes >= kBatchBytes) {
        if (Status s = flush(); !s) return s;
      }
    }
    if (in->bad()) return Status::io_error("read " + (input_ == "-" ? std::string("stdin") : input_));
    return flush();
  }();
  progress.finish();
  if (!status) {
    store->close();
    return report_error("import", status);
  }
  store->close();
  note(global, "imported " + thousands(imported) + " documents" +
                   (skipped > 0 ? ", skipped " + thousands(skipped) + " bad lines" : std::string()) + " into " + dir_);
  return kExitOk;
}

}  // namespace snapstore::tools
