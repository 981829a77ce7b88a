#include "server/stream/attention_tracker.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace affect::stream {
namespace {

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kHourUs = 3600 * kSecondUs;

std::optional<float> Finite(std::optional<float> value) {
  if (value && std::isfinite(*value)) return value;
  return std::nullopt;
}

absl::Status OutOfRange(const char* name, double value, const char* range) {
  return absl::InvalidArgumentError(
      absl::StrFormat("attention: %s %g is outside %s", name, value, range));
}

}  // namespace

const char* DrowsinessLevelName(DrowsinessLevel level) {
  switch (level) {
    case DrowsinessLevel::kUnknown:
      return "unknown";
    case DrowsinessLevel::kAlert:
      return "alert";
    case DrowsinessLevel::kTired:
      return "tired";
    case DrowsinessLevel::kDrowsy:
      return "drowsy";
  }
  return "unknown";
}

absl::Status ValidateAttentionOptions(const AttentionOptions& o) {
  if (o.window_us < kSecondUs || o.window_us > kHourUs) {
    return OutOfRange("window_us", static_cast<double>(o.window_us), "[1 s, 1 h]");
  }
  if (o.max_sample_gap_us <= 0 || o.max_sample_gap_us > o.window_us) {
    return OutOfRange("max_sample_gap_us", static_cast<double>(o.max_sample_gap_us),
                      "(0, window_us]");
  }
  if (!(o.closed_openness >= 0.0f && o.closed_openness < 1.0f)) {
    return OutOfRange("closed_openness", o.closed_openness, "[0, 1)");
  }
  if (o.max_blink_us <= 0 || o.max_blink_us > o.window_us) {
    return OutOfRange("max_blink_us", static_cast<double>(o.max_blink_us), "(0, window_us]");
  }
  if (!(std::isfinite(o.yawn_mouth_openness) && o.yawn_mouth_openness > 0.0f)) {
    return OutOfRange("yawn_mouth_openness", o.yawn_mouth_openness, "(0, inf)");
  }
  if (o.min_yawn_us <= 0 || o.min_yawn_us > o.window_us) {
    return OutOfRange("min_yawn_us", static_cast<double>(o.min_yawn_us), "(0, window_us]");
  }
  if (!(o.nod_amplitude_degrees > 0.0f && o.nod_amplitude_degrees <= 90.0f)) {
    return OutOfRange("nod_amplitude_degrees", o.nod_amplitude_degrees, "(0, 90]");
  }
  if (o.max_nod_us <= 0 || o.max_nod_us > o.window_us) {
    return OutOfRange("max_nod_us", static_cast<double>(o.max_nod_us), "(0, window_us]");
  }
  if (o.min_observed_us <= 0 || o.min_observed_us > o.window_us) {
    return OutOfRange("min_observed_us", static_cast<double>(o.min_observed_us), "(0, window_us]");
  }
  if (!(o.tired_perclos > 0.0f && o.tired_perclos <= 1.0f)) {
    return OutOfRange("tired_perclos", o.tired_perclos, "(0, 1]");
  }
  if (!(o.drowsy_perclos >= o.tired_perclos && o.drowsy_perclos <= 1.0f)) {
    return OutOfRange("drowsy_perclos", o.drowsy_perclos, "[tired_perclos, 1]");
  }
  if (!(std::isfinite(o.tired_blinks_per_minute) && o.tired_blinks_per_minute > 0.0f)) {
    return OutOfRange("tired_blinks_per_minute", o.tired_blinks_per_minute, "(0, inf)");
  }
  if (o.tired_yawns < 1) return OutOfRange("tired_yawns", o.tired_yawns, "[1, inf)");
  if (o.drowsy_yawns < o.tired_yawns) {
    return OutOfRange("drowsy_yawns", o.drowsy_yawns, "[tired_yawns, inf)");
  }
  if (o.tired_nods < 1) return OutOfRange("tired_nods", o.tired_nods, "[1, inf)");
  if (o.drowsy_nods < o.tired_nods) {
    return OutOfRange("drowsy_nods", o.drowsy_nods, "[tired_nods, inf)");
  }
  if (o.drowsy_long_closures < 1) {
    return OutOfRange("drowsy_long_closures", o.drowsy_long_closures, "[1, inf)");
  }
  if (o.level_fall_hold_us < 0 || o.level_fall_hold_us > o.window_us) {
    return OutOfRange("level_fall_hold_us", static_cast<double>(o.level_fall_hold_us),
                      "[0, window_us]");
  }
  if (o.max_window_entries < 16) {
    return OutOfRange("max_window_entries", static_cast<double>(o.max_window_entries), "[16, inf)");
  }
  return absl::OkStatus();
}

AttentionTracker::AttentionTracker(const AttentionOptions& options) : options_(options) {}

size_t AttentionTracker::entries() const {
  return eye_runs_.size() + blinks_.size() + long_closures_.size() + yawns_.size() + nods_.size() +
         pitch_.size();
}

void AttentionTracker::AddEyeRun(int64_t start_us, int64_t end_us, bool closed) {
  if (end_us <= start_us) return;
  const int64_t length = end_us - start_us;
  runs_observed_us_ += length;
  if (closed) runs_closed_us_ += length;
  if (!eye_runs_.empty() && eye_runs_.back().end_us == start_us &&
      eye_runs_.back().closed == closed) {
    eye_runs_.back().end_us = end_us;  // one run per unchanged stretch
    return;
  }
  eye_runs_.push_back(EyeRun{start_us, end_us, closed});
  if (eye_runs_.size() > options_.max_window_entries) PopEyeRun();
}

void AttentionTracker::PopEyeRun() {
  const EyeRun& run = eye_runs_.front();
  runs_observed_us_ -= run.end_us - run.start_us;
  if (run.closed) runs_closed_us_ -= run.end_us - run.start_us;
  eye_runs_.pop_front();
}

void AttentionTracker::CreditEyes(int64_t until_us) {
  if (!last_us_ || !last_closed_) return;
  const int64_t credited = std::min(until_us - *last_us_, options_.max_sample_gap_us);
  AddEyeRun(*last_us_, *last_us_ + credited, *last_closed_);
}

void AttentionTracker::PushEpisode(std::deque<int64_t>* episodes, int64_t timestamp_us) {
  episodes->push_back(timestamp_us);
  if (episodes->size() > options_.max_window_entries) episodes->pop_front();
}

void AttentionTracker::ResetEpisodes() {
  closure_start_us_.reset();
  closure_counted_long_ = false;
  yawn_start_us_.reset();
  yawn_counted_ = false;
  pitch_.clear();
  drop_start_us_.reset();
}

void AttentionTracker::TrackEyes(int64_t now_us, std::optional<float> openness) {
  if (!openness) {
    closure_start_us_.reset();  // cannot time a closure we did not see end
    closure_counted_long_ = false;
    return;
  }
  const bool closed = std::clamp(*openness, 0.0f, 1.0f) <= options_.closed_openness;
  if (closed) {
    if (!closure_start_us_) {
      closure_start_us_ = now_us;
      closure_counted_long_ = false;
    } else if (!closure_counted_long_ && now_us - *closure_start_us_ > options_.max_blink_us) {
      PushEpisode(&long_closures_, *closure_start_us_);
      closure_counted_long_ = true;
    }
    return;
  }
  if (closure_start_us_) {
    const int64_t duration = now_us - *closure_start_us_;
    if (duration <= options_.max_blink_us) {
      PushEpisode(&blinks_, *closure_start_us_);
    } else if (!closure_counted_long_) {
      PushEpisode(&long_closures_, *closure_start_us_);
    }
    closure_start_us_.reset();
    closure_counted_long_ = false;
  }
}

void AttentionTracker::TrackYawn(int64_t now_us, std::optional<float> mouth) {
  if (!mouth || !(*mouth >= options_.yawn_mouth_openness)) {
    yawn_start_us_.reset();
    yawn_counted_ = false;
    return;
  }
  if (!yawn_start_us_) {
    yawn_start_us_ = now_us;
    yawn_counted_ = false;
  }
  if (!yawn_counted_ && now_us - *yawn_start_us_ >= options_.min_yawn_us) {
    PushEpisode(&yawns_, *yawn_start_us_);
    yawn_counted_ = true;
  }
}

void AttentionTracker::TrackNods(int64_t now_us, std::optional<float> pitch) {
  if (!pitch || std::fabs(*pitch) > 180.0f) {
    pitch_.clear();
    drop_start_us_.reset();
    return;
  }
  while (!pitch_.empty() && now_us - pitch_.front().timestamp_us > options_.max_nod_us) {
    pitch_.pop_front();
  }
  const float amplitude = options_.nod_amplitude_degrees;
  if (drop_start_us_) {
    if (now_us - *drop_start_us_ > options_.max_nod_us) {
      drop_start_us_.reset();  // the head stayed down: not a nod
    } else if (*pitch <= drop_reference_degrees_ + 0.5f * amplitude) {
      PushEpisode(&nods_, *drop_start_us_);
      drop_start_us_.reset();
      pitch_.clear();  // the next nod starts from here
    }
  } else if (!pitch_.empty()) {
    // The latest of the lowest samples: the head started to drop from there
    // (an earlier equal low would make a quick nod look slow).
    auto lowest = pitch_.begin();
    for (auto it = pitch_.begin(); it != pitch_.end(); ++it) {
      if (it->pitch_degrees <= lowest->pitch_degrees) lowest = it;
    }
    if (*pitch - lowest->pitch_degrees >= amplitude) {
      drop_start_us_ = lowest->timestamp_us;
      drop_reference_degrees_ = lowest->pitch_degrees;
    }
  }
  pitch_.push_back(PitchSample{now_us, *pitch});
  if (pitch_.size() > options_.max_window_entries) pitch_.pop_front();
}

void AttentionTracker::Evict(int64_t window_start_us) {
  while (!eye_runs_.empty() && eye_runs_.front().end_us <= window_start_us) PopEyeRun();
  for (std::deque<int64_t>* episodes : {&blinks_, &long_closures_, &yawns_, &nods_}) {
    while (!episodes->empty() && episodes->front() < window_start_us) episodes->pop_front();
  }
}

void AttentionTracker::Summarise(int64_t now_us) {
  const AttentionOptions& o = options_;
  AttentionSummary s;
  // now_us >= 0 and window_us <= 1 h: no overflow.
  s.window_start_us = std::max(first_us_, now_us - o.window_us);
  s.window_end_us = now_us;
  // The runs' totals, less the part of the oldest run before the window
  // (only the oldest can straddle its start: runs are in order and do not
  // overlap). O(1) per sample.
  int64_t observed_us = runs_observed_us_;
  int64_t closed_us = runs_closed_us_;
  if (!eye_runs_.empty() && eye_runs_.front().start_us < s.window_start_us) {
    const int64_t outside = s.window_start_us - eye_runs_.front().start_us;
    observed_us -= outside;
    if (eye_runs_.front().closed) closed_us -= outside;
  }
  s.eyes_observed_seconds = static_cast<double>(observed_us) / kSecondUs;
  s.eyes_closed_seconds = static_cast<double>(closed_us) / kSecondUs;
  s.blinks = static_cast<int>(blinks_.size());
  s.long_closures = static_cast<int>(long_closures_.size());
  s.yawns = static_cast<int>(yawns_.size());
  s.nods = static_cast<int>(nods_.size());

  std::vector<std::string> measures;
  if (observed_us >= o.min_observed_us) {
    s.perclos = static_cast<float>(static_cast<double>(closed_us) / observed_us);
    s.blinks_per_minute = static_cast<float>(s.blinks * 60.0 / s.eyes_observed_seconds);
    measures.push_back(absl::StrFormat("PERCLOS %.2f (eyes at most %.0f%% open %.1f s of %.1f s)",
                                       *s.perclos, 100.0f * o.closed_openness,
                                       s.eyes_closed_seconds, s.eyes_observed_seconds));
    measures.push_back(
        absl::StrFormat("%d blinks (%.1f per minute)", s.blinks, *s.blinks_per_minute));
  } else {
    measures.push_back(absl::StrFormat("eyes observed %.1f s of the %.1f s needed",
                                       s.eyes_observed_seconds,
                                       static_cast<double>(o.min_observed_us) / kSecondUs));
  }
  measures.push_back(absl::StrFormat("%d eye closures over %.1f s", s.long_closures,
                                     static_cast<double>(o.max_blink_us) / kSecondUs));
  measures.push_back(absl::StrFormat("%d yawns", s.yawns));
  measures.push_back(absl::StrFormat("%d nods", s.nods));

  if (s.perclos) {
    std::vector<std::string> drowsy;
    if (*s.perclos >= o.drowsy_perclos) {
      drowsy.push_back(absl::StrFormat("PERCLOS %.2f >= %.2f", *s.perclos, o.drowsy_perclos));
    }
    if (s.long_closures >= o.drowsy_long_closures) {
      drowsy.push_back(
          absl::StrFormat("%d long eye closures >= %d", s.long_closures, o.drowsy_long_closures));
    }
    if (s.nods >= o.drowsy_nods) {
      drowsy.push_back(absl::StrFormat("%d nods >= %d", s.nods, o.drowsy_nods));
    }
    if (s.yawns >= o.drowsy_yawns) {
      drowsy.push_back(absl::StrFormat("%d yawns >= %d", s.yawns, o.drowsy_yawns));
    }
    std::vector<std::string> tired;
    if (*s.perclos >= o.tired_perclos) {
      tired.push_back(absl::StrFormat("PERCLOS %.2f >= %.3f", *s.perclos, o.tired_perclos));
    }
    if (s.yawns >= o.tired_yawns) {
      tired.push_back(absl::StrFormat("%d yawns >= %d", s.yawns, o.tired_yawns));
    }
    if (s.nods >= o.tired_nods) {
      tired.push_back(absl::StrFormat("%d nods >= %d", s.nods, o.tired_nods));
    }
    if (*s.blinks_per_minute >= o.tired_blinks_per_minute) {
      tired.push_back(absl::StrFormat("%.1f blinks per minute >= %.0f", *s.blinks_per_minute,
                                      o.tired_blinks_per_minute));
    }
    if (!drowsy.empty()) {
      s.measured_level = DrowsinessLevel::kDrowsy;
      s.reasons = std::move(drowsy);
    } else if (!tired.empty()) {
      s.measured_level = DrowsinessLevel::kTired;
      s.reasons = std::move(tired);
    } else {
      s.measured_level = DrowsinessLevel::kAlert;
    }
  }
  s.evidence = absl::StrCat(
      DrowsinessLevelName(s.measured_level), " over ",
      absl::StrFormat("%.1f s", static_cast<double>(now_us - s.window_start_us) / kSecondUs),
      s.reasons.empty() ? "" : ": ", absl::StrJoin(s.reasons, ", "), " (",
      absl::StrJoin(measures, "; "), ")");
  summary_ = std::move(s);
}

void AttentionTracker::ReportLevel(int64_t now_us, std::optional<DrowsinessChange>* change) {
  const DrowsinessLevel measured = summary_.measured_level;
  if (measured == DrowsinessLevel::kUnknown) {
    fall_since_us_.reset();  // nothing to judge by: no event, no fall
    summary_.level = DrowsinessLevel::kUnknown;
    return;
  }
  std::optional<DrowsinessChange> event;
  if (reported_ == DrowsinessLevel::kUnknown) {
    reported_ = measured;  // a first reading, not a change
  } else if (measured > reported_) {
    event = DrowsinessChange{now_us, reported_, measured, summary_.evidence};
    reported_ = measured;  // warnings do not wait
    fall_since_us_.reset();
  } else if (measured < reported_) {
    if (!fall_since_us_) {
      fall_since_us_ = now_us;
      fall_to_ = measured;
    } else {
      fall_to_ = std::max(fall_to_, measured);  // the highest level of the stretch
    }
    if (now_us - *fall_since_us_ >= options_.level_fall_hold_us) {
      event = DrowsinessChange{*fall_since_us_, reported_, fall_to_, summary_.evidence};
      reported_ = fall_to_;
      fall_since_us_.reset();
    }
  } else {
    fall_since_us_.reset();
  }
  summary_.level = reported_;
  if (event && change != nullptr) *change = std::move(event);
}

absl::Status AttentionTracker::Add(const AttentionSample& sample,
                                   std::optional<DrowsinessChange>* change) {
  if (change != nullptr) change->reset();
  const int64_t now = sample.timestamp_us;
  if (now < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("attention: timestamp %d us is negative", now));
  }
  if (last_us_ && now <= *last_us_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "attention: timestamp %d us is not after the previous sample's %d us", now, *last_us_));
  }
  if (!last_us_) first_us_ = now;

  CreditEyes(now);
  if (last_us_ && now - *last_us_ > options_.max_sample_gap_us) ResetEpisodes();

  const std::optional<float> eyes = Finite(sample.eye_openness);
  TrackEyes(now, eyes);
  TrackYawn(now, Finite(sample.mouth_openness));
  TrackNods(now, Finite(sample.pitch_degrees));

  last_us_ = now;
  last_closed_.reset();
  if (eyes) last_closed_ = std::clamp(*eyes, 0.0f, 1.0f) <= options_.closed_openness;

  Evict(now - options_.window_us);
  Summarise(now);

  ReportLevel(now, change);
  return absl::OkStatus();
}

}  // namespace affect::stream
