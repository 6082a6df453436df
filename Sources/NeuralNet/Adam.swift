import Foundation

/// Adam (Kingma & Ba) over named parameter arrays (gradients mirror parameters by name, as gsplat's
/// params/optimizer dicts). Each parameter is a row-major array [rows, width]; its first and
/// second moments are kept row-aligned so densification can keep, drop or append rows of the
/// parameter and its Adam state together (`keepRows`, `appendRows`).
///
/// Update (bias-corrected): m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
/// θ ← θ − lr · (m / (1−β1ᵗ)) / (sqrt(v / (1−β2ᵗ)) + ε).
public final class Adam {
    public struct Settings: Codable, Equatable, Sendable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        /// 3DGS uses 1e-15 so tiny gradients still move parameters.
        public var epsilon: Float = 1e-15
        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-15) {
            self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        }
    }

    /// Moments and step count of one named parameter.
    public struct State: Equatable, Sendable {
        public var width: Int
        public var m: [Float]
        public var v: [Float]
        public var step: Int
    }

    public let settings: Settings
    public private(set) var states: [String: State] = [:]

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// One Adam step on `params` with `grads` (same count) at learning rate `lr`.
    /// `width` is the row width (for row bookkeeping); state is created on first use.
    /// `columnScale` (width values), when given, multiplies the learning rate per column (e.g.
    /// 3DGS's lower rate for the higher SH bands within one SH array).
    public func step(_ name: String, params: inout [Float], grads: [Float], lr: Float, width: Int,
                     columnScale: [Float]? = nil) {
        precondition(params.count == grads.count, "Adam: '\(name)' has \(params.count) values but \(grads.count) gradients")
        // Take the state out of the dictionary so mutating its arrays does not copy them (COW).
        var s = states.removeValue(forKey: name) ?? State(width: width, m: [Float](repeating: 0, count: params.count),
                                      v: [Float](repeating: 0, count: params.count), step: 0)
        precondition(s.m.count == params.count, "Adam: state of '\(name)' has \(s.m.count) values, parameter has \(params.count)")
        s.step += 1
        let b1 = settings.beta1, b2 = settings.beta2, eps = settings.epsilon
        let c1 = 1 - powf(b1, Float(s.step)), c2 = 1 - powf(b2, Float(s.step))
        let stepSize = lr / c1
        let c2Root = c2.squareRoot()
        let scale = columnScale ?? [Float](repeating: 1, count: width)
        precondition(scale.count == width)
        params.withUnsafeMutableBufferPointer { p in
        grads.withUnsafeBufferPointer { g in
        s.m.withUnsafeMutableBufferPointer { m in
        s.v.withUnsafeMutableBufferPointer { v in
            for i in 0..<p.count {
                let gi = g[i]
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi; v[i] = vi
                p[i] -= stepSize * scale[i % width] * mi / (vi.squareRoot() / c2Root + eps)
            }
        }}}}
        states[name] = s
    }

    /// Keeps only the rows where `keep[row]` is true, for every parameter's state.
    public func keepRows(_ keep: [Bool]) {
        for (name, var s) in states {
            let rows = s.m.count / max(s.width, 1)
            precondition(rows == keep.count, "Adam.keepRows: '\(name)' has \(rows) rows, mask has \(keep.count)")
            var m: [Float] = [], v: [Float] = []
            m.reserveCapacity(s.m.count); v.reserveCapacity(s.v.count)
            for r in 0..<rows where keep[r] {
                m.append(contentsOf: s.m[(r * s.width)..<((r + 1) * s.width)])
                v.append(contentsOf: s.v[(r * s.width)..<((r + 1) * s.width)])
            }
            s.m = m; s.v = v
            states[name] = s
        }
    }

    /// Appends `count` rows of zero moments to every parameter's state.
    public func appendRows(_ count: Int) {
        for (name, var s) in states {
            s.m += [Float](repeating: 0, count: count * s.width)
            s.v += [Float](repeating: 0, count: count * s.width)
            states[name] = s
        }
    }

    /// Zeroes the moments of the given rows of one parameter (3DGS resets them on opacity reset).
    public func resetRows(_ name: String, rows: [Int]) {
        guard var s = states.removeValue(forKey: name) else { return }
        for r in rows { for j in 0..<s.width { s.m[r * s.width + j] = 0; s.v[r * s.width + j] = 0 } }
        states[name] = s
    }

    /// Replaces all state (for checkpoint restore).
    public func restore(_ states: [String: State]) { self.states = states }
}

/// Learning rate that decays exponentially (log-linearly) from `initial` to `final` over
/// `steps` iterations, constant afterwards (3DGS `get_expon_lr_func` without delay).
public struct ExponentialDecay: Codable, Equatable, Sendable {
    public var initial: Float
    public var final: Float
    public var steps: Int
    public init(initial: Float, final: Float, steps: Int) { self.initial = initial; self.final = final; self.steps = steps }
    public func callAsFunction(_ iteration: Int) -> Float {
        let t = min(max(Float(iteration) / Float(max(steps, 1)), 0), 1)
        return expf(logf(initial) * (1 - t) + logf(final) * t)
    }
}
