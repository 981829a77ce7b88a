// When a fused reading (affect_fusion.h) is too weakly supported to act on,
// and the sentence that says so in its explanation.
//
// Weak when confidence < FusionOptions::weak_evidence_confidence. The
// sentence names every reason that applies, from the same numbers the
// confidence is built from:
//   - few frames:     the smoothed scores rest on under half the smoothing
//                     window (face reliability r_f < 0.5);
//   - close scores:   the dominant class leads the next by less than 0.2;
//   - cues disagree:  face and voice arousal differ by 0.5 or more;
//   - face only:      no usable voice to back the face.
// e.g. " Weak evidence (confidence 0.31 < 0.40: seen in 3 of 15 smoothing
// frames; happy leads the next class by 0.06): do not act on this reading
// alone."
//
// Pure functions, thread-safe.
#ifndef AFFECT_SERVER_STREAM_WEAK_EVIDENCE_H_
#define AFFECT_SERVER_STREAM_WEAK_EVIDENCE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affect::stream {

struct EvidenceStrength {
  float confidence = 0.0f;
  // The fusion's threshold.
  float weak_below = 0.4f;
  int smoothing_frames = 0;
  int window_frames = 1;
  // Dominant class name and its lead over the next class.
  absl::string_view dominant;
  float margin = 0.0f;
  bool voice_used = false;
  // |face arousal - voice arousal| when the voice was used.
  float arousal_disagreement = 0.0f;
};

bool IsWeakEvidence(const EvidenceStrength& evidence);

// The sentence above (starting with a space), or "" when not weak.
std::string WeakEvidenceSentence(const EvidenceStrength& evidence);

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_WEAK_EVIDENCE_H_
