import AudioPlane
import DataIO
import Foundation
import Splatting

/// Every hyper-parameter of the two-stage talking-head training (paper §3.5, §4.1; DESIGN.md §3
/// "Training"). `Codable`: the model directory's `config.json` stores it, with the dataset it
/// was trained on (`dataset`).
///
/// Iterations are counted globally: 1 … `coarseIterations` is the coarse stage (canonical
/// Gaussians only, L1 + λ_LPIPS·LPIPS), then `fineIterations` of the fine stage (Audio-Plane
/// deformation, + λ_mask·L_mask).
public struct TrainingConfig: Codable, Equatable, Sendable {
    public enum Preset: String, Codable, Sendable, CaseIterable { case quick, paper }
    /// Which perceptual term: LPIPS on crops (`lpips`), 3DGS's D-SSIM on the full frame (`dssim`),
    /// or LPIPS when its weights are installed and D-SSIM otherwise (`auto`; the log says which).
    public enum Perceptual: String, Codable, Sendable, CaseIterable { case auto, lpips, dssim }

    /// Where the data came from (filled in by the trainer; checked on `--resume`).
    public struct DatasetInfo: Codable, Equatable, Sendable {
        public var path: String
        /// `aud_<kind>.npy` used, and C of its `[N, 16, C]` windows.
        public var featureKind: AudioFeatureKind
        public var audioChannels: Int
        public var width: Int
        public var height: Int
        public var trainFrames: Int
        public var valFrames: Int
        /// How the head box was obtained (`synth.json`, or "landmarks + cameras").
        public var headBoxSource: String
    }

    public var preset: Preset
    public var seed: UInt64 = 0
    /// The Audio-Plane model; `audioChannels` is replaced by the dataset's C.
    public var model: AudioPlaneConfig
    /// Head box (dataset's head frame, metres); nil until the trainer derives it from the data.
    public var headBox: HeadBox?
    public var dataset: DatasetInfo?

    // Coarse stage.
    public var initialGaussians = 1_000
    public var coarseIterations = 3_000
    // Fine stage.
    public var fineIterations = 100_000
    /// SH degree of the canonical Gaussians; the active degree rises by one every `shDegreeInterval`.
    public var shDegree = 2
    public var shDegreeInterval = 1_000

    // Losses: L1 + λ_LPIPS·(LPIPS(mouth crop) + LPIPS(random patch)) [+ λ_mask·L_mask in the fine stage];
    // with D-SSIM: (1 − λ_DSSIM)·L1 + λ_DSSIM·(1 − SSIM) on the full frame (3DGS).
    public var perceptual: Perceptual = .auto
    public var lambdaLPIPS: Float = 0.05
    public var lambdaDSSIM: Float = 0.2
    public var lambdaMask: Float = 0.1
    /// Extra L1 on the lips rectangle (mean over its pixels), as ER-NeRF's lip emphasis: the
    /// mouth is ~2% of the frame, so the full-frame L1 barely asks the shared networks for it.
    public var lambdaMouthL1: Float = 0
    /// Side of the LPIPS crops in pixels (clamped to the image; at least `LPIPS.minimumSize`).
    public var lpipsPatchSize = 64
    /// The control of the acceptance test: train (and validate) with every audio window zeroed,
    /// so the model cannot use speech (same schedule otherwise).
    public var zeroAudio = false

    // Learning rates.
    public var gaussianRates = GaussianLearningRates()
    /// Audio-Plane grids (planes, lines, prototypes) and networks (encoder, attention, D1, D2),
    /// both decaying exponentially to `× networkDecay` over the fine stage (4DGaussians).
    public var gridLearningRate: Float = 1.6e-3
    public var networkLearningRate: Float = 1.6e-4
    public var networkDecay: Float = 0.1

    /// Adaptive density control; iteration fields are global iterations. `maxGaussians` is the cap.
    public var densification: DensificationSettings
    /// Opacity resets (every `densification.opacityResetInterval`) happen only up to this global
    /// iteration (3DGS resets until densification stops; `quick` only within the coarse stage).
    public var opacityResetStop = 50_000

    // Validation, logging, checkpoints.
    public var validationInterval = 1_000
    /// At most this many val frames (evenly spaced) per validation.
    public var validationFrames = 20
    public var checkpointInterval = 2_000

    public var totalIterations: Int { coarseIterations + fineIterations }

    /// The paper's schedule (§4.1): 1,000 random Gaussians, 3,000 coarse and 100,000 fine
    /// iterations, 3DGS densification from 500 to 50,000 every 100, capped at 100,000 Gaussians.
    public static func paper(audioChannels: Int = 1) -> TrainingConfig {
        var c = TrainingConfig(preset: .paper, model: AudioPlaneConfig(audioChannels: audioChannels), densification: DensificationSettings())
        c.densification.startIteration = 500
        c.densification.stopIteration = 50_000
        c.densification.interval = 100
        c.densification.opacityResetInterval = 3_000
        c.densification.maxGaussians = 100_000
        return c
    }

    /// A short schedule for the synthetic speaker (DESIGN.md §4) that aims at ~10 minutes on the
    /// development machine at 256×256 (~70 ms per fine iteration at 15,000 Gaussians): 1,000
    /// coarse and 8,000 fine iterations, densification from 200 to 2,500 every 100, no opacity
    /// reset (a short run has no time to recover from one), at most 15,000 Gaussians, and an
    /// extra L1 on the lips rectangle (λ 1): with 100× fewer iterations than the paper the mouth
    /// needs the emphasis to learn lip sync (measured: +1.7 dB mouth PSNR at 3,000 fine iterations).
    public static func quick(audioChannels: Int = 1) -> TrainingConfig {
        var c = TrainingConfig(preset: .quick, model: AudioPlaneConfig(audioChannels: audioChannels), densification: DensificationSettings())
        c.coarseIterations = 1_000
        c.fineIterations = 8_000
        c.shDegreeInterval = 300
        c.lambdaMouthL1 = 1
        c.densification.startIteration = 200
        c.densification.stopIteration = 2_500
        c.densification.interval = 100
        c.densification.opacityResetInterval = 600
        c.densification.maxGaussians = 15_000
        c.opacityResetStop = 0
        c.validationInterval = 1_000
        c.checkpointInterval = 1_000
        return c
    }

    public static func preset(_ p: Preset, audioChannels: Int = 1) -> TrainingConfig {
        p == .paper ? paper(audioChannels: audioChannels) : quick(audioChannels: audioChannels)
    }

    /// Checks values the trainer relies on; throws `TrainingError.invalidConfig`.
    public func validate() throws {
        func fail(_ m: String) -> TrainingError { .invalidConfig(m) }
        guard initialGaussians > 0 else { throw fail("initialGaussians must be positive") }
        guard coarseIterations >= 0, fineIterations >= 0 else { throw fail("iteration counts must be ≥ 0") }
        guard (0...3).contains(shDegree) else { throw fail("shDegree must be 0…3") }
        guard validationInterval > 0, checkpointInterval > 0, shDegreeInterval > 0, validationFrames > 0 else {
            throw fail("validationInterval, validationFrames, checkpointInterval and shDegreeInterval must be positive")
        }
        guard lambdaMouthL1 >= 0, lambdaMask >= 0, lambdaLPIPS >= 0 else { throw fail("loss weights must be ≥ 0") }
        guard densification.interval > 0, densification.maxGaussians >= initialGaussians else {
            throw fail("densification interval must be positive and maxGaussians ≥ initialGaussians")
        }
        guard lambdaDSSIM >= 0 && lambdaDSSIM <= 1 else { throw fail("lambdaDSSIM must be in [0, 1]") }
        try model.validate()
    }
}

extension TrainingConfig {
    /// Decodes a `config.json`: `preset` and `model` are required; every other field missing from
    /// the file keeps the preset's value (configs written by an older version stay readable).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let preset = try c.decode(Preset.self, forKey: .preset)
        let model = try c.decode(AudioPlaneConfig.self, forKey: .model)
        self = TrainingConfig.preset(preset, audioChannels: model.audioChannels)
        self.model = model
        func take<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        try take(.seed, &self.seed)
        try take(.headBox, &self.headBox)
        try take(.dataset, &self.dataset)
        try take(.initialGaussians, &self.initialGaussians)
        try take(.coarseIterations, &self.coarseIterations)
        try take(.fineIterations, &self.fineIterations)
        try take(.shDegree, &self.shDegree)
        try take(.shDegreeInterval, &self.shDegreeInterval)
        try take(.perceptual, &self.perceptual)
        try take(.lambdaLPIPS, &self.lambdaLPIPS)
        try take(.lambdaDSSIM, &self.lambdaDSSIM)
        try take(.lambdaMask, &self.lambdaMask)
        // Added after the first models were written: a config without it trained without it.
        self.lambdaMouthL1 = try c.decodeIfPresent(Float.self, forKey: .lambdaMouthL1) ?? 0
        try take(.lpipsPatchSize, &self.lpipsPatchSize)
        try take(.zeroAudio, &self.zeroAudio)
        try take(.gaussianRates, &self.gaussianRates)
        try take(.gridLearningRate, &self.gridLearningRate)
        try take(.networkLearningRate, &self.networkLearningRate)
        try take(.networkDecay, &self.networkDecay)
        try take(.densification, &self.densification)
        try take(.opacityResetStop, &self.opacityResetStop)
        try take(.validationInterval, &self.validationInterval)
        try take(.validationFrames, &self.validationFrames)
        try take(.checkpointInterval, &self.checkpointInterval)
    }
}

/// Errors of training; each `description` is one line naming the file or value at fault.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case datasetInvalid(String)
    case featureChannelMismatch(model: Int, dataset: Int, path: String)
    case corruptCheckpoint(String)
    case modelMissing(String)
    case nonFiniteLoss(iteration: Int, checkpoint: String)
    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid training config: \(m)"
        case .datasetInvalid(let m): return m
        case .featureChannelMismatch(let m, let d, let p):
            return "\(p): the dataset's audio features have \(d) channels but the model being resumed was trained with \(m)"
        case .corruptCheckpoint(let m): return "corrupt checkpoint: \(m)"
        case .modelMissing(let path): return "\(path): no such model directory (train one with `audioplane train`)"
        case .nonFiniteLoss(let it, let ckpt):
            return "the loss or the parameters became NaN/inf at iteration \(it); training stopped, last good checkpoint kept at \(ckpt)"
        }
    }
}
