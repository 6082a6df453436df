/// Settings of one render call (Codable: stored in configs).
///
/// Constants of the standard 3DGS rasterizer (graphdeco): tile 16×16, α = min(0.99, o·G),
/// skip α < 1/255, stop when transmittance would fall below 1e-4, +0.3 px² on the 2D covariance
/// diagonal (low-pass filter), Jacobian clamp at 1.3× the field of view.
public struct RenderSettings: Codable, Equatable, Sendable {
    /// Background colour (linear RGB) composited behind the Gaussians.
    public var background: SIMD3<Float>
    /// Gaussians whose centre has camera depth z ≤ nearPlane are not drawn (units of the scene).
    public var nearPlane: Float
    /// SH degree used for colour (≤ the cloud's degree; lower degrees ignore the higher bands,
    /// as 3DGS does while it ramps up the active degree).
    public var activeSHDegree: Int?

    public init(background: SIMD3<Float> = .zero, nearPlane: Float = 0.01, activeSHDegree: Int? = nil) {
        self.background = background
        self.nearPlane = nearPlane
        self.activeSHDegree = activeSHDegree
    }
}

/// Fixed constants of the rasterizer (the standard 3DGS values).
public enum SplatConstants {
    public static let tileSize = 16
    public static let maxAlpha: Float = 0.99
    public static let minAlpha: Float = 1.0 / 255.0
    public static let minTransmittance: Float = 1e-4
    public static let covarianceBlur: Float = 0.3
    public static let fovClampFactor: Float = 1.3
}
