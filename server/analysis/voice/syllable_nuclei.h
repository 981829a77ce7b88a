// A speaking-rate proxy: syllable nuclei found as peaks of the energy
// envelope, after de Jong and Wempe ("Praat script to detect syllable nuclei
// and measure speech rate automatically", Behavior Research Methods 2009).
//
// On the per-frame energy contour (dB, 10 ms hop), smoothed with a
// [1/4, 1/2, 1/4] kernel, a nucleus is a local maximum that
//   - lies in a speech frame with a pitch (syllable nuclei are vowels,
//     which are voiced);
//   - is at least as loud as the median energy of the speech frames (weak
//     bumps in consonants and pauses do not count);
//   - is separated from the previous nucleus by a dip of at least
//     min_dip_db below both peaks, or by non-speech frames; otherwise the two
//     maxima are one nucleus (the louder is kept).
// The rate is nuclei per second of speech (speech frames x 10 ms); it is
// left unset below min_speech_seconds of speech, where one syllable more or
// less changes it too much to mean anything.
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_SYLLABLE_NUCLEI_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_SYLLABLE_NUCLEI_H_

#include <vector>

#include "absl/types/span.h"

namespace affect {

struct SyllableNucleiOptions {
  float min_dip_db = 2.0f;
  float min_speech_seconds = 0.5f;
};

// Frame indices of the nuclei, in time order. The three spans have one
// entry per frame. REQUIRES: equal sizes.
std::vector<int> FindSyllableNuclei(absl::Span<const float> energy_db,
                                    const std::vector<bool>& speech,
                                    const std::vector<bool>& voiced,
                                    const SyllableNucleiOptions& options);

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_SYLLABLE_NUCLEI_H_
