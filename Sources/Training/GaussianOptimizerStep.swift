import NeuralNet
import Splatting

/// Learning rates of the canonical Gaussians (3DGS, Kerbl et al. 2023; graphdeco `OptimizationParams`):
/// positions decay exponentially from `positionInitial` to `positionFinal` (× the scene extent)
/// over the whole run; the other groups are constant. Higher SH bands use `feature / 20`.
public struct GaussianLearningRates: Codable, Equatable, Sendable {
    public var positionInitial: Float = 1.6e-4
    public var positionFinal: Float = 1.6e-6
    public var feature: Float = 2.5e-3
    public var opacity: Float = 0.05
    public var scaling: Float = 5e-3
    public var rotation: Float = 1e-3
    public init() {}
}

extension Adam {
    /// One Adam step on every parameter group of a Gaussian cloud with 3DGS's rates (shared by the
    /// static fitter and the talking-head trainer). `positionLearningRate` is the already-decayed
    /// position rate (× scene extent); the higher SH bands use `rates.feature / 20`.
    public func stepGaussians(_ cloud: inout GaussianCloud, gradients g: SplatGradients,
                              rates r: GaussianLearningRates, positionLearningRate: Float) {
        let k = cloud.shCoefficientCount
        let shScale = (0..<(3 * k)).map { $0 < 3 ? Float(1) : Float(1) / 20 }
        step("means", params: &cloud.means, grads: g.means, lr: positionLearningRate, width: 3)
        step("rotations", params: &cloud.rotations, grads: g.rotations, lr: r.rotation, width: 4)
        step("logScales", params: &cloud.logScales, grads: g.logScales, lr: r.scaling, width: 3)
        step("opacityLogits", params: &cloud.opacityLogits, grads: g.opacityLogits, lr: r.opacity, width: 1)
        step("shCoefficients", params: &cloud.shCoefficients, grads: g.shCoefficients, lr: r.feature,
             width: 3 * k, columnScale: shScale)
    }
}
