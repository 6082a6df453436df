import ArgumentParser
import Foundation
import TensorCore

/// `audioplane splat tour`: the Gaussian-splatting engine end to end (sample scene → render → fit
/// from a random start → held-out PSNR), without any audio.
struct SplatTour: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "One-command tour: sample scene → render → fit from scratch → held-out PSNR.",
        discussion: """
        Writes OUT/scene (a 30k-Gaussian head, 20 views at --size), OUT/rendered (its held-out
        views rendered from the PLY), OUT/fitted.ply (a scene fitted from random Gaussians) and
        OUT/fitted-views (the fitted scene from the held-out cameras). Finished steps are skipped
        when the command is run again.
        """)

    @Option(help: "Output folder.")
    var out: String = "out/splat-tour"
    @Option(help: "Image size in pixels.")
    var size: Int = 256
    @Option(help: "Fitting iterations.")
    var iterations: Int = 3000
    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    func validate() throws {
        guard size >= 64, iterations > 0 else { throw ValidationError("--size must be ≥ 64 and --iterations positive") }
    }

    func run() throws {
        let root = URL(fileURLWithPath: out)
        let scene = root.appendingPathComponent("scene").path
        let start = monotonicSeconds()
        func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }
        logLine("tour 1/4: sample scene → \(scene)")
        if !exists(scene + "/transforms_val.json") {
            try SplatSample.parse(["--out", scene, "--size", "\(size)", "--seed", "\(seed)"]).run()
        }
        logLine("tour 2/4: render the held-out views from the PLY → \(out)/rendered")
        try SplatRender.parse([scene + "/scene.ply", "--transforms", scene + "/transforms_val.json",
                               "--out", out + "/rendered"]).run()
        logLine("tour 3/4: fit a scene from \(2000) random Gaussians, \(iterations) iterations → \(out)/fitted.ply")
        if !exists(out + "/fitted.ply") {
            try SplatFit.parse(["--data", scene, "--out", out + "/fitted.ply", "--iterations", "\(iterations)",
                                "--init-count", "2000", "--max-gaussians", "60000", "--seed", "\(seed)"]).run()
        }
        logLine("tour 4/4: render the fitted scene from the held-out cameras → \(out)/fitted-views")
        try SplatRender.parse([out + "/fitted.ply", "--transforms", scene + "/transforms_val.json",
                               "--out", out + "/fitted-views"]).run()
        print(String(format: "tour finished in %@: compare %@/rendered (truth) with %@/fitted-views (fitted)",
                     ProgressReporter.clock(monotonicSeconds() - start), out, out))
    }
}
