import ArgumentParser
import AudioFeatures
import DataIO
import Foundation

/// `audioplane say --text "..." [--voice en-us] --out speech.wav [--phonemes phonemes.json]`:
/// text to 16 kHz 16-bit mono speech through espeak-ng, optionally with its phoneme timeline.
struct SayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "say",
        abstract: "Speak text with espeak-ng into a 16 kHz wav, optionally writing phoneme timings as JSON.")

    @Option(name: .long, help: "Text to speak.")
    var text: String

    @Option(name: .long, help: "espeak-ng voice (en-us, de, fr, cmn-latn-pinyin, ...; `espeak-ng --voices` lists all).")
    var voice: String = "en-us"

    @Option(name: .long, help: "Speaking rate in words per minute (80-450).")
    var rate: Int = 175

    @Option(name: .long, help: "Output wav file (16 kHz, 16-bit, mono).")
    var out: String

    @Option(name: .long, help: "Also write the phoneme events as JSON: {voice, sampleRate, durationMs, phonemes: [{phoneme, startMs, endMs}]}.")
    var phonemes: String?

    func validate() throws {
        guard (80...450).contains(rate) else { throw ValidationError("--rate must be between 80 and 450 words per minute") }
    }

    func run() throws {
        let speech = try SpeechSynthesizer.synthesize(text, options: .init(voice: voice, wordsPerMinute: rate))
        let wavURL = URL(fileURLWithPath: out)
        try WavFile.write16BitMono(speech.samples, sampleRate: speech.sampleRate, to: wavURL)
        if let phonemes {
            try writeAtomically(try speech.phonemeJSON(), to: URL(fileURLWithPath: phonemes))
        }
        print("\(wavURL.path): \(speech.durationMs) ms of speech, \(speech.phonemes.count) phonemes (voice \(voice))")
    }
}
