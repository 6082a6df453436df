import TensorCore
import NeuralNet
import Splatting

/// The head's bounding box in the dataset's head frame; Gaussian means are normalised by it to
/// x̂ = 2(μ − min)/(max − min) − 1 ∈ [−1, 1]³ before the plane lookup.
public struct HeadBox: Codable, Equatable, Sendable {
    public var min: SIMD3<Float>
    public var max: SIMD3<Float>
    public init(min: SIMD3<Float>, max: SIMD3<Float>) { self.min = min; self.max = max }
    /// ∂x̂/∂μ per axis: 2/(max − min).
    public var inverseHalfExtent: SIMD3<Float> { 2 / (max - min) }
}

/// The paper's deformation model (DESIGN.md §3): audio encoder → Audio-Plane → decoders D1 (ΔG)
/// and D2 (dynamism d) → G' = G + d·ΔG (eq. 7).
///
/// Parameters (names): `encoder.…` (`AudioEncoder`), `scale<s>.…` (`PlaneLevel`, one per scale),
/// `d1.layer…` (D1: MLP F → 64 → 64 → 14, ReLU, last layer near zero), `d2.layer…` (D2: MLP
/// F → 32 → 1, ReLU, then a sigmoid; absent with `dynamism: off`), F = `config.featureWidth`.
/// ΔG columns: Δmean 0..<3, Δquaternion 3..<7, Δlog-scale 7..<10, Δopacity-logit 10, ΔSH-DC 11..<14.
/// The gradient of a model is a model (`zerosLike()`): gradients mirror parameters by name.
/// Forward: this file; backward: `AudioPlaneModel+Backward.swift`.
public struct AudioPlaneModel: ParameterContainer, Sendable, Equatable {
    public let config: AudioPlaneConfig
    public var headBox: HeadBox
    public var encoder: AudioEncoder
    public var levels: [PlaneLevel]
    public var deformation: MLP
    public var dynamism: MLP?

    public init(config: AudioPlaneConfig, headBox: HeadBox) throws {
        try config.validate()
        self.config = config
        self.headBox = headBox
        var rng = SeededRandom(seed: config.seed)
        encoder = AudioEncoder(channels: config.audioChannels, rng: &rng)
        levels = config.scales.map { s in
            PlaneLevel(resolution: s * config.resolution, dimension: config.featureDimension,
                       hasAudio: config.audio == .plane, attention: config.attention,
                       attentionHidden: config.attentionHidden, codeDimension: config.audioCodeDimension,
                       spread: config.gridInitSpread, rng: &rng)
        }
        let f = config.featureWidth
        deformation = MLP(widths: [f] + config.deformationHidden + [AudioPlaneConfig.deltaWidth], activation: .relu, rng: &rng)
        deformation.scaleLastLayerTowardsZero(config.deformationOutputInitScale)
        dynamism = config.dynamism == .on ? MLP(widths: [f] + config.dynamismHidden + [1], activation: .relu, rng: &rng) : nil
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        encoder.visitParameters(prefix: parameterName(prefix, "encoder"), body)
        for i in levels.indices {
            levels[i].visitParameters(prefix: parameterName(prefix, "scale\(config.scales[i])"), body)
        }
        deformation.visitParameters(prefix: parameterName(prefix, "d1"), body)
        if dynamism != nil { dynamism!.visitParameters(prefix: parameterName(prefix, "d2"), body) }
    }

    /// The deformed cloud G' (same SH degree; only the DC coefficients change) and the per-Gaussian
    /// dynamism d [N] (all 1 with `dynamism: off`), to be rendered as one extra channel
    /// (`SplatRenderer.render(…, extras: dynamism, extraChannels: 1)`, eq. 8).
    public struct Output: Sendable {
        public var cloud: GaussianCloud
        public var dynamism: [Float]
    }

    /// Everything `backward` needs from one forward.
    public struct ForwardState: Sendable {
        var count: Int
        var shCoefficientCount: Int
        var encoder: AudioEncoder.Saved?
        var code: [Float]                       // a [32]
        var attention: [PrototypeAttention.Saved]
        var audioFeatures: [[Float]]            // f_a per level [D] (empty without audio planes)
        var positions: [Float]                  // x̂ [N, 3]
        var rowOrder: [Int32]                   // decoder row i ↔ Gaussian rowOrder[i] (SpatialOrder)
        var dynamismRows: [Float]               // d in row order [N]
        var decoders: DecoderSaved
        var delta: [Float]                      // ΔG [N, 14]
        var dynamism: [Float]                   // d [N]
        /// Milliseconds of the forward stages: encoder, plane query, decoders, deformation.
        public var timings = StageTimings()
        /// D1's per-layer inputs (as `MLP.Saved`).
        var d1: MLP.Saved {
            switch decoders {
            case .separate(let s1, _): return s1
            case .fused(let f): return f.mlpSaved(second: false)
            }
        }
        /// D2's per-layer inputs (nil with `dynamism: off`).
        var d2: MLP.Saved? {
            switch decoders {
            case .separate(_, let s2): return s2
            case .fused(let f): return f.mlpSaved(second: true)
            }
        }
    }

    /// What the decoders saved: the two MLPs run separately, or together (`FusedDecoders`).
    enum DecoderSaved: Sendable {
        case separate(MLP.Saved, MLP.Saved?)
        case fused(FusedDecoders.Saved)
    }

    /// Forward for one frame: `cloud` is the canonical G, `audioWindow` the encoder input [8, 16, C]
    /// (`AudioEncoder.window`).
    public func forward(_ cloud: GaussianCloud, audioWindow: [Float]) -> (Output, ForwardState) {
        var timings = StageTimings()
        let (a, encSaved) = timings.measure("audio encoder") { encoder.forward(window: audioWindow) }
        return forward(cloud, code: a, encoderState: encSaved, timings: timings)
    }

    /// Forward from a given audio code a [32] (no encoder state: `backward` then stops at ∂L/∂a).
    func forward(_ cloud: GaussianCloud, code a: [Float], encoderState: AudioEncoder.Saved? = nil,
                 timings startTimings: StageTimings = StageTimings()) -> (Output, ForwardState) {
        var timings = startTimings
        let n = cloud.count, fw = config.featureWidth
        // Per-frame audio attention (eq. 4), one per scale.
        var fa: [[Float]] = [], attSaved: [PrototypeAttention.Saved] = []
        var features = [Float](repeating: 0, count: n * fw)
        var positions = [Float](repeating: 0, count: 3 * n)
        var rowOrder: [Int32] = []
        timings.measure("plane query") {
            for level in levels {
                if level.hasAudio {
                    let (f, s) = level.attention.forward(code: a, prototypes: level.prototypes)
                    fa.append(f); attSaved.append(s)
                } else {
                    fa.append([]); attSaved.append(PrototypeAttention.Saved(q: [], net: nil, p: []))
                }
            }
            let lo = headBox.min, inv = headBox.inverseHalfExtent
            for g in 0..<n {
                for c in 0..<3 { positions[3 * g + c] = (cloud.means[3 * g + c] - lo[c]) * inv[c] - 1 }
            }
            // Feature rows in spatial visiting order (sequential writes and reads in the plane lookups);
            // the decoders are row-wise, so only ΔG and d are put back in Gaussian order.
            rowOrder = positions.withUnsafeBufferPointer { SpatialOrder.indices(positions: $0.baseAddress!, count: n) }
            PlaneQuery.forward(levels: levels, audio: fa, positions: positions, count: n, fusion: config.fusion,
                               features: &features, width: fw, rowOrder: rowOrder)
            if config.audio == .concat {
                let start = fw - a.count
                for g in 0..<n { for j in 0..<a.count { features[g * fw + start + j] = a[j] } }
            }
        }
        let (deltaRows, dRows, decoderSaved) = timings.measure("decoders") { () -> ([Float], [Float], DecoderSaved) in
            if let dynamism, n > 0, FusedDecoders.applies(deformation, dynamism) {
                var (delta, z, saved) = FusedDecoders.forward(deformation, dynamism, features: features, rows: n)
                Activation.sigmoid.apply(&z)
                return (delta, z, .fused(saved))
            }
            let (delta, s1) = deformation.forward(features, rows: n)
            guard let dynamism else { return (delta, [Float](repeating: 1, count: n), .separate(s1, nil)) }
            var (z, s2) = dynamism.forward(features, rows: n)
            Activation.sigmoid.apply(&z)
            return (delta, z, .separate(s1, s2))
        }
        let (delta, d, deformed) = timings.measure("deformation") { () -> ([Float], [Float], GaussianCloud) in
            let (delta, d) = Self.gaussianOrder(deltaRows, dRows, rowOrder: rowOrder)
            return (delta, d, Self.deform(cloud, delta: delta, dynamism: d))
        }
        let state = ForwardState(count: n, shCoefficientCount: cloud.shCoefficientCount, encoder: encoderState, code: a,
                                 attention: attSaved, audioFeatures: fa, positions: positions, rowOrder: rowOrder,
                                 dynamismRows: dRows, decoders: decoderSaved,
                                 delta: delta, dynamism: d, timings: timings)
        return (Output(cloud: deformed, dynamism: d), state)
    }

    /// ΔG [N, 14] and d [N] from decoder row order to Gaussian order.
    static func gaussianOrder(_ deltaRows: [Float], _ dRows: [Float], rowOrder: [Int32]) -> ([Float], [Float]) {
        let n = rowOrder.count, w = AudioPlaneConfig.deltaWidth
        var delta = [Float](repeating: 0, count: n * w), d = [Float](repeating: 0, count: n)
        delta.withUnsafeMutableBufferPointer { dp in d.withUnsafeMutableBufferPointer { ddp in
        deltaRows.withUnsafeBufferPointer { src in dRows.withUnsafeBufferPointer { ds in rowOrder.withUnsafeBufferPointer { op in
            for i in 0..<n {
                let g = Int(op[i])
                (dp.baseAddress! + g * w).update(from: src.baseAddress! + i * w, count: w)
                ddp[g] = ds[i]
            }
        }}}}}
        return (delta, d)
    }

    /// G' = G + d·ΔG (eq. 7) on means, quaternions, log-scales, opacity logits and SH-DC (k = 0).
    static func deform(_ cloud: GaussianCloud, delta: [Float], dynamism d: [Float]) -> GaussianCloud {
        var out = cloud
        let n = cloud.count, k3 = 3 * cloud.shCoefficientCount, w = AudioPlaneConfig.deltaWidth
        for g in 0..<n {
            let row = g * w, s = d[g]
            for c in 0..<3 { out.means[3 * g + c] += s * delta[row + c] }
            for c in 0..<4 { out.rotations[4 * g + c] += s * delta[row + 3 + c] }
            for c in 0..<3 { out.logScales[3 * g + c] += s * delta[row + 7 + c] }
            out.opacityLogits[g] += s * delta[row + 10]
            for c in 0..<3 { out.shCoefficients[g * k3 + c] += s * delta[row + 11 + c] }
        }
        return out
    }
}
