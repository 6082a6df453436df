import Foundation
import NeuralNet
import Splatting
import TensorCore

/// Settings of static 3DGS optimisation (Kerbl et al. 2023; graphdeco `OptimizationParams`
/// defaults), Codable so they can be stored with a model.
public struct StaticFitSettings: Codable, Equatable, Sendable {
    public var iterations = 30_000
    public var seed: UInt64 = 0
    /// Weight λ of D-SSIM: loss = (1 − λ)·L1 + λ·(1 − SSIM).
    public var lambdaDSSIM: Float = 0.2
    /// Position learning rate, decayed exponentially over `positionDecaySteps`; × scene extent.
    public var positionLearningRateInitial: Float = 1.6e-4
    public var positionLearningRateFinal: Float = 1.6e-6
    public var positionDecaySteps = 30_000
    /// SH DC learning rate; the higher bands use it / 20.
    public var featureLearningRate: Float = 2.5e-3
    public var opacityLearningRate: Float = 0.05
    public var scalingLearningRate: Float = 5e-3
    public var rotationLearningRate: Float = 1e-3
    /// Raise the active SH degree by one every this many iterations (up to the cloud's degree).
    public var shDegreeInterval = 1_000
    public var densification = DensificationSettings()
    public var render = RenderSettings()

    public init() {}

    /// The per-group rates as `Adam.stepGaussians` takes them.
    var gaussianRates: GaussianLearningRates {
        var r = GaussianLearningRates()
        r.positionInitial = positionLearningRateInitial; r.positionFinal = positionLearningRateFinal
        r.feature = featureLearningRate; r.opacity = opacityLearningRate
        r.scaling = scalingLearningRate; r.rotation = rotationLearningRate
        return r
    }

    /// The same schedule compressed to `iterations` (densification and decay scaled together,
    /// 3DGS's proportions), for short runs on small data.
    public static func scaled(iterations: Int) -> StaticFitSettings {
        var s = StaticFitSettings()
        let f = Double(iterations) / 30_000
        func sc(_ v: Int) -> Int { max(1, Int((Double(v) * f).rounded())) }
        s.iterations = iterations
        s.positionDecaySteps = iterations
        s.shDegreeInterval = sc(1_000)
        s.densification.startIteration = sc(500)
        s.densification.stopIteration = sc(15_000)
        s.densification.interval = max(1, sc(100))
        s.densification.opacityResetInterval = sc(3_000)
        return s
    }
}

/// One training view: camera and target image [H, W, 3] in [0, 1].
public struct FitView: Sendable {
    public var camera: Camera
    public var image: [Float]
    public init(camera: Camera, image: [Float]) { self.camera = camera; self.image = image }
}

/// Optimises a Gaussian cloud to match posed images (static 3DGS; the coarse stage of the
/// talking head). Deterministic given `settings.seed`.
public final class StaticSceneFitter {
    public private(set) var cloud: GaussianCloud
    public let settings: StaticFitSettings
    public let views: [FitView]
    public let sceneExtent: Float
    public private(set) var iteration = 0
    public private(set) var lastLoss: Float = .nan
    public let renderer = SplatRenderer()
    public var timings = StageTimings()
    let adam = Adam()
    let ssim = SSIM()
    var rng: SeededRandom
    var statistics: DensificationStatistics
    var viewQueue: [Int] = []

    public init(cloud: GaussianCloud, views: [FitView], settings: StaticFitSettings) {
        precondition(!views.isEmpty, "need at least one view")
        self.cloud = cloud
        self.views = views
        self.settings = settings
        self.sceneExtent = Self.cameraExtent(views.map { $0.camera })
        self.rng = SeededRandom(seed: settings.seed)
        self.statistics = DensificationStatistics(count: cloud.count)
    }

    /// 3DGS `getNerfppNorm`: 1.1 × the largest distance of a camera centre from their mean
    /// (at least 1e-3 so a single camera still gives a usable scale).
    public static func cameraExtent(_ cameras: [Camera]) -> Float {
        let centres = cameras.map { $0.centre }
        let mean = centres.reduce(SIMD3<Float>.zero, +) / Float(centres.count)
        let radius = centres.map { c -> Float in let d = c - mean; return (d * d).sum().squareRoot() }.max() ?? 0
        return max(1.1 * radius, 1e-3)
    }

    /// Runs one optimisation step; returns the loss.
    @discardableResult
    public func step() -> Float {
        iteration += 1
        let it = iteration
        if viewQueue.isEmpty { viewQueue = Array(0..<views.count); viewQueue.shuffle(using: &rng) }
        let view = views[viewQueue.removeLast()]
        var render = settings.render
        render.activeSHDegree = min(cloud.shDegree, (it - 1) / max(settings.shDegreeInterval, 1))
        let pass = renderer.render(cloud, camera: view.camera, settings: render)
        let cam = view.camera
        let (loss, dImage) = timings.measure("loss") { () -> (Float, [Float]) in
            let l1 = ImageLosses.l1(pass.images.image, view.image)
            let lambda = settings.lambdaDSSIM
            var grad = l1.gradient.map { $0 * (1 - lambda) }
            var loss = (1 - lambda) * l1.loss
            if lambda > 0 {
                let s = ssim.evaluate(pass.images.image, view.image, width: cam.width, height: cam.height, channels: 3)
                loss += lambda * (1 - s.ssim)
                for i in 0..<grad.count { grad[i] -= lambda * s.gradient[i] }
            }
            return (loss, grad)
        }
        let grads = renderer.backward(pass, dImage: dImage)
        timings.measure("optimizer") {
            let d = settings.densification
            if it <= d.stopIteration { statistics.add(pass, grads) }
            let lrMeans = ExponentialDecay(initial: settings.positionLearningRateInitial * sceneExtent,
                                           final: settings.positionLearningRateFinal * sceneExtent,
                                           steps: settings.positionDecaySteps)(it)
            adam.stepGaussians(&cloud, gradients: grads, rates: settings.gaussianRates, positionLearningRate: lrMeans)
            // Adaptive density control.
            if it <= d.stopIteration {
                if it > d.startIteration && it % d.interval == 0 {
                    Densifier.densifyAndPrune(&cloud, statistics: statistics, adam: adam, settings: d,
                                              sceneExtent: sceneExtent, pruneLarge: it > d.opacityResetInterval, rng: &rng)
                    statistics.reset(count: cloud.count)
                }
                if it % d.opacityResetInterval == 0 {
                    Densifier.resetOpacity(&cloud, adam: adam)
                }
            }
        }
        lastLoss = loss
        return loss
    }

    /// Mean PSNR (dB) of the current cloud over `views` (full SH degree).
    public func psnr(on views: [FitView]) -> Double {
        let r = SplatRenderer()
        let values = views.map { ImageLosses.psnr(r.render(cloud, camera: $0.camera, settings: settings.render).images.image, $0.image) }
        return values.reduce(0, +) / Double(max(values.count, 1))
    }
}
