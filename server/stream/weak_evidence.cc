#include "server/stream/weak_evidence.h"

#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace affect::stream {

bool IsWeakEvidence(const EvidenceStrength& evidence) {
  return evidence.confidence < evidence.weak_below;
}

std::string WeakEvidenceSentence(const EvidenceStrength& e) {
  if (!IsWeakEvidence(e)) return "";
  std::vector<std::string> reasons;
  if (2 * e.smoothing_frames < e.window_frames) {
    reasons.push_back(absl::StrFormat("seen in %d of %d smoothing frames", e.smoothing_frames,
                                      e.window_frames));
  }
  if (e.margin < 0.2f) {
    reasons.push_back(
        absl::StrFormat("%s leads the next class by %.2f", std::string(e.dominant), e.margin));
  }
  if (e.voice_used && e.arousal_disagreement >= 0.5f) {
    reasons.push_back(
        absl::StrFormat("face and voice arousal differ by %.2f", e.arousal_disagreement));
  }
  if (!e.voice_used) reasons.push_back("no voice to back the face");
  return absl::StrFormat(" Weak evidence (confidence %.2f < %.2f: %s): do not act on this "
                         "reading alone.",
                         e.confidence, e.weak_below, absl::StrJoin(reasons, "; "));
}

}  // namespace affect::stream
