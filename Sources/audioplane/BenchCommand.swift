import ArgumentParser
import AudioFeatures
import AudioPlane
import Foundation
import Perceptual
import Splatting
import TensorCore

/// `audioplane bench`: per-stage timings of every engine, each saying what exactly it times.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Per-stage timings (release build; run on an otherwise idle machine).",
        discussion: """
        Stages: splat (30k-Gaussian head at 512×512: projection, sort/binning, blend, backward,
        reference comparison), audio (60 s of speech features, batch and streaming), lpips
        (512×512 forward, 128×128 forward+backward, GEMM rate), model (Audio-Plane model forward and
        backward stages for 30k Gaussians). Times are medians of repeats.
        """)

    enum Stage: String, ExpressibleByArgument, CaseIterable { case splat, audio, lpips, model }

    @Option(parsing: .upToNextOption, help: "Stages to run (default: all): splat audio lpips model.")
    var only: [Stage] = []
    @Option(help: "Gaussians in the splatting scene.")
    var gaussians: Int = 30_000
    @Option(help: "Repeats per measurement.")
    var repeats: Int = 15
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard gaussians > 0, repeats > 0 else { throw ValidationError("--gaussians and --repeats must be positive") }
    }

    func run() throws {
        try threadOptions.apply()
        let stages = only.isEmpty ? Stage.allCases : only
        print("machine: \(machineDescription())")
        #if DEBUG
        print("warning: this is a debug build; numbers are meaningless (use ./run bench)")
        #endif
        for stage in stages {
            switch stage {
            case .splat: print(SplatBenchmark.run(gaussians: gaussians, repeats: repeats))
            case .audio: print(try AudioFeatureBenchmark.run())
            case .lpips: print(LPIPSBenchmark.run())
            case .model: print(try AudioPlaneBenchmark.run())
            }
        }
    }
}

/// CPU model and core count, for benchmark reports.
func machineDescription() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) logical cores, \(ThreadSettings.threadCount) threads"
}
