import XCTest
import TensorCore

/// Finite-difference checks for Float code with a Double loss (the model's layers compute in Float;
/// the checked loss is a random linear functional of their outputs, accumulated in Double).
public enum GradientCheck {
    /// Random weights r for the functional L = Σ r_i y_i.
    public static func functionalWeights(_ count: Int, rng: inout SeededRandom) -> [Double] {
        (0..<count).map { _ in rng.uniformDouble(-1, 1) }
    }

    /// L = Σ r_i y_i, accumulated in Double.
    public static func functional(_ y: [Float], _ r: [Double]) -> Double {
        precondition(y.count == r.count, "functional: \(y.count) outputs, \(r.count) weights")
        var s = 0.0
        for i in y.indices { s += Double(y[i]) * r[i] }
        return s
    }

    /// Up to `count` indices to check: entries with the largest |analytic| first half, the rest
    /// random (so zeros are checked too). Deterministic given `rng`.
    public static func sampleIndices(_ analytic: [Float], count: Int, rng: inout SeededRandom) -> [Int] {
        guard analytic.count > count else { return Array(analytic.indices) }
        let largest = analytic.indices.sorted { abs(analytic[$0]) > abs(analytic[$1]) }.prefix(count / 2)
        var chosen = Set(largest)
        while chosen.count < count { chosen.insert(rng.index(analytic.count)) }
        return chosen.sorted()
    }

    /// Compares `analytic[i]` for `indices` with central differences (L(+h) − L(−h))/2h, where
    /// `loss(i, δ)` evaluates L with entry i shifted by δ. Passes when
    /// ‖a − n‖₂ ≤ relativeTolerance · max(‖n‖₂, ‖a‖₂, absoluteFloor) over the checked entries
    /// (a norm test: robust to a rare entry whose step crosses a ReLU kink or a grid cell edge).
    public static func check(_ name: String, analytic: [Float], indices: [Int], step: Float,
                             relativeTolerance: Double, absoluteFloor: Double = 1e-4,
                             file: StaticString = #filePath, line: UInt = #line,
                             loss: (_ index: Int, _ delta: Float) -> Double) {
        var err2 = 0.0, num2 = 0.0, ana2 = 0.0
        var worst = (index: -1, analytic: 0.0, numeric: 0.0)
        for i in indices {
            let n = (loss(i, step) - loss(i, -step)) / (2 * Double(step))
            let a = Double(analytic[i])
            err2 += (a - n) * (a - n); num2 += n * n; ana2 += a * a
            if worst.index < 0 || abs(a - n) > abs(worst.analytic - worst.numeric) { worst = (i, a, n) }
        }
        let reference = max(num2.squareRoot(), ana2.squareRoot(), absoluteFloor)
        let relative = err2.squareRoot() / reference
        XCTAssertLessThanOrEqual(relative, relativeTolerance,
            "\(name): relative error \(relative) over \(indices.count) entries; worst [\(worst.index)] analytic \(worst.analytic) vs numeric \(worst.numeric)",
            file: file, line: line)
    }
}

extension GradientCheck {
    /// Directional check: for `directions` random ±1 vectors v, compares ⟨analytic, v⟩ with
    /// (L(θ + h v) − L(θ − h v))/2h, where `loss(v, δ)` evaluates L at θ + δ·v. The signal is
    /// ~‖g‖₂ instead of one entry's |g_i|, so Float rounding in the forward matters far less than
    /// in entry-wise checks — the right test for parameters whose single-entry influence is tiny
    /// (deep encoder layers). Passes when |a − n| ≤ relativeTolerance · max(|n|, ‖g‖₂, absoluteFloor)
    /// for every direction.
    public static func checkDirectional(_ name: String, analytic: [Float], directions: Int = 3, step: Float,
                                        relativeTolerance: Double, absoluteFloor: Double = 1e-6, rng: inout SeededRandom,
                                        file: StaticString = #filePath, line: UInt = #line,
                                        loss: (_ direction: [Float], _ delta: Float) -> Double) {
        let norm = analytic.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        for k in 0..<directions {
            let v: [Float] = analytic.indices.map { _ in rng.next() & 1 == 0 ? 1 : -1 }
            var a = 0.0
            for i in analytic.indices { a += Double(analytic[i]) * Double(v[i]) }
            let n = (loss(v, step) - loss(v, -step)) / (2 * Double(step))
            let reference = max(abs(n), norm, absoluteFloor)
            XCTAssertLessThanOrEqual(abs(a - n) / reference, relativeTolerance,
                "\(name) direction \(k): analytic \(a) vs numeric \(n) (‖g‖ \(norm))", file: file, line: line)
        }
    }
}
