import AudioFeatures
import Foundation

/// The speech of a synthetic recording: 16 kHz samples of exactly `frameCount · 640` samples
/// (so aud.wav lasts exactly frameCount / 25 s) and the phoneme timeline tiling it.
public struct SpeechTrack: Sendable {
    public var samples: [Float]
    public var phonemes: [PhonemeEvent]
    public var sentences: [String]
    public var frameCount: Int
    public static let samplesPerFrame = 640  // 16 kHz / 25 fps

    /// Speaks `text` (when given) or random sentences from `SentenceGenerator(seed: textSeed)`.
    /// `seconds` fixes the length (speech is cut, with a 20 ms fade, or padded with silence);
    /// nil uses the length of `text`'s speech. Sentences are separated by 0.25–0.6 s pauses.
    public init(text: String?, seconds: Double?, textSeed: UInt64, voice: String, wordsPerMinute: Int) throws {
        let options = SpeechSynthesizer.Options(voice: voice, wordsPerMinute: wordsPerMinute)
        var samples: [Float] = []
        var events: [PhonemeEvent] = []
        var sentences: [String] = []
        var target = seconds.map { max(1, Int(($0 * 25).rounded())) * Self.samplesPerFrame }
        /// Appends speech, padded to a whole millisecond so event times stay exact integers.
        func append(_ speech: SynthesizedSpeech) {
            let offsetMs = samples.count / 16
            var chunk = speech.samples
            let padded = (chunk.count + 15) / 16 * 16
            chunk += [Float](repeating: 0, count: padded - chunk.count)
            var shifted = speech.phonemes.map { PhonemeEvent(phoneme: $0.phoneme, startMs: $0.startMs + offsetMs, endMs: $0.endMs + offsetMs) }
            if !shifted.isEmpty { shifted[shifted.count - 1].endMs = offsetMs + padded / 16 }
            samples += chunk
            events += shifted
        }
        func appendSilence(_ ms: Int) {
            guard ms > 0 else { return }
            events.append(PhonemeEvent(phoneme: "_", startMs: samples.count / 16, endMs: samples.count / 16 + ms))
            samples += [Float](repeating: 0, count: 16 * ms)
        }
        if let text {
            let speech = try SpeechSynthesizer.synthesize(text, options: options)
            append(speech)
            sentences = [text]
            if target == nil { target = (samples.count + Self.samplesPerFrame - 1) / Self.samplesPerFrame * Self.samplesPerFrame }
        } else {
            var generator = SentenceGenerator(seed: textSeed)
            let goal = target!
            appendSilence(Int(generator.pause() * 1000))
            while samples.count < goal {
                let sentence = generator.sentence()
                append(try SpeechSynthesizer.synthesize(sentence, options: options))
                sentences.append(sentence)
                appendSilence(Int(generator.pause() * 1000))
            }
        }
        let total = target!
        if samples.count > total {
            samples.removeLast(samples.count - total)
            let fade = min(320, total)
            for i in 0..<fade { samples[total - fade + i] *= Float(fade - i) / Float(fade) }
        } else if samples.count < total {
            appendSilence((total - samples.count) / 16)
            samples += [Float](repeating: 0, count: total - samples.count)
        }
        let durationMs = total / 16
        events = events.filter { $0.startMs < durationMs }.map {
            PhonemeEvent(phoneme: $0.phoneme, startMs: $0.startMs, endMs: min($0.endMs, durationMs))
        }
        if let last = events.last, last.endMs < durationMs { events.append(PhonemeEvent(phoneme: "_", startMs: last.endMs, endMs: durationMs)) }
        self.samples = samples
        self.phonemes = events
        self.sentences = sentences
        self.frameCount = total / Self.samplesPerFrame
    }

    /// `phonemes.json`: the same layout as `audioplane say --phonemes` writes
    /// (`{"durationMs", "phonemes": [{"endMs", "phoneme", "startMs"}], "sampleRate", "voice"}`).
    public func phonemeJSON(voice: String) throws -> Data {
        struct File: Codable { var voice: String; var sampleRate: Int; var durationMs: Int; var phonemes: [PhonemeEvent] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(File(voice: voice, sampleRate: 16_000, durationMs: samples.count / 16, phonemes: phonemes))
    }
}
