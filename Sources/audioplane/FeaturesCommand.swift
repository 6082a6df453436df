import ArgumentParser
import AudioFeatures
import DataIO
import Foundation

/// `audioplane features --audio FILE --out feats.npy`: speech features `[N, 16, C]` (float32 npy, the
/// layout of ER-NeRF's `aud_ds.npy`) for any audio or video file. `--bench` times the audio front end
/// on 60 s of synthetic audio instead.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute per-video-frame speech features [N, 16, 32] (log-mel, 50 Hz, 25 fps windows) as .npy.",
        discussion: """
        N = ceil(25 × duration) video frames; row i holds 16 log-mel frames centred on frame i's \
        timestamp (i × 40 ms), zero-padded at the ends. Any file ffmpeg can read works; wav is read natively.
        """)

    @Option(name: .long, help: "Input audio or video file (wav, mp3, m4a, mp4, ...).")
    var audio: String?

    @Option(name: .long, help: "Output .npy file (float32, shape [N, 16, 32]).")
    var out: String?

    @Flag(name: .long, help: "Time the audio front end on 60 s of synthetic audio and print the numbers.")
    var bench = false

    @Option(name: .long, help: "With --bench: seconds of audio to time.")
    var benchSeconds: Double = 60

    func validate() throws {
        if bench { return }
        guard audio != nil else { throw ValidationError("missing --audio FILE") }
        guard out != nil else { throw ValidationError("missing --out FILE.npy") }
        guard benchSeconds > 0 else { throw ValidationError("--bench-seconds must be positive") }
    }

    func run() throws {
        if bench {
            print(try AudioFeatureBenchmark.run(seconds: benchSeconds))
            return
        }
        let input = URL(fileURLWithPath: audio!), output = URL(fileURLWithPath: out!)
        let decoded = try AudioDecoder.decode(input)
        let features = try FeatureExtractor().features(decoded.samples)
        try Npy.write(features, to: output)
        print("\(output.path): [\(features.shape.map(String.init).joined(separator: ", "))] float32 for \(String(format: "%.2f", decoded.duration)) s of audio (\(decoded.route.rawValue))")
    }
}
