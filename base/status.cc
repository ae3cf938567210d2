// Status messages. The first eight are go-store's error texts, verbatim, so
// that users porting from go-store see the messages they know.
#include "snapstore/status.h"

namespace snapstore {

std::string_view status_code_message(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kDocumentNotFound: return "document not found";
    case StatusCode::kDocumentDeleted: return "document has been deleted";
    case StatusCode::kIndexExists: return "index already exists";
    case StatusCode::kEmptyIndex: return "cannot create empty index";
    case StatusCode::kIndexNotFound: return "index does not exist";
    case StatusCode::kStreamClosed: return "stream closed";
    case StatusCode::kStoreClosed: return "store closed";
    case StatusCode::kInvalidDocument: return "invalid document";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kIOError: return "I/O error";
    case StatusCode::kBusy: return "busy";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kVersionConflict: return "version conflict";
    case StatusCode::kUniqueViolation: return "unique index violation";
    case StatusCode::kSnapshotExpired: return "snapshot expired";
    case StatusCode::kRevisionRetired: return "revision retired";
  }
  return "unknown error";
}

std::string Status::message() const {
  std::string text(status_code_message(code_));
  if (!detail_.empty()) text.append(": ").append(detail_);
  return text;
}

}  // namespace snapstore
