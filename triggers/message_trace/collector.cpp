#include "collector.hpp"

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "record_selection.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

using sekoia::FormatIso8601;
using sekoia::HumanDuration;
using std::chrono::duration_cast;
using std::chrono::seconds;

// While the checkpoint cannot be written, how often a caught-up collector tries again.
constexpr std::chrono::milliseconds kUnsavedRetry = std::chrono::seconds(10);

std::string Span(const Window& window) {
  return FormatIso8601(window.start) + " -> " + FormatIso8601(window.end);
}

sekoia::TimePoint RequireTime(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string())
    throw sekoia::ParseError(std::string("\"") + key + "\" is missing or not a string");
  auto time = sekoia::ParseIso8601(it->get<std::string>());
  if (!time)
    throw sekoia::ParseError(std::string("\"") + key +
                             "\" is not an ISO 8601 date: " + it->get<std::string>().substr(0, 40));
  return *time;
}

}  // namespace

FailureClass ClassifyFailure(const std::exception& error) {
  if (dynamic_cast<const sekoia::AuthError*>(&error) ||
      dynamic_cast<const sekoia::ConfigError*>(&error) ||
      dynamic_cast<const IntakeRefusedError*>(&error)) {
    return FailureClass::kPermanent;
  }
  // Not sekoia::IsRetryableStatus, on purpose: what arrives here has had the transport's retries
  // already, and every cycle is retried anyway (the loop never gives up); the class only sets the
  // pace and the level. Permanent are the statuses whose fix is a person's and known (each is one
  // IsRetryableStatus refuses too); another refused status (a 405, a 409, a redirect, which is
  // never followed) is passing: a warning, retried with the failure backoff.
  if (const auto* status = dynamic_cast<const sekoia::HttpStatusError*>(&error)) {
    const int code = status->status();
    if (code == 400 || code == 401 || code == 403 || code == 404) return FailureClass::kPermanent;
  }
  return FailureClass::kPassing;
}

nlohmann::json CursorToJson(const CollectorCursor& cursor) {
  nlohmann::json document = {{"most_recent_date_requested", FormatIso8601(cursor.next_start)}};
  if (cursor.window) {
    nlohmann::json window = {{"start", FormatIso8601(cursor.window->start)},
                             {"end", FormatIso8601(cursor.window->end)},
                             {"rows_read", cursor.rows_read}};
    if (cursor.next_url) window["next_link"] = *cursor.next_url;
    if (cursor.read_at) window["read_at"] = FormatIso8601(*cursor.read_at);
    // A re-read has its own key: a version without schedules would take a "window" for a first
    // read and move most_recent_date_requested back to its end.
    document[cursor.rereading ? "reread" : "window"] = window;
  }
  if (cursor.lookback_from) document["lookback_from"] = FormatIso8601(*cursor.lookback_from);
  if (cursor.rereads_recorded || !cursor.rereads.empty()) {
    nlohmann::json rereads = nlohmann::json::array();
    for (const PendingReread& pending : cursor.rereads) {
      rereads.push_back({{"start", FormatIso8601(pending.span.start)},
                         {"end", FormatIso8601(pending.span.end)},
                         {"read_at", FormatIso8601(pending.read_at)}});
    }
    document["rereads"] = std::move(rereads);
  }
  return document;
}

CollectorCursor CursorFromJson(const nlohmann::json& document) {
  CollectorCursor cursor;
  cursor.next_start = RequireTime(document, "most_recent_date_requested");
  auto window = document.find("window");
  auto reread = document.find("reread");
  if (reread != document.end() && reread->is_object()) {
    if (window != document.end() && window->is_object())
      throw sekoia::ParseError("a window and a re-read are both in progress");
    window = reread;
    cursor.rereading = true;
  }
  if (window != document.end() && window->is_object()) {
    Window w{RequireTime(*window, "start"), RequireTime(*window, "end")};
    if (w.end <= w.start) throw sekoia::ParseError("the window in progress ends before it starts");
    cursor.window = w;
    auto link = window->find("next_link");
    if (link != window->end() && link->is_string()) cursor.next_url = link->get<std::string>();
    auto rows = window->find("rows_read");
    if (rows != window->end() && rows->is_number_unsigned())
      cursor.rows_read = rows->get<std::size_t>();
    if (!cursor.next_url) cursor.rows_read = 0;
    // Without it (a checkpoint from before re-read schedules), the window counts as read at its
    // end: every re-read of it is still to come.
    cursor.read_at = window->contains("read_at") ? RequireTime(*window, "read_at") : w.end;
  }
  if (document.contains("lookback_from"))
    cursor.lookback_from = RequireTime(document, "lookback_from");
  auto rereads = document.find("rereads");
  if (rereads != document.end()) {
    if (!rereads->is_array()) throw sekoia::ParseError("\"rereads\" is not an array");
    cursor.rereads_recorded = true;
    for (const auto& item : *rereads) {
      if (!item.is_object()) throw sekoia::ParseError("an item of \"rereads\" is not an object");
      PendingReread pending{Window{RequireTime(item, "start"), RequireTime(item, "end")},
                            RequireTime(item, "read_at")};
      if (pending.span.end <= pending.span.start)
        throw sekoia::ParseError("a pending re-read ends before it starts");
      if (!cursor.rereads.empty() && pending.span.start < cursor.rereads.back().span.end)
        throw sekoia::ParseError("the pending re-reads overlap or are not in order");
      cursor.rereads.push_back(pending);
    }
  }
  return cursor;
}

Collector::Collector(const CollectorOptions& options, TraceSource& source,
                     sekoia::intake::IntakeSink& intake, sekoia::CheckpointStore& checkpoints,
                     sekoia::Clock& clock, sekoia::Random& random, sekoia::Logger& logger,
                     sekoia::Metrics& metrics, sekoia::HealthState& health, ForwardedKeys* keys)
    : options_(options),
      source_(source),
      intake_(intake),
      checkpoints_(checkpoints),
      clock_(clock),
      failure_backoff_(options.failure_backoff, random),
      logger_(logger),
      metrics_(metrics),
      health_(health),
      keys_(keys),
      limits_(source.Limits()),
      schedule_(RereadScheduleOptions{options.reread_after, options.reread_merge_share,
                                      limits_.max_window}) {
  if ((options_.lookback.count() > 0 || schedule_.enabled()) && keys_ == nullptr)
    throw std::logic_error("a lookback needs the forwarded keys");
  if (options_.lookback.count() > 0 && schedule_.enabled())
    throw std::logic_error("a full lookback or re-reads, not both");
  // The configuration loader refuses these (CheckAgainstLimits), naming the argument.
  if (schedule_.last_age() + options_.frequency > limits_.max_age)
    throw std::logic_error("the last re-read comes after the service drops the data");
  if (options_.lookback.count() > 0 && options_.lookback + options_.frequency > limits_.max_window)
    throw std::logic_error("a lookback longer than the API's window");
  // The service limits the whole query, lookback included.
  limits_.max_window -= options_.lookback;
  const bool replaced = LoadCursor();
  if (!schedule_.enabled()) {
    // Back to a full lookback or none: re-reads scheduled before are not made.
    cursor_.rereads.clear();
    cursor_.rereads_recorded = false;
  }
  if (keys_) {
    std::string problem = keys_->Load();
    if (!problem.empty())
      logger_.Warning("the forwarded keys file is damaged (" + problem +
                      "); the records "
                      "concerned may be forwarded once more");
    if (!keys_->found() && !cursor_.lookback_from) {
      cursor_.lookback_from =
          cursor_.window ? std::min(cursor_.window->start, cursor_.next_start) : cursor_.next_start;
    }
    // A checkpoint written with a full lookback, or replaced (damaged): the last re-read age
    // before it was read at most at its end, so its re-reads are all still due (none before
    // where the keys begin; the keys send each state once).
    if (schedule_.enabled() && !cursor_.rereads_recorded && keys_->found()) {
      sekoia::TimePoint from = std::max(cursor_.next_start - schedule_.last_age(),
                                        Truncate(clock_.Now() - limits_.max_age));
      if (cursor_.lookback_from) from = std::max(from, *cursor_.lookback_from);
      if (from < cursor_.next_start)
        schedule_.Record(cursor_.rereads, Window{from, cursor_.next_start}, cursor_.next_start);
    }
    if (schedule_.enabled()) cursor_.rereads_recorded = true;
  }
  // A new or replaced checkpoint is saved at once: a restart before the first window ends must
  // resume from the start chosen now, not choose again (start_time back from a later now would
  // skip what lies between the two starts).
  if (replaced) SaveCursor();
  metrics_.SetCheckpointTime(cursor_.next_start);
}

sekoia::TimePoint Collector::Truncate(sekoia::TimePoint time) const {
  return sekoia::TimePoint(duration_cast<seconds>(time.time_since_epoch()));
}

bool Collector::LoadCursor() {
  const sekoia::TimePoint now = Truncate(clock_.Now());
  const sekoia::TimePoint fresh_start = std::max(now - options_.start_time, now - limits_.max_age);
  std::optional<nlohmann::json> document;
  try {
    document = checkpoints_.Load();
    if (document) cursor_ = CursorFromJson(*document);
  } catch (const sekoia::ParseError& error) {
    logger_.Warning(std::string("the checkpoint is unusable (") + error.what() + "); starting " +
                    std::to_string(options_.start_time.count()) +
                    " hour(s) back, as start_time says");
    document.reset();
  }
  bool replaced = true;
  if (!document) {
    cursor_ = CollectorCursor{};
    cursor_.next_start = fresh_start;
    if (options_.start_time > limits_.max_age) {
      const long long days = (limits_.max_age.count() + 43200) / 86400;
      logger_.Warning("start_time: " + std::to_string(options_.start_time.count()) +
                      " hours reaches past the oldest data the service keeps (about " +
                      std::to_string(days) + " days); starting from " + FormatIso8601(fresh_start) +
                      " instead");
    }
  } else if (cursor_.next_start > now || (cursor_.window && cursor_.window->end > now)) {
    logger_.Warning("the checkpoint's date " + FormatIso8601(cursor_.next_start) +
                    " is in the future; starting from now");
    cursor_ = CollectorCursor{};
    cursor_.next_start = now;
  } else if (cursor_.next_start < now - limits_.max_age) {
    logger_.Warning("the checkpoint's date " + FormatIso8601(cursor_.next_start) +
                    " is older than the service keeps data; starting from " +
                    FormatIso8601(now - limits_.max_age));
    cursor_ = CollectorCursor{};
    cursor_.next_start = Truncate(now - limits_.max_age);
  } else {
    replaced = false;
    logger_.Info("resuming from the checkpoint: " + FormatIso8601(cursor_.next_start) +
                 (cursor_.window ? std::string(cursor_.rereading ? " (inside the re-read "
                                                                 : " (inside the window ") +
                                       Span(*cursor_.window) + ")"
                                 : std::string()));
    // What the service no longer keeps cannot be read again.
    const sekoia::TimePoint oldest = Truncate(now - limits_.max_age);
    auto& rereads = cursor_.rereads;
    rereads.erase(std::remove_if(rereads.begin(), rereads.end(),
                                 [&](const PendingReread& p) { return p.span.end <= oldest; }),
                  rereads.end());
    for (PendingReread& p : rereads) p.span.start = std::max(p.span.start, oldest);
    if (cursor_.rereading && cursor_.window->start < oldest) {
      logger_.Warning("the re-read in progress " + Span(*cursor_.window) +
                      " is older than the service keeps data; dropped");
      cursor_.window.reset();
      cursor_.next_url.reset();
      cursor_.rows_read = 0;
      cursor_.rereading = false;
      cursor_.read_at.reset();
    }
  }
  started_at_ = clock_.Steady();
  catch_up_origin_ = cursor_.next_start;
  last_progress_ = started_at_ - options_.progress_interval;
  return replaced;
}

void Collector::SaveCursor() {
  try {
    checkpoints_.Save(CursorToJson(cursor_));
    metrics_.SetCheckpointTime(cursor_.next_start);
    if (!checkpoint_writable_) logger_.Info("the checkpoint can be saved again");
    checkpoint_writable_ = true;
  } catch (const std::exception& error) {
    // Collection goes on with the cursor in memory; a restart would re-read from the last save.
    if (checkpoint_writable_)
      logger_.Error(std::string("cannot save the checkpoint, going on in memory: ") + error.what());
    checkpoint_writable_ = false;
  }
}

Window Collector::QueryWindow(const Window& window) const {
  if (options_.lookback.count() == 0) return window;
  // The lookback never reaches past the oldest data the service keeps.
  sekoia::TimePoint oldest = std::min(Truncate(clock_.Now() - limits_.max_age), window.start);
  if (cursor_.lookback_from)
    oldest = std::max(oldest, std::min(*cursor_.lookback_from, window.start));
  return Window{std::max(window.start - options_.lookback, oldest), window.end};
}

void Collector::SaveProgress() {
  // Keys first: a crash between the two re-reads a page whose records the keys already hold.
  if (keys_) {
    try {
      keys_->Persist();
      if (!keys_writable_) logger_.Info("the forwarded keys can be saved again");
      keys_writable_ = true;
    } catch (const std::exception& error) {
      if (keys_writable_)
        logger_.Error(std::string("cannot save the forwarded keys, going on in memory: ") +
                      error.what());
      keys_writable_ = false;
    }
  }
  SaveCursor();
}

std::optional<Window> Collector::NextWindow(sekoia::TimePoint now) const {
  const sekoia::TimePoint latest_end = Truncate(now - options_.timedelta);
  const sekoia::TimePoint start = std::max(cursor_.next_start, Truncate(now - limits_.max_age));
  // Caught up: wait. A frequency longer than the API's window (the legacy service's 6 hours) is
  // read in windows of that length until less than one is left.
  if (latest_end - start < std::min<std::chrono::seconds>(options_.frequency, limits_.max_window))
    return std::nullopt;
  return Window{start, std::min(start + limits_.max_window, latest_end)};
}

sekoia::TimePoint Collector::NextDue() const {
  sekoia::TimePoint due = cursor_.next_start + options_.frequency + options_.timedelta;
  if (auto reread = schedule_.NextDue(cursor_.rereads)) due = std::min(due, *reread);
  return due;
}

bool Collector::RunOnce(const sekoia::StopSignal& stop) {
  if (!cursor_.window) {
    const sekoia::TimePoint now = clock_.Now();
    auto window = NextWindow(now);
    auto reread = schedule_.Next(cursor_.rereads, now);
    // Whichever was due first: first reads keep records fresh, re-reads must not starve (a
    // re-read put off only merges with more spans, and the keys wait for it).
    cursor_.rereading = reread && (!window || reread->due <= window->end + options_.timedelta);
    if (cursor_.rereading) window = reread->span;
    if (!window) return false;
    cursor_.window = *window;
    cursor_.read_at = Truncate(now);
    cursor_.next_url.reset();
    cursor_.rows_read = 0;
    window_forwarded_ = 0;
    window_pages_ = 0;
    window_repaired_ = 0;
    window_dates_.reset();
  }
  ReadWindow(stop);
  return true;
}

void Collector::ReadWindow(const sekoia::StopSignal& stop) {
  const Window window = *cursor_.window;
  const Window query = cursor_.rereading ? window : QueryWindow(window);
  // Only the records of the last lookback period before the next window can be read again; with
  // re-reads, every record of the window until its last one.
  const sekoia::TimePoint keep_from =
      schedule_.enabled() ? query.start : window.end - options_.lookback;
  RecordSelectionOptions selection_options;
  selection_options.window = window;
  selection_options.query = query;
  selection_options.rows_outside_window = limits_.rows_outside_window;
  selection_options.keep_keys_from = keep_from;
  // A row the service returns whatever its date must be known while the next windows may return
  // it again.
  selection_options.rows_outside_key_time = schedule_.enabled() ? query.end : keep_from;
  std::string url = cursor_.next_url ? *cursor_.next_url : source_.FirstPageUrl(query);
  bool resumed_link = cursor_.next_url.has_value();
  // Paging must end: the links followed here (hashed) and the pages and rows they gave.
  std::unordered_set<std::size_t> followed{std::hash<std::string>()(url)};
  std::size_t pages_read = 0;
  std::size_t rows_read = 0;
  while (true) {
    TracePage page;
    try {
      page = source_.FetchPage(url, cursor_.rows_read, stop);
    } catch (const PagingError& error) {
      if (!resumed_link) throw;
      // A stored next link off the service (a tampered checkpoint): never followed.
      logger_.Warning(std::string("the checkpoint's next link is not followed (") + error.what() +
                      "); reading the window " + Span(window) + " again from its start");
      resumed_link = false;
      cursor_.next_url.reset();
      cursor_.rows_read = 0;
      url = source_.FirstPageUrl(query);
      followed = {std::hash<std::string>()(url)};
      continue;
    } catch (const sekoia::HttpStatusError& error) {
      if (!resumed_link || error.status() < 400 || error.status() >= 500 || error.status() == 401 ||
          error.status() == 403 || error.status() == 429)
        throw;
      // A stored next link the service no longer accepts: read the window again from its start.
      logger_.Warning("the service refused the stored next link (HTTP " +
                      std::to_string(error.status()) + "); reading the window " + Span(window) +
                      " again from its start");
      resumed_link = false;
      cursor_.next_url.reset();
      cursor_.rows_read = 0;
      url = source_.FirstPageUrl(query);
      followed = {std::hash<std::string>()(url)};
      continue;
    }
    resumed_link = false;

    RecordSelection selection = SelectRecords(page, selection_options, keys_);
    if (selection.dates) {
      if (!window_dates_) window_dates_ = selection.dates;
      window_dates_->first = std::min(window_dates_->first, selection.dates->first);
      window_dates_->second = std::max(window_dates_->second, selection.dates->second);
    }
    const std::vector<std::string_view>& events = selection.events;
    if (page.warning) logger_.Warning(*page.warning + " (window " + Span(window) + ")");
    if (selection.undated > 0) {
      logger_.Warning(std::to_string(selection.undated) + " record(s) of the window " +
                      Span(window) + " have no readable date; they are forwarded as they are");
    }
    if (!events.empty()) {
      auto result = intake_.Forward(events, stop);
      if (result == sekoia::intake::ForwardResult::kStopped) throw sekoia::StopRequested();
      if (result == sekoia::intake::ForwardResult::kRefused) {
        throw IntakeRefusedError(
            "the intake refused the events: check intake_key and intake_server");
      }
      if (result != sekoia::intake::ForwardResult::kAcknowledged) {
        throw std::runtime_error("the intake did not acknowledge the events");
      }
    }
    if (keys_) keys_->Add(selection.new_keys);
    metrics_.AddRepaired(selection.repaired.size());
    window_repaired_ += selection.repaired.size();
    forwarded_total_ += events.size();
    window_forwarded_ += events.size();
    ++window_pages_;
    ++pages_total_;
    cursor_.rows_read += page.records.size();
    health_.Heartbeat(clock_.Now());
    if (!cursor_.rereading) {
      // The lag follows every acknowledged page: the part of the window read so far, by the span
      // of its record dates (whichever order the service pages in), as ReportProgress estimates it.
      // A re-read of a past window is not the reading position.
      sekoia::TimePoint position = window.start;
      if (window_dates_) position += window_dates_->second - window_dates_->first;
      metrics_.SetEventsLag(
          static_cast<double>(duration_cast<seconds>(clock_.Now() - position).count()));
    }

    ++pages_read;
    rows_read += page.records.size();

    if (page.paging_error) {
      // A link off the service's origin: never followed nor saved, or each cycle would read
      // the window again from its start and stop at the same link.
      health_.CountError();
      logger_.Error(*page.paging_error + "; the window " + Span(window) + " ends here after " +
                    std::to_string(window_forwarded_) +
                    " record(s) forwarded; records it did not give are missing");
      break;
    }
    if (!page.next_url) break;
    // A service whose links loop, or that pages on without records, would hold the window (and
    // the tenant's budget) forever: the window ends here, with what it gave once.
    std::string endless;
    if (!followed.insert(std::hash<std::string>()(*page.next_url)).second) {
      endless = "its next link was already followed in this window (the paging loops)";
    } else if (pages_read > rows_read + 1) {
      endless = std::to_string(pages_read) + " pages gave only " + std::to_string(rows_read) +
                " record(s) (more pages than the records allow)";
    }
    if (!endless.empty()) {
      health_.CountError();
      logger_.Error("the service's paging does not end: " + endless + "; the window " +
                    Span(window) + " ends here after " + std::to_string(window_forwarded_) +
                    " record(s) forwarded, each once; records it did not give are missing");
      break;
    }
    url = *page.next_url;
    cursor_.next_url = url;
    SaveProgress();  // a restart resumes at the next page: at most one page is sent twice
    if (!cursor_.rereading) ReportProgress(window, false);
  }

  const bool reread = cursor_.rereading;
  if (!reread) cursor_.next_start = window.end;
  if (schedule_.enabled())
    schedule_.Record(cursor_.rereads, window, cursor_.read_at.value_or(window.end));
  cursor_.window.reset();
  cursor_.next_url.reset();
  cursor_.rows_read = 0;
  cursor_.rereading = false;
  cursor_.read_at.reset();
  if (keys_) {
    keys_->Expire(schedule_.enabled()
                      ? RereadSchedule::KeyHorizon(cursor_.rereads, cursor_.next_start)
                      : window.end - options_.lookback);
  }
  SaveProgress();
  if (window_repaired_ > 0) {
    logger_.Warning(std::to_string(window_repaired_) + " record(s) of the window " + Span(window) +
                    " held invalid UTF-8, which the intake refuses; it was replaced by U+FFFD and "
                    "the records forwarded");
    window_repaired_ = 0;
  }
  if (reread) {
    logger_.Debug("re-read " + Span(window) + " done: " + std::to_string(window_forwarded_) +
                  " record(s) forwarded in " + std::to_string(window_pages_) + " page(s)");
    Summarize(true);
  } else {
    metrics_.SetEventsLag(
        static_cast<double>(duration_cast<seconds>(clock_.Now() - window.end).count()));
    ReportProgress(window, true);
  }
  window_forwarded_ = 0;
  window_pages_ = 0;
}

void Collector::ReportProgress(const Window& window, bool window_done) {
  const sekoia::TimePoint now = clock_.Now();          // against record dates: the lag
  const sekoia::SteadyPoint steady = clock_.Steady();  // intervals: how often, how long it took
  // Inside a window, the span of the record dates read so far stands for the part of it read.
  sekoia::TimePoint position = window.end;
  if (!window_done) {
    position = window.start;
    if (window_dates_) position += window_dates_->second - window_dates_->first;
  }
  const auto lag = duration_cast<seconds>(now - options_.timedelta - position);
  const bool catching_up = lag > options_.frequency * 2;
  if (window_done && !catching_up) {
    // A line per window goes to stderr only; the platform gets the periodic summary.
    logger_.Debug("window " + Span(window) + " done: " + std::to_string(window_forwarded_) +
                  " record(s) forwarded in " + std::to_string(window_pages_) + " page(s)");
    if (!caught_up_said_) {
      last_summary_ = steady;
      // Once, when the backlog of this run is read: what it took, in time and requests.
      caught_up_said_ = true;
      logger_.Info("caught up after " +
                   HumanDuration(duration_cast<seconds>(steady - started_at_)) + ": " +
                   std::to_string(forwarded_total_) + " record(s) forwarded in " +
                   std::to_string(pages_total_) + " page request(s) since the start");
      last_progress_ = steady;
      return;
    }
    last_progress_ = steady;
    Summarize(false);
    return;
  }
  if (steady - last_progress_ < options_.progress_interval) return;
  last_progress_ = steady;
  std::string state = " done";
  if (!window_done) {
    const double read =
        sekoia::Seconds(position - window.start) / sekoia::Seconds(window.end - window.start);
    state = " in progress (about " + std::to_string(static_cast<int>(std::min(read, 1.0) * 100)) +
            "% read)";
  }
  // The estimate comes from the pace so far: data time covered per second of wall time.
  std::string eta;
  const double covered = sekoia::Seconds(position - catch_up_origin_);
  const double spent = std::chrono::duration<double>(steady - started_at_).count();
  if (covered > 0 && spent > 0)
    eta = ", about " +
          HumanDuration(seconds(static_cast<long long>(sekoia::Seconds(lag) * spent / covered))) +
          " to catch up";
  logger_.Info("catching up: window " + Span(window) + state + ", " +
               std::to_string(forwarded_total_) + " record(s) forwarded so far, " +
               HumanDuration(lag) + " behind" + eta);
}

void Collector::Summarize(bool reread) {
  if (!caught_up_said_) return;  // while catching up, the progress lines say it
  ++(reread ? summary_rereads_ : summary_windows_);
  summary_records_ += window_forwarded_;
  summary_pages_ += window_pages_;
  const sekoia::SteadyPoint steady = clock_.Steady();
  if (steady - last_summary_ < options_.summary_interval) return;
  logger_.Info("in the last " + HumanDuration(duration_cast<seconds>(steady - last_summary_)) +
               ": " + std::to_string(summary_records_) + " record(s) forwarded in " +
               std::to_string(summary_windows_) + " window(s) and " +
               std::to_string(summary_rereads_) + " re-read(s), " + std::to_string(summary_pages_) +
               " page request(s); up to date to " + FormatIso8601(cursor_.next_start));
  last_summary_ = steady;
  summary_windows_ = summary_rereads_ = summary_records_ = summary_pages_ = 0;
}

std::string Collector::ResumePoint() const {
  if (cursor_.window && cursor_.next_url) {
    return "inside the window " + Span(*cursor_.window) + ", at its stored next page (after " +
           std::to_string(cursor_.rows_read) + " row(s))";
  }
  if (cursor_.window) return "at the start of the window " + Span(*cursor_.window);
  return "at " + FormatIso8601(cursor_.next_start) + ", the next window's start";
}

void Collector::Run(const sekoia::StopSignal& stop) {
  int consecutive_failures = 0;
  bool critical_sent = false;
  std::uint64_t pages_at_last_failure = pages_total_;
  // The first of the passing failures in a row (a flag and a time rather than an optional, which
  // GCC 12 at -O2 wrongly reports as maybe uninitialized).
  bool failing = false;
  sekoia::SteadyPoint failing_since{};
  bool last_unauthorized = false;  ///< the last failed cycle ended on a 401
  std::string permanent;           ///< the permanent failure said as critical, if any
  auto succeeded = [&] {
    last_unauthorized = false;
    consecutive_failures = 0;
    critical_sent = false;
    failing = false;
    if (!permanent.empty()) logger_.Info("collection works again");
    permanent.clear();
    health_.SetPermanentFailure(false);
  };
  while (!stop.Requested()) {
    health_.Heartbeat(clock_.Now());
    try {
      const bool window_read = RunOnce(stop);
      metrics_.SetLastSuccessfulCycle(clock_.Now());
      if (window_read) {
        succeeded();
        continue;
      }
      succeeded();
      // Caught up: sleep until the next window is due. A checkpoint (or keys file) that could not
      // be written is retried meanwhile, keys first as always: once the directory is writable
      // again, a restart must not re-send what was collected in memory.
      if (!checkpoint_writable_ || !keys_writable_) SaveProgress();
      auto due = NextDue();
      auto wait = std::max<std::chrono::milliseconds>(
          duration_cast<std::chrono::milliseconds>(due - clock_.Now()),
          std::chrono::milliseconds(100));
      const std::chrono::milliseconds longest =
          checkpoint_writable_ && keys_writable_ ? std::chrono::minutes(5) : kUnsavedRetry;
      intake_.ReleaseMemory();  // a trigger rests most of its life: its batch buffers go meanwhile
      if (!clock_.Wait(std::min(wait, longest), stop)) break;
    } catch (const sekoia::StopRequested&) {
      break;
    } catch (const std::exception& error) {
      // A failed cycle that forwarded pages first made progress: a long window (a backfill can
      // hold thousands of pages) with a failure now and then is not failing "in a row", and its
      // backoff must not grow to the ceiling.
      if (pages_total_ != pages_at_last_failure) {
        consecutive_failures = 0;
        critical_sent = false;
        failing = false;
      }
      pages_at_last_failure = pages_total_;
      ++consecutive_failures;
      health_.CountError();
      const std::string what = error.what();
      FailureClass failure = ClassifyFailure(error);
      // A 401 has already been tried again with a fresh token (BearerAuthTransport); one that
      // comes back in the next cycle too is the tenant's (an application not provisioned, no
      // consent), while one alone is a token revoked at the wrong time: retried as passing.
      const auto* status = dynamic_cast<const sekoia::HttpStatusError*>(&error);
      const bool unauthorized = status != nullptr && status->status() == 401;
      if (unauthorized && !last_unauthorized) failure = FailureClass::kPassing;
      last_unauthorized = unauthorized;
      if (failure == FailureClass::kPermanent) {
        // Retrying fast cannot fix it: the platform hears of it at once, with the fix the message
        // carries, and the next try comes at the SDK's pace.
        const std::string retry =
            "; tried again every " + HumanDuration(options_.permanent_retry) + " until it is fixed";
        if (what != permanent) {
          logger_.Critical("collection cannot go on: " + what + retry);
        } else {
          logger_.Error("collection still cannot go on: " + what + retry);
        }
        permanent = what;
        health_.SetPermanentFailure(true);
        failing = false;
        if (!clock_.Wait(options_.permanent_retry, stop)) break;
        continue;
      }
      permanent.clear();
      health_.SetPermanentFailure(false);
      if (!failing) {
        failing = true;
        failing_since = clock_.Steady();
      }
      const auto failing_for = duration_cast<seconds>(clock_.Steady() - failing_since);
      // Back off, doubling up to a ceiling; the window in progress is read again from its page.
      // Jittered like every retry: triggers of many tenants that failed together (a Graph or
      // intake outage) do not all come back at the same second.
      const std::chrono::milliseconds backoff = failure_backoff_.Delay(consecutive_failures);
      const std::string line = "collection failed: " + what + "; retrying in " +
                               HumanDuration(std::chrono::ceil<seconds>(backoff));
      // A passing failure is expected now and then: an error only once it persists.
      if (failing_for >= options_.passing_error_after) {
        logger_.Error(line + " (failing for " + HumanDuration(failing_for) + ")");
      } else {
        logger_.Warning(line);
      }
      if (consecutive_failures >= options_.failures_before_critical && !critical_sent &&
          clock_.Steady() - started_at_ >= options_.startup_grace) {
        logger_.Critical("collection failed " + std::to_string(consecutive_failures) +
                         " times in a row; last error: " + what);
        critical_sent = true;
      }
      if (!clock_.Wait(backoff, stop)) break;
    }
  }
  SaveCursor();
}

}  // namespace message_trace
