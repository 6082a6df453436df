import TensorCore

/// A cloud of 3D Gaussians stored in their optimisation (pre-activation) spaces, as 3DGS does.
///
/// Layout (N = `count`, K = `shCoefficientCount` = (shDegree+1)²), all row-major Float arrays:
/// - `means`         [N, 3]   world positions
/// - `rotations`     [N, 4]   unnormalised quaternions (w, x, y, z); normalised when used
/// - `logScales`     [N, 3]   natural log of the per-axis standard deviations
/// - `opacityLogits` [N]      opacity = sigmoid(logit)
/// - `shCoefficients`[N, K, 3] spherical-harmonics coefficients, coefficient-major then RGB
///                            (k = 0 is the DC term; colour = SH·Y + 0.5, clamped at 0)
public struct GaussianCloud: Equatable, Sendable {
    public var shDegree: Int
    public var means: [Float]
    public var rotations: [Float]
    public var logScales: [Float]
    public var opacityLogits: [Float]
    public var shCoefficients: [Float]

    /// Number of SH coefficients per colour channel for a degree: (d+1)².
    public static func shCoefficientCount(degree: Int) -> Int { (degree + 1) * (degree + 1) }
    public var shCoefficientCount: Int { Self.shCoefficientCount(degree: shDegree) }
    public var count: Int { opacityLogits.count }

    /// An empty cloud of the given SH degree (0...3).
    public init(shDegree: Int) {
        precondition((0...3).contains(shDegree), "SH degree must be 0...3")
        self.shDegree = shDegree
        means = []; rotations = []; logScales = []; opacityLogits = []; shCoefficients = []
    }

    /// A cloud from explicit arrays; sizes must agree with `opacityLogits.count`.
    public init(shDegree: Int, means: [Float], rotations: [Float], logScales: [Float],
                opacityLogits: [Float], shCoefficients: [Float]) {
        self.shDegree = shDegree
        self.means = means; self.rotations = rotations; self.logScales = logScales
        self.opacityLogits = opacityLogits; self.shCoefficients = shCoefficients
        precondition(isConsistent, "GaussianCloud: array sizes disagree with count \(opacityLogits.count)")
    }

    /// True when every array has the size that `count` and `shDegree` imply.
    public var isConsistent: Bool {
        let n = count
        return means.count == 3 * n && rotations.count == 4 * n && logScales.count == 3 * n
            && shCoefficients.count == 3 * shCoefficientCount * n && (0...3).contains(shDegree)
    }

    /// Mean of Gaussian i.
    @inlinable public func mean(_ i: Int) -> SIMD3<Float> { [means[3 * i], means[3 * i + 1], means[3 * i + 2]] }

    /// Converts a linear RGB colour in [0,1] to the DC SH coefficient that renders it (3DGS RGB2SH).
    @inlinable public static func shDC(fromColor c: Float) -> Float { (c - 0.5) / SphericalHarmonics.c0 }

    /// Appends one Gaussian; `sh` has 3·K values (coefficient-major, RGB).
    public mutating func append(mean: SIMD3<Float>, rotation: SIMD4<Float>, logScale: SIMD3<Float>,
                                opacityLogit: Float, sh: [Float]) {
        precondition(sh.count == 3 * shCoefficientCount)
        means += [mean.x, mean.y, mean.z]
        rotations += [rotation[0], rotation[1], rotation[2], rotation[3]]
        logScales += [logScale.x, logScale.y, logScale.z]
        opacityLogits.append(opacityLogit)
        shCoefficients += sh
    }

    /// Axis-aligned bounding box of the means: (min, max).
    public var bounds: (min: SIMD3<Float>, max: SIMD3<Float>) {
        var lo = SIMD3<Float>(repeating: .infinity), hi = SIMD3<Float>(repeating: -.infinity)
        for i in 0..<count {
            let m = mean(i)
            lo = SIMD3(Swift.min(lo.x, m.x), Swift.min(lo.y, m.y), Swift.min(lo.z, m.z))
            hi = SIMD3(Swift.max(hi.x, m.x), Swift.max(hi.y, m.y), Swift.max(hi.z, m.z))
        }
        return (lo, hi)
    }
}

/// Logistic sigmoid and its inverse, the activation of opacities.
@inlinable public func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
@inlinable public func logit(_ p: Float) -> Float { logf(p / (1 - p)) }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
