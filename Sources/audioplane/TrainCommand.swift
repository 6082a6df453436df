import ArgumentParser
import AudioPlane
import Foundation
import Perceptual
import TensorCore
import Training

extension TrainingConfig.Preset: ExpressibleByArgument {}
extension TrainingConfig.Perceptual: ExpressibleByArgument {}
extension AudioPlaneConfig.AudioMode: ExpressibleByArgument {}
extension AudioPlaneConfig.Dynamism: ExpressibleByArgument {}

/// `audioplane train --data DIR --out MODEL [--preset quick|paper] [--iterations N] [--resume] [--seed S]`:
/// the two-stage talking-head training (wiring only; `TalkingHeadTrainer` does the work).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a talking head (coarse static 3DGS stage, then the audio-driven fine stage) on a dataset.",
        discussion: """
        Writes MODEL/weights.safetensors (model, canonical Gaussians, optimiser state), config.json,
        head.ply (the canonical head, standard 3DGS PLY) and log.csv (validation PSNR per interval),
        atomically at every checkpoint interval and at the end. Ctrl-C writes a checkpoint and stops;
        --resume continues it exactly where it stopped.
        """)

    @Option(name: .long, help: "Dataset folder (ER-NeRF layout, e.g. from `audioplane synth`).")
    var data: String

    @Option(name: .long, help: "Model folder to write (created).")
    var out: String

    @Option(name: .long, help: "Schedule preset: quick or paper.")
    var preset: TrainingConfig.Preset = .quick

    @Option(name: .long, help: "Fine-stage iterations (overrides the preset; with --resume, extends the run).")
    var iterations: Int?

    @Option(name: .customLong("coarse-iterations"), help: "Coarse-stage iterations (overrides the preset).")
    var coarseIterations: Int?

    @Option(name: .long, help: "Perceptual loss term: auto (LPIPS when installed, else D-SSIM), lpips or dssim.")
    var perceptual: TrainingConfig.Perceptual = .auto

    @Option(name: .long, help: "Ablation: audio planes (plane) or the audio code concatenated to tri-plane features (concat, \"w/o A\").")
    var audio: AudioPlaneConfig.AudioMode = .plane

    @Option(name: .long, help: "Ablation: dynamism weight and mask loss on, or off (\"w/o D\": d = 1).")
    var dynamism: AudioPlaneConfig.Dynamism = .on

    @Flag(name: .customLong("zero-audio"), help: "Control run: every audio window zeroed (the model cannot hear the speech).")
    var zeroAudio = false

    @Option(name: .customLong("config"), help: ArgumentHelp(
        "Override one setting of config.json, as KEY=VALUE (repeatable; dotted keys, JSON values).",
        discussion: "e.g. --config lambdaMask=0.2 --config densification.maxGaussians=20000 --config model.scales=[1,2]"))
    var overrides: [String] = []

    @Flag(name: .long, help: "Continue the run saved in --out.")
    var resume = false

    @Option(name: .long, help: "Random seed (initial Gaussians, frame order, model initialisation).")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let iterations { guard iterations >= 0 else { throw ValidationError("--iterations must be ≥ 0") } }
        if let coarseIterations { guard coarseIterations >= 0 else { throw ValidationError("--coarse-iterations must be ≥ 0") } }
        if resume && (coarseIterations != nil || zeroAudio || audio != .plane || dynamism != .on || !overrides.isEmpty) {
            throw ValidationError("--coarse-iterations, --audio, --dynamism, --zero-audio and --config cannot change a resumed run (they are in its config.json)")
        }
    }

    func run() throws {
        let dataURL = URL(fileURLWithPath: data), outURL = URL(fileURLWithPath: out)
        let trainingData = try TalkingHeadTrainingData(folder: dataURL)
        let lpips = try LPIPS.loadInstalled()
        let trainer: TalkingHeadTrainer
        if resume {
            guard FileManager.default.fileExists(atPath: TalkingHeadCheckpoint.weightsURL(outURL).path) else {
                throw ValidationError("\(TalkingHeadCheckpoint.weightsURL(outURL).path): no checkpoint to resume (run without --resume first)")
            }
            trainer = try TalkingHeadCheckpoint.resume(from: outURL, data: trainingData, lpips: lpips, fineIterations: iterations)
        } else {
            if FileManager.default.fileExists(atPath: TalkingHeadCheckpoint.weightsURL(outURL).path) {
                throw ValidationError("\(out) already holds a model; use --resume to continue it or choose another --out")
            }
            var config = TrainingConfig.preset(preset, audioChannels: trainingData.audioChannels)
            config.seed = seed
            config.perceptual = perceptual
            if let iterations { config.fineIterations = iterations }
            if let coarseIterations { config.coarseIterations = coarseIterations }
            config.model.audio = audio
            config.model.dynamism = dynamism
            config.zeroAudio = zeroAudio
            config = try config.applying(overrides: overrides)
            trainer = try TalkingHeadTrainer(config: config, data: trainingData, lpips: lpips)
        }
        trainer.showProgress = !quiet
        if lpips == nil && trainer.loss.perceptualName == "D-SSIM" && !quiet {
            logLine("train: LPIPS weights not installed (\(LPIPSInstallation.installHint)); using D-SSIM (weight \(trainer.config.lambdaDSSIM)) instead")
        }
        let reason = try withInterruptsCaught("train") { try trainer.train(output: outURL, shouldStop: interrupted) }
        if !quiet {
            for stage in trainer.timings.order {
                logLine("  " + stage.padding(toLength: 18, withPad: " ", startingAt: 0)
                        + String(format: "%8.2f ms/call  %8.1f s total", trainer.timings.meanMilliseconds(stage), trainer.timings.seconds[stage] ?? 0))
            }
        }
        let last = trainer.log.last.map { String(format: "val PSNR %.2f dB, mouth %.2f dB", $0.psnr, $0.mouthPSNR) } ?? "no validation yet"
        switch reason {
        case .interrupted:
            print("\(out): interrupted at iteration \(trainer.iteration) of \(trainer.config.totalIterations); checkpoint written (\(last)); continue with --resume")
            throw ExitCode(130)
        default:
            print("\(out): trained \(trainer.iteration) iterations, \(trainer.cloud.count) Gaussians, \(last)")
        }
    }
}
