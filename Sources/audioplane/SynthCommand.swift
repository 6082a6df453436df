import ArgumentParser
import Foundation
import SyntheticSpeaker
import TensorCore

/// `audioplane synth --out DIR [--seconds S] [--size 512] [--voice en-us] [--identity-seed N]
/// [--text-seed M | --text-file F]`: the built-in synthetic speaker as an ER-NeRF-layout dataset.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate a talking-head dataset of the built-in synthetic speaker (ER-NeRF layout + ground truth).",
        discussion: """
        Same --identity-seed with another --text-seed gives a held-out recording of the same person
        saying new sentences. Writes transforms_{train,val}.json, ori_imgs/, gt_imgs/, parsing/,
        torso_imgs/, bc.jpg, aud.wav, aud_ap.npy and the generator's ground truth: mouth.npy [N,4]
        (jaw_open, lip_spread, lip_round, lip_press), blink.npy [N], phonemes.json, synth.json.
        """)

    @Option(name: .long, help: "Output dataset folder (created).")
    var out: String

    @Option(name: .long, help: "Length in seconds (default 60; with --text-file, the text's length).")
    var seconds: Double?

    @Option(name: .long, help: "Image width = height in pixels.")
    var size: Int = 512

    @Option(name: .long, help: "espeak-ng voice (en-us, en-gb, de, fr, ...).")
    var voice: String = "en-us"

    @Option(name: .customLong("identity-seed"), help: "Seed of the person (face, colours, background).")
    var identitySeed: UInt64 = 1

    @Option(name: .customLong("text-seed"), help: "Seed of the random sentences, head motion and blinks.")
    var textSeed: UInt64?

    @Option(name: .customLong("text-file"), help: "Speak this UTF-8 text file instead of random sentences.")
    var textFile: String?

    @Option(name: .long, help: "Speaking rate in words per minute (80-450).")
    var rate: Int = 160

    @Option(name: .long, help: "Gaussian-count scale of the head and torso (1 = full detail; smaller is faster and coarser).")
    var detail: Float = 1

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard (16...4096).contains(size) else { throw ValidationError("--size must be between 16 and 4096 pixels") }
        if let seconds { guard seconds > 0 && seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") } }
        guard textSeed == nil || textFile == nil else { throw ValidationError("use either --text-seed or --text-file, not both") }
        guard detail > 0 && detail <= 4 else { throw ValidationError("--detail must be in (0, 4]") }
        guard (80...450).contains(rate) else { throw ValidationError("--rate must be between 80 and 450 words per minute") }
    }

    func run() throws {
        var text: String?
        if let textFile {
            guard let data = FileManager.default.contents(atPath: textFile) else {
                throw ValidationError("\(textFile): cannot read the text file (missing or no permission)")
            }
            text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !(text ?? "").isEmpty else { throw ValidationError("\(textFile): the text file is empty") }
        }
        let settings = SynthSettings(seconds: seconds ?? (text == nil ? 60 : nil), size: size, voice: voice,
                                     identitySeed: identitySeed, textSeed: textSeed ?? 1, text: text, wordsPerMinute: rate, detail: detail)
        let report = try SyntheticDataset.generate(settings, to: URL(fileURLWithPath: out), quiet: quiet)
        if !quiet {
            for stage in report.timings.order {
                logLine("  " + stage.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%8.2f s", report.timings.seconds[stage] ?? 0))
            }
        }
        print(String(format: "%@: %d frames (%.1f s at 25 fps), %d×%d, %d head Gaussians, generated in %.1f s (%.1f frames/s)",
                     out, report.frames, report.seconds, size, size, report.gaussians, report.wallSeconds,
                     Double(report.frames) / max(report.wallSeconds, 1e-9)))
    }
}
