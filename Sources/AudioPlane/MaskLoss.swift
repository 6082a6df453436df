/// The margin mask loss of dynamic splatting (paper eq. 9, DESIGN.md §3):
///
///     L_mask = (1/P) Σ_p max(0, |m_p − g_p| − margin)
///
/// over the P pixels of the rendered dynamism map g (d splatted with the colour weights, background
/// 0; eq. 8) and the reference mouth mask m ∈ [0, 1]. Gradient w.r.t. g:
/// ∂L/∂g_p = sign(g_p − m_p)/P where |m_p − g_p| > margin, else 0 (0 at the kinks).
public enum MarginMaskLoss {
    /// Loss and ∂L/∂g [P] for `dynamismMap` g and `mask` m (both [H, W] or any matching layout).
    public static func evaluate(dynamismMap g: [Float], mask m: [Float], margin: Float) -> (loss: Float, gradient: [Float]) {
        precondition(g.count == m.count && !g.isEmpty, "MarginMaskLoss: map and mask sizes differ (\(g.count) vs \(m.count))")
        let inv = 1 / Float(g.count)
        var grad = [Float](repeating: 0, count: g.count)
        var sum: Double = 0
        for p in g.indices {
            let diff = g[p] - m[p]
            let excess = abs(diff) - margin
            if excess > 0 {
                sum += Double(excess)
                grad[p] = diff > 0 ? inv : -inv
            }
        }
        return (Float(sum) * inv, grad)
    }
}
