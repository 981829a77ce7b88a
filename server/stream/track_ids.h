// Where a stream's track ids start. Each stream starts at a random id so
// that a track id is meaningless outside its stream: the same person in two
// streams (or two calls of one caller) gets unrelated ids, and an id does not
// reveal how many people earlier streams saw. Nothing else links people
// across streams: the server keeps no embeddings and does no recognition.
#ifndef AFFECT_SERVER_STREAM_TRACK_IDS_H_
#define AFFECT_SERVER_STREAM_TRACK_IDS_H_

#include <cstdint>

namespace affect::stream {

// Uniform in [1, kMaxFirstTrackId] (face_tracker.h), from a process-wide
// random generator. Thread-safe.
uint64_t RandomFirstTrackId();

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_TRACK_IDS_H_
