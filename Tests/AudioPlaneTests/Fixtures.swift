import XCTest
import TensorCore
import NeuralNet
import Splatting
@testable import AudioPlane
import _TestSupport

/// Small models and scenes for the finite-difference tests: H = 8, D = 16, scales {1, 2, 3, 4}
/// (resolutions 8…32), C = 5 audio channels, a handful of Gaussians.
enum Fixtures {
    static let box = HeadBox(min: SIMD3(-0.2, -0.1, -0.3), max: SIMD3(0.2, 0.3, 0.1))

    static func config(_ edit: (inout AudioPlaneConfig) -> Void = { _ in }) -> AudioPlaneConfig {
        var c = AudioPlaneConfig(audioChannels: 5)
        c.resolution = 8
        c.gridInitSpread = 0.3                 // more spatial variation than the default, for sharper checks
        c.deformationOutputInitScale = 1       // a well-conditioned D1 (default 0.01 makes ΔG ≈ 0)
        c.seed = 21
        edit(&c)
        return c
    }

    /// Normalised positions whose grid fractions stay in [0.1, 0.9] at every scale, so central
    /// differences (|Δu| ≤ 0.02) never cross a cell edge (the lookup's kinks).
    static func positions(count n: Int, resolutions: [Int], rng: inout SeededRandom) -> [Float] {
        var out: [Float] = []
        while out.count < 3 * n {
            let x = rng.uniform(-0.95, 0.95)
            let ok = resolutions.allSatisfy { r in
                let u = (x + 1) * 0.5 * Float(r - 1)
                let f = u - u.rounded(.down)
                return f > 0.1 && f < 0.9
            }
            if ok { out.append(x) }
        }
        return out
    }

    /// A cloud whose means map to `positions(…)`; every other parameter is a small random value
    /// (SH degree 1, so the non-DC coefficients are checked to pass through unchanged).
    static func cloud(count n: Int, config: AudioPlaneConfig, rng: inout SeededRandom) -> GaussianCloud {
        let x = positions(count: n, resolutions: config.scales.map { $0 * config.resolution }, rng: &rng)
        var cloud = GaussianCloud(shDegree: 1)
        for g in 0..<n {
            let xh = SIMD3(x[3 * g], x[3 * g + 1], x[3 * g + 2])
            let mean = box.min + (xh + 1) / 2 * (box.max - box.min)
            cloud.append(mean: mean, rotation: SIMD4(0.1 * rng.normal(), 0.1 * rng.normal(), 0.1 * rng.normal(), 0.1 * rng.normal()),
                         logScale: SIMD3(0.1 * rng.normal(), 0.1 * rng.normal(), 0.1 * rng.normal()),
                         opacityLogit: 0.1 * rng.normal(), sh: (0..<12).map { _ in 0.1 * rng.normal() })
        }
        return cloud
    }

    static func window(channels: Int, rng: inout SeededRandom) -> [Float] {
        (0..<(8 * 16 * channels)).map { _ in rng.normal() }
    }
}

/// Random weights of L = Σ r·(G' parameters) + Σ r_d·d, and the matching `SplatGradients`.
struct CloudFunctional {
    var means, rotations, logScales, opacity, sh, dynamism: [Double]

    init(count n: Int, shCount k: Int, rng: inout SeededRandom) {
        means = GradientCheck.functionalWeights(3 * n, rng: &rng)
        rotations = GradientCheck.functionalWeights(4 * n, rng: &rng)
        logScales = GradientCheck.functionalWeights(3 * n, rng: &rng)
        opacity = GradientCheck.functionalWeights(n, rng: &rng)
        sh = GradientCheck.functionalWeights(3 * k * n, rng: &rng)
        dynamism = GradientCheck.functionalWeights(n, rng: &rng)
    }

    func callAsFunction(_ out: AudioPlaneModel.Output) -> Double {
        GradientCheck.functional(out.cloud.means, means) + GradientCheck.functional(out.cloud.rotations, rotations)
            + GradientCheck.functional(out.cloud.logScales, logScales) + GradientCheck.functional(out.cloud.opacityLogits, opacity)
            + GradientCheck.functional(out.cloud.shCoefficients, sh) + GradientCheck.functional(out.dynamism, dynamism)
    }

    var gradients: SplatGradients {
        var g = SplatGradients()
        g.means = means.map { Float($0) }; g.rotations = rotations.map { Float($0) }
        g.logScales = logScales.map { Float($0) }; g.opacityLogits = opacity.map { Float($0) }
        g.shCoefficients = sh.map { Float($0) }; g.extras = dynamism.map { Float($0) }
        return g
    }
}

/// Which side of 0 every (Leaky)ReLU unit is on: finite differences are only valid when the
/// perturbed evaluations keep this pattern (no kink crossed).
func activationSignature(_ s: AudioEncoder.Saved) -> [Bool] {
    var out: [Bool] = []
    for c in s.convs.dropFirst() { out += c.input.map { $0 > 0 } }
    out += s.convOutput.map { $0 > 0 }
    out += s.fc0Output.map { $0 > 0 }
    for a in s.attOutputs { out += a.map { $0 > 0 } }
    return out
}

func activationSignature(_ s: AudioPlaneModel.ForwardState) -> [Bool] {
    var out = s.encoder.map(activationSignature) ?? []
    for x in s.d1.inputs.dropFirst() { out += x.map { $0 > 0 } }
    if let d2 = s.d2 { for x in d2.inputs.dropFirst() { out += x.map { $0 > 0 } } }
    for a in s.attention { if let net = a.net { for x in net.inputs.dropFirst() { out += x.map { $0 > 0 } } } }
    return out
}

/// Checks every named parameter tensor of `container` with directional central differences:
/// for `directions` random ±1 vectors v over the whole tensor, ⟨g, v⟩ against
/// (L(θ + h v) − L(θ − h v))/2h. Kink-aware (ggml's "care at kinks"): `loss` also returns the
/// activation signature, and h is divided by 4 (up to 5 times) until both evaluations keep the
/// unperturbed signature, so a crossed ReLU kink never pollutes the quotient. Passes when
/// |a − n| ≤ tolerance · max(|n|, ‖g‖₂, absoluteFloor).
func checkParameterGradients<M: ParameterContainer>(_ container: M, gradients: M, directions: Int = 2, step: Float,
                                                    tolerance: Double, absoluteFloor: Double = 1e-6, label: String = "",
                                                    skip: (String) -> Bool = { _ in false }, stepFor: ((String) -> Float?)? = nil,
                                                    file: StaticString = #filePath, line: UInt = #line,
                                                    loss: (M) -> (Double, [Bool])) {
    var rng = SeededRandom(seed: 99)
    let set = gradients.namedParameters()
    XCTAssertFalse(set.names.isEmpty)
    let base = loss(container).1
    for name in set.names where !skip(name) {
        let analytic = set[name]!.data
        let norm = analytic.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        for k in 0..<directions {
            let v: [Float] = analytic.indices.map { _ in rng.next() & 1 == 0 ? 1 : -1 }
            var a = 0.0
            for i in analytic.indices { a += Double(analytic[i]) * Double(v[i]) }
            func evaluate(_ h: Float) -> (Double, [Bool]) {
                var m = container
                m.visitParameters(prefix: "") { n, t in
                    if n == name { for i in t.data.indices { t.data[i] += h * v[i] } }
                }
                return loss(m)
            }
            var h = stepFor?(name) ?? step
            var numeric: Double?
            for _ in 0..<6 {
                let (lp, sp) = evaluate(h), (lm, sm) = evaluate(-h)
                if sp == base && sm == base { numeric = (lp - lm) / (2 * Double(h)); break }
                h /= 4
            }
            guard let n = numeric else { continue }   // every step crossed a kink: nothing to compare
            let reference = max(abs(n), norm, absoluteFloor)
            XCTAssertLessThanOrEqual(abs(a - n) / reference, tolerance,
                                     "\(label)\(name) direction \(k) (h \(h)): analytic \(a) vs numeric \(n) (‖g‖ \(norm))",
                                     file: file, line: line)
        }
    }
}
