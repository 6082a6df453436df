import AudioPlane
import DataIO
import Foundation
import NeuralNet
import Perceptual
import Splatting
import TensorCore

/// The two-stage training of the talking head (paper §3.5 and §4.1, DESIGN.md §3 "Training").
///
/// - Coarse (global iterations 1 … `coarseIterations`): the canonical Gaussians G alone, rendered
///   over each frame's background, loss L1 + λ_LPIPS·LPIPS (or the D-SSIM stand-in), 3DGS Adam
///   groups, SH degree ramp and densification.
/// - Fine (the next `fineIterations`): G' = G + d·ΔG from the Audio-Plane model for the frame's
///   audio window; the dynamism d is splatted as one extra channel and L_mask (× λ_mask) is added;
///   grids and networks get their own Adam (1.6e-3 / 1.6e-4, decaying × 0.1 over the fine stage).
///
/// Deterministic given `config.seed`: every random choice of iteration t (training frame, LPIPS
/// patch, densification samples) comes from `SeededRandom(seed: iterationSeed(seed, t))`, so no
/// random-generator state needs saving and `--resume` is bit-for-bit.
public final class TalkingHeadTrainer {
    public internal(set) var config: TrainingConfig
    public let data: TalkingHeadTrainingData
    /// The canonical head G (dataset head frame).
    public internal(set) var cloud: GaussianCloud
    public internal(set) var model: AudioPlaneModel
    /// Last finished global iteration (0 before training).
    public internal(set) var iteration = 0
    /// Validation rows so far (also `log.csv`).
    public internal(set) var log: [TrainingLogRow] = []
    public let loss: TalkingHeadLoss
    /// 3DGS scene radius used for the position learning rate and densification: 1.1 × half the
    /// head box diagonal.
    public let sceneExtent: Float
    public var timings = StageTimings()
    /// Progress lines on stderr (`ProgressReporter`); false in tests.
    public var showProgress = true

    let gaussianAdam = Adam()
    let networkAdam = Adam()
    var statistics: DensificationStatistics
    var modelGradients: AudioPlaneModel
    let renderer = SplatRenderer()
    /// Loss sums since the last validation row (for the log's mean train loss).
    var lossSum = 0.0, lossCount = 0
    var startTime = monotonicSeconds()

    /// A fresh run: `config`'s dataset fields, head box and audio channel count are filled in
    /// from `data`; the canonical cloud is `initialGaussians` random Gaussians in the head box.
    public init(config base: TrainingConfig, data: TalkingHeadTrainingData, lpips: LPIPS?) throws {
        var config = base
        config.model.audioChannels = data.audioChannels
        config.headBox = base.headBox ?? data.headBox   // a resumed model keeps its own box
        let d = data.dataset
        config.dataset = .init(path: data.folder.path, featureKind: d.featureKind, audioChannels: data.audioChannels,
                               width: d.width, height: d.height, trainFrames: data.trainIndices.count,
                               valFrames: data.valIndices.count, headBoxSource: data.headBoxSource)
        try config.validate()
        if config.perceptual == .dssim || d.width < LPIPS.minimumSize || d.height < LPIPS.minimumSize {
            self.loss = TalkingHeadLoss(config: config, lpips: nil)
        } else {
            if config.perceptual == .lpips && lpips == nil {
                throw TrainingError.invalidConfig("perceptual: lpips, but the LPIPS weights are not installed (\(LPIPSInstallation.installHint))")
            }
            self.loss = TalkingHeadLoss(config: config, lpips: lpips)
        }
        self.config = config
        self.data = data
        var rng = SeededRandom(seed: Self.iterationSeed(config.seed, 0))
        cloud = TalkingHeadTrainingData.randomCloud(count: config.initialGaussians, box: config.headBox!, shDegree: config.shDegree, rng: &rng)
        var modelConfig = config.model
        modelConfig.seed = config.seed &+ 1
        model = try AudioPlaneModel(config: modelConfig, headBox: config.headBox!)
        self.config.model = modelConfig
        modelGradients = model.zerosLike()
        statistics = DensificationStatistics(count: cloud.count)
        let e = config.headBox!.max - config.headBox!.min
        sceneExtent = 1.1 * 0.5 * (e * e).sum().squareRoot()
    }

    /// Starts from `initial` instead of the random Gaussians (before the first step; SH bands
    /// above its degree start at 0): a warm start from a known head, and the training benchmark's
    /// realistic head.
    public func setInitialCloud(_ initial: GaussianCloud) {
        precondition(iteration == 0, "setInitialCloud: training has started")
        let k = 3 * GaussianCloud.shCoefficientCount(degree: config.shDegree), k0 = 3 * initial.shCoefficientCount
        var sh = [Float](repeating: 0, count: k * initial.count)
        for g in 0..<initial.count { for j in 0..<min(k, k0) { sh[g * k + j] = initial.shCoefficients[g * k0 + j] } }
        let c = GaussianCloud(shDegree: config.shDegree, means: initial.means, rotations: initial.rotations, logScales: initial.logScales,
                              opacityLogits: initial.opacityLogits, shCoefficients: sh)
        cloud = c
        statistics = DensificationStatistics(count: c.count)
    }

    /// The seed of iteration t's random choices (SplitMix-style mixing of the run seed and t).
    static func iterationSeed(_ seed: UInt64, _ t: Int) -> UInt64 {
        var z = seed ^ (UInt64(truncatingIfNeeded: t) &* 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return z ^ (z >> 29)
    }

    public var stage: String { iteration < config.coarseIterations ? "coarse" : "fine" }
    public var isFinished: Bool { iteration >= config.totalIterations }

    /// One training iteration (global iteration `iteration + 1`): forward, loss, backward, Adam;
    /// density control is the separate `adaptDensity()` (`train` runs both). Returns the loss terms.
    /// Throws `TrainingError.nonFiniteLoss` (with nothing updated) when the loss is NaN or ±inf.
    @discardableResult
    public func step() throws -> TalkingHeadLoss.Terms {
        let it = iteration + 1
        let fine = it > config.coarseIterations
        var rng = SeededRandom(seed: Self.iterationSeed(config.seed, it))
        let sample = try timings.measure("data") { try self.sample(data.trainIndices[rng.index(data.trainIndices.count)]) }
        var settings = RenderSettings()
        settings.activeSHDegree = min(cloud.shDegree, (it - 1) / config.shDegreeInterval)
        let withMask = fine && model.config.dynamism == .on
        var canonical: SplatGradients
        var grads: SplatGradients
        var pass: SplatForwardPass
        var result: TalkingHeadLoss.Result
        if fine {
            // The model's own stages (audio encoder, plane query, decoders, deformation and their
            // backward) go into `timings` by name.
            let (out, state) = model.forward(cloud, audioWindow: sample.audioWindow)
            timings.add(state.timings)
            pass = timings.measure("render") {
                withMask ? renderer.render(out.cloud, camera: sample.camera, settings: settings, extras: out.dynamism, extraChannels: 1)
                         : renderer.render(out.cloud, camera: sample.camera, settings: settings)
            }
            result = timings.measure("loss") { loss.evaluate(pass.images, sample: sample, withMask: withMask, rng: &rng) }
            guard result.terms.total.isFinite else { throw TrainingError.nonFiniteLoss(iteration: it, checkpoint: "") }
            grads = timings.measure("render backward") {
                renderer.backward(pass, dImage: result.dImage, dAlpha: result.dAlpha, dExtras: result.dExtras)
            }
            timings.measure("zero gradients") { modelGradients.zeroAll() }
            canonical = model.backward(state, grads, gradients: &modelGradients, timings: &timings)
            timings.measure("optimizer (networks)") {
                let t = it - config.coarseIterations
                let grid = ExponentialDecay(initial: config.gridLearningRate, final: config.gridLearningRate * config.networkDecay,
                                            steps: config.fineIterations)(t)
                let net = ExponentialDecay(initial: config.networkLearningRate, final: config.networkLearningRate * config.networkDecay,
                                           steps: config.fineIterations)(t)
                networkAdam.step(&model, gradients: modelGradients) { Self.isGrid($0) ? grid : net }
            }
        } else {
            pass = timings.measure("render") { renderer.render(cloud, camera: sample.camera, settings: settings) }
            result = timings.measure("loss") { loss.evaluate(pass.images, sample: sample, withMask: false, rng: &rng) }
            guard result.terms.total.isFinite else { throw TrainingError.nonFiniteLoss(iteration: it, checkpoint: "") }
            grads = timings.measure("render backward") { renderer.backward(pass, dImage: result.dImage, dAlpha: result.dAlpha) }
            canonical = grads
        }
        timings.measure("optimizer (Gaussians)") { updateGaussians(canonical, pass: pass, screenGradients: grads, iteration: it) }
        iteration = it
        lossSum += Double(result.terms.total); lossCount += 1
        return result.terms
    }

    /// Frame `index` as a sample, its audio window zeroed with `config.zeroAudio` (the control run).
    public func sample(_ index: Int) throws -> TalkingHeadSample {
        var s = try data.sample(index)
        if config.zeroAudio { s.audioWindow = [Float](repeating: 0, count: s.audioWindow.count) }
        return s
    }

    /// Grids (planes, lines, audio prototypes) vs networks (encoder, attention, D1, D2), by name.
    static func isGrid(_ name: String) -> Bool {
        name.hasSuffix(".planes") || name.hasSuffix(".lines") || name.hasSuffix(".prototypes")
    }

    /// 3DGS Adam groups on the canonical cloud; gathers the densification statistics (screen-space
    /// gradients of the rendered cloud; rows are the canonical rows).
    func updateGaussians(_ g: SplatGradients, pass: SplatForwardPass, screenGradients: SplatGradients, iteration it: Int) {
        let r = config.gaussianRates
        let lrMeans = ExponentialDecay(initial: r.positionInitial * sceneExtent, final: r.positionFinal * sceneExtent,
                                       steps: config.totalIterations)(it)
        gaussianAdam.stepGaussians(&cloud, gradients: g, rates: r, positionLearningRate: lrMeans)
        if it <= config.densification.stopIteration { statistics.add(pass, screenGradients) }
    }

    /// Adaptive density control after iteration `iteration` (3DGS schedule: densify and prune every
    /// `interval` after `startIteration` until `stopIteration`; opacity reset up to
    /// `opacityResetStop`). `train` calls it after that iteration's validation, as graphdeco's
    /// `train.py` evaluates before densifying: fresh clones/splits are transient and would make
    /// the logged PSNR jump. Its random samples come from the iteration's own seed (salted).
    public func adaptDensity() {
        let it = iteration, d = config.densification
        guard it <= d.stopIteration else { return }
        if it > d.startIteration && it % d.interval == 0 {
            var rng = SeededRandom(seed: Self.iterationSeed(config.seed, it) ^ 0xD15E_A5E5)
            Densifier.densifyAndPrune(&cloud, statistics: statistics, adam: gaussianAdam, settings: d, sceneExtent: sceneExtent,
                                      pruneLarge: it > d.opacityResetInterval, rng: &rng)
            statistics.reset(count: cloud.count)
        }
        if it % d.opacityResetInterval == 0 && it <= config.opacityResetStop {
            Densifier.resetOpacity(&cloud, adam: gaussianAdam)
        }
    }

    /// The composited frame x = c + (1 − α)·b of `sample` with the current head (canonical in the
    /// coarse stage, deformed by the model in the fine stage), [H, W, 3], full SH degree, as an
    /// 8-bit video frame would hold it (`Compositing.quantizedFrame`).
    /// `cache` is the current cloud's `spatialFeatureCache` when several frames are rendered (built
    /// here otherwise); the deformation is the inference path `AudioPlaneModel.infer`, as in `eval`.
    public func renderFrame(_ sample: TalkingHeadSample, deformed: Bool, cache: SpatialFeatureCache? = nil) -> [Float] {
        var head = cloud
        if deformed {
            var unused = StageTimings()
            head = model.infer(cloud, audioWindow: sample.audioWindow, cache: cache ?? model.spatialFeatureCache(for: cloud),
                               timings: &unused).cloud
        }
        let pass = renderer.render(head, camera: sample.camera)
        return Compositing.quantizedFrame(headRGB: pass.images.image, headAlpha: pass.images.alpha, background: sample.background)
    }

    /// Mean PSNR and mouth-region PSNR (lips rectangle) over up to `config.validationFrames` val
    /// frames (train frames when the dataset has no val split), the prediction as an 8-bit frame.
    public func validate() throws -> (psnr: Double, mouthPSNR: Double) {
        var indices = data.validationIndices(count: config.validationFrames)
        if indices.isEmpty { indices = Array(data.trainIndices.prefix(config.validationFrames)) }
        let deformed = iteration > config.coarseIterations
        let cache = deformed ? model.spatialFeatureCache(for: cloud) : nil
        var psnr = 0.0, mouth = 0.0, mouthCount = 0
        for i in indices {
            let s = try sample(i)
            let x = renderFrame(s, deformed: deformed, cache: cache)
            psnr += ImageLosses.psnr(x, s.groundTruth)
            let w = s.camera.width, h = s.camera.height
            let rect = PixelRect(rowMin: max(s.lips.rowMin, 0), rowMax: min(s.lips.rowMax, h),
                                 colMin: max(s.lips.colMin, 0), colMax: min(s.lips.colMax, w))
            if !rect.isEmpty {
                mouth += ImageLosses.psnr(ImageMetrics.crop(x, width: w, rect: rect), ImageMetrics.crop(s.groundTruth, width: w, rect: rect))
                mouthCount += 1
            }
        }
        return (psnr / Double(indices.count), mouthCount > 0 ? mouth / Double(mouthCount) : .nan)
    }

    /// Writes `preview.png` into `dir`: prediction | ground truth of the first validation frame
    /// (atomically; overwritten at every validation, for a quick look while training).
    public func writePreview(to dir: URL) throws {
        guard let i = data.validationIndices(count: 1).first ?? data.trainIndices.first else { return }
        let s = try sample(i)
        let x = renderFrame(s, deformed: iteration > config.coarseIterations)
        let w = s.camera.width, h = s.camera.height
        let frame = ComparisonFrame.sideBySide(prediction: Image8(floats: x, width: w, height: h, channels: 3),
                                               groundTruth: Image8(floats: s.groundTruth, width: w, height: h, channels: 3))
        try PNGFile.write(frame, to: dir.appendingPathComponent("preview.png"))
    }

    /// Validates and appends a log row (mean train loss since the previous row).
    @discardableResult
    public func appendValidationRow() throws -> TrainingLogRow {
        let v = try validate()
        let row = TrainingLogRow(stage: iteration <= config.coarseIterations ? "coarse" : "fine", iteration: iteration,
                                 trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : .nan, psnr: v.psnr, mouthPSNR: v.mouthPSNR,
                                 gaussians: cloud.count, perceptual: loss.perceptualName, seconds: monotonicSeconds() - startTime)
        log.append(row)
        lossSum = 0; lossCount = 0
        return row
    }

    /// True when every canonical Gaussian value and every model parameter is finite.
    public func parametersAreFinite() -> Bool {
        func finite(_ a: [Float]) -> Bool { a.allSatisfy { $0.isFinite } }
        guard finite(cloud.means), finite(cloud.rotations), finite(cloud.logScales), finite(cloud.opacityLogits),
              finite(cloud.shCoefficients) else { return false }
        var ok = true
        var m = model
        m.visitParameters(prefix: "") { _, t in if ok && !finite(t.data) { ok = false } }
        return ok
    }

    /// Why `train` returned.
    public enum StopReason: Equatable, Sendable { case finished, interrupted, reachedLimit }

    /// Runs until `config.totalIterations` (or `limit`, a global iteration), validating every
    /// `validationInterval` and writing the model directory `output` every `checkpointInterval`,
    /// at the end, and when `shouldStop()` turns true (checked once per iteration; Ctrl-C).
    /// On a NaN/inf loss nothing of that iteration is kept or written: the error names the last
    /// good checkpoint.
    public func train(output: URL?, limit: Int? = nil, shouldStop: () -> Bool = { false }) throws -> StopReason {
        let end = min(limit ?? config.totalIterations, config.totalIterations)
        startTime = monotonicSeconds() - (log.last?.seconds ?? 0)
        if showProgress { logLine("train: perceptual term \(loss.perceptualName); \(cloud.count) Gaussians; iterations \(iteration + 1)…\(end)") }
        var reporter: ProgressReporter?
        var reporterStage = ""
        var lastCheckpoint = output.map { TalkingHeadCheckpoint.weightsURL($0).path } ?? "(none)"
        var recent: TalkingHeadLoss.Terms?
        while iteration < end {
            if shouldStop() {
                if let output {
                    guard parametersAreFinite() else { throw TrainingError.nonFiniteLoss(iteration: iteration, checkpoint: lastCheckpoint) }
                    try TalkingHeadCheckpoint.write(self, to: output)
                }
                return .interrupted
            }
            let terms: TalkingHeadLoss.Terms
            do { terms = try step() } catch TrainingError.nonFiniteLoss(let it, _) {
                throw TrainingError.nonFiniteLoss(iteration: it, checkpoint: lastCheckpoint)
            }
            recent = terms
            let it = iteration
            if it % config.validationInterval == 0 || it == config.coarseIterations || it == config.totalIterations {
                try appendValidationRow()
                if let output {
                    try createFolder(output)
                    try writePreview(to: output)
                }
            }
            timings.measure("densification") { adaptDensity() }
            if let output, it % config.checkpointInterval == 0 || it == end {
                // A NaN can enter through a gradient while the loss is still finite: never let it
                // overwrite the last good checkpoint.
                guard parametersAreFinite() else { throw TrainingError.nonFiniteLoss(iteration: it, checkpoint: lastCheckpoint) }
                try TalkingHeadCheckpoint.write(self, to: output)
                lastCheckpoint = TalkingHeadCheckpoint.weightsURL(output).path
            }
            if showProgress {
                let stageNow = it <= config.coarseIterations ? "coarse" : "fine"
                if stageNow != reporterStage {
                    reporterStage = stageNow
                    reporter = ProgressReporter(stage: stageNow, total: stageNow == "coarse" ? config.coarseIterations : config.fineIterations)
                }
                let done = stageNow == "coarse" ? it : it - config.coarseIterations
                let psnr = log.last.map { String(format: " | val PSNR %.2f dB (mouth %.2f)", $0.psnr, $0.mouthPSNR) } ?? ""
                reporter?.update(done, extra: String(format: "it %d | loss %.4f%@ | %d Gaussians", it, recent?.total ?? .nan, psnr, cloud.count))
            }
        }
        return iteration >= config.totalIterations ? .finished : .reachedLimit
    }
}
