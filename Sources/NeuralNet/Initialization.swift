import TensorCore

/// Deterministic parameter initialisation from `SeededRandom`.
public enum Initialization {
    /// PyTorch's default for `nn.Linear` / `nn.Conv1d` (Kaiming-uniform with a = √5, which reduces
    /// to this): every weight and bias ~ U(−b, b) with b = 1/√fan_in, fan_in = in-features
    /// (× kernel size for a convolution).
    public static func uniformFanIn(count: Int, fanIn: Int, rng: inout SeededRandom) -> [Float] {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        return uniform(count: count, bound: bound, rng: &rng)
    }

    /// `count` values ~ U(−bound, bound).
    public static func uniform(count: Int, bound: Float, rng: inout SeededRandom) -> [Float] {
        (0..<count).map { _ in rng.uniform(-bound, bound) }
    }

    /// He/Kaiming-normal weights for a layer followed by a (leaky) ReLU with `negativeSlope`:
    /// N(0, gain²/fan_in) with gain² = 2/(1 + slope²) — keeps the signal's second moment through
    /// a deep stack (PyTorch's default shrinks it by about 3× per layer). `negativeSlope` nil: a
    /// linear layer (gain 1, LeCun-normal).
    public static func kaimingNormal(count: Int, fanIn: Int, negativeSlope: Float?, rng: inout SeededRandom) -> [Float] {
        let gain2: Float = negativeSlope.map { 2 / (1 + $0 * $0) } ?? 1
        let std = (gain2 / Float(max(fanIn, 1))).squareRoot()
        return (0..<count).map { _ in std * rng.normal() }
    }
}
