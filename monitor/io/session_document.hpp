// The session document of the contract (--dump F, the dashboard's `d`): one JSON
// object {"v":1,"type":"session",...} with the session's counters, processes,
// readers, per-function statistics (exact for the whole session, with their
// duration histograms so that percentiles replay exactly), the checker's
// findings, and the kept events as in the stream, one per line.
//
// Written atomically (a temporary file in the same folder, then rename), mode
// 0600; secret-bearing APDU data masked unless show_secrets. --replay of a dump
// restores the statistics (restore_session_summary) after replaying the events.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "monitor/model/session_model.hpp"

namespace pcscspy {

// The document's first line starts with this (how --replay recognises a dump).
inline constexpr std::string_view kSessionDocumentStart = R"({"v":1,"type":"session")";

// Writes the document; nullopt on success, else a one-line error.
std::optional<std::string> write_session_document(const SessionModel& model, const std::string& path,
                                                  bool show_secrets);

// Whether a document can be written to path, found out at start rather than
// after the session: the first step of the writing (its temporary file in the
// same folder) made and undone. nullopt when it can, else a one-line error.
std::optional<std::string> check_session_document_target(const std::string& path);

// The document's summary members (everything but "events"), as JSON.
nlohmann::json session_summary_json(const SessionModel& model);

// Applies a document's summary members (as written by session_summary_json) to
// a model whose events were replayed: statistics, findings, counters, process
// and reader counters. Members that are missing or malformed are skipped;
// returns a description of what was skipped (empty when everything applied).
std::string restore_session_summary(const nlohmann::json& summary, SessionModel& model);

}  // namespace pcscspy
